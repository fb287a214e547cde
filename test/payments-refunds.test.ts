import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { newId } from '../subgraphs/lib/ids';
import { openQueue, refundJobId, refundRequestsQueue, type RefundRequest } from '../subgraphs/lib/queues';
import { addJob } from './support/queues';
import { startPaymentsWorker } from '../subgraphs/payments/worker';
import { buildChargeRefundedEvent, buildIntentEvent } from '../subgraphs/payments/simulated-webhooks';
import { deliver, loadPayment, publishedResults, resultsQueue, seedPayment, waitFor } from './support/payments';
import { startStack, type TestStack } from './support/stack';

const REFUND = `mutation Refund($paymentId: ID!, $amountCents: Int, $idempotencyKey: String!) {
  refundPayment(paymentId: $paymentId, amountCents: $amountCents, idempotencyKey: $idempotencyKey) { id status refundedCents amountCents }
}`;

/** What an admin form generates once per intended refund. */
const newKey = () => `form-${randomUUID()}`;

describe('refunds go through Stripe and publish cumulative refunded results', () => {
  let stack: TestStack;
  let worker: Awaited<ReturnType<typeof startPaymentsWorker>>;
  let results: Queue;
  let refunds: Queue;
  let adminToken: string;

  beforeAll(async () => {
    stack = await startStack();
    worker = await startPaymentsWorker({ ...stack.config, port: 0 }, { relayIntervalMs: 200 });
    results = resultsQueue(stack.config.redisUrl, stack.config.queuePrefix);
    refunds = openQueue(refundRequestsQueue, { connection: { url: stack.config.redisUrl, maxRetriesPerRequest: null }, prefix: stack.config.queuePrefix }).queue;
    adminToken = await stack.tokenFor(newId('customer'), 'ADMIN');
  });
  afterAll(async () => {
    await refunds?.close();
    await results?.close();
    await worker?.stop();
    await stack?.stop();
  });

  it('an admin refunds part of a payment, then the rest; each step publishes the cumulative amount', async () => {
    const payment = await seedPayment(stack, { status: 'SUCCEEDED' });
    const partial = await stack.gql(REFUND, { paymentId: payment._id, amountCents: 1000, idempotencyKey: newKey() }, { token: adminToken });
    expect(partial.errors).toBeUndefined();
    expect(partial.data.refundPayment).toEqual({ id: payment._id, status: 'PARTIALLY_REFUNDED', refundedCents: 1000, amountCents: 3000 });

    const rest = await stack.gql(REFUND, { paymentId: payment._id, idempotencyKey: newKey() }, { token: adminToken });
    expect(rest.data.refundPayment).toMatchObject({ status: 'REFUNDED', refundedCents: 3000 });

    const jobs = await publishedResults(results, payment._id);
    expect(jobs.map((j) => [j.id, j.data.outcome, j.data.refundedCents, j.data.amountCents])).toEqual([
      [`${payment._id}-refunded-1000`, 'refunded', 1000, 3000],
      [`${payment._id}-refunded-3000`, 'refunded', 3000, 3000],
    ]);
  });

  it('refuses to refund more than what remains, with BAD_USER_INPUT on amountCents', async () => {
    const payment = await seedPayment(stack, { status: 'SUCCEEDED' });
    await stack.gql(REFUND, { paymentId: payment._id, amountCents: 2000, idempotencyKey: newKey() }, { token: adminToken });
    const tooMuch = await stack.gql(REFUND, { paymentId: payment._id, amountCents: 1001, idempotencyKey: newKey() }, { token: adminToken });
    expect(tooMuch.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'amountCents', remainingCents: 1000 });
    expect((await loadPayment(stack, payment._id)).refundedCents).toBe(2000);
  });

  it('the same idempotency key refunds once', async () => {
    const payment = await seedPayment(stack, { status: 'SUCCEEDED' });
    const key = `refund-${payment._id}`;
    await stack.gql(REFUND, { paymentId: payment._id, amountCents: 500, idempotencyKey: key }, { token: adminToken });
    const again = await stack.gql(REFUND, { paymentId: payment._id, amountCents: 500, idempotencyKey: key }, { token: adminToken });
    expect(again.data.refundPayment.refundedCents).toBe(500);
    expect((await loadPayment(stack, payment._id)).refunds).toHaveLength(1);
  });

  it('the same idempotency key sent 10 times at once records one refund and publishes it once', async () => {
    const payment = await seedPayment(stack, { status: 'SUCCEEDED' });
    const key = `burst-${payment._id}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => stack.gql(REFUND, { paymentId: payment._id, amountCents: 700, idempotencyKey: key }, { token: adminToken })));
    for (const a of answers) expect(a.data.refundPayment).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedCents: 700 });

    const stored = await loadPayment(stack, payment._id);
    expect([stored.refundedCents, stored.refunds.map((r) => [r.key, r.amountCents])]).toEqual([700, [[`admin-${key}`, 700]]]);
    expect(stored.results.map((r) => r.jobId)).toEqual([`${payment._id}-refunded-700`]);
    const jobs = await publishedResults(results, payment._id);
    expect(jobs.map((j) => [j.id, j.data.refundedCents])).toEqual([[`${payment._id}-refunded-700`, 700]]);
  });

  it('refuses a refund without an idempotency key, so a double click cannot refund twice', async () => {
    const payment = await seedPayment(stack, { status: 'SUCCEEDED' });
    const res = await stack.gql(REFUND.replace('$idempotencyKey: String!', '$idempotencyKey: String'), { paymentId: payment._id, amountCents: 100 }, { token: adminToken });
    expect(res.errors?.[0].extensions?.code).toMatch(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/);
    expect((await loadPayment(stack, payment._id)).refundedCents).toBe(0);
  });

  it('counts a refund once when Stripe reports it (charge.refunded) before the admin refund is recorded', async () => {
    const payment = await seedPayment(stack);
    await deliver(stack, buildIntentEvent({ payment, outcome: 'succeeded' }));
    // Stripe's webhook for the refund outruns our own write of it: cumulative 1000.
    await deliver(stack, buildChargeRefundedEvent({ payment, amountRefundedCents: 1000 }));
    const res = await stack.gql(REFUND, { paymentId: payment._id, amountCents: 1000, idempotencyKey: newKey() }, { token: adminToken });
    expect(res.data.refundPayment).toMatchObject({ refundedCents: 1000, status: 'PARTIALLY_REFUNDED' });
    const stored = await loadPayment(stack, payment._id);
    expect([stored.refundedCents, stored.refunds.map((r) => r.amountCents)]).toEqual([1000, [1000]]);
  });

  it('counts a refund once when charge.refunded arrives after the admin refund, and twice-delivered', async () => {
    const payment = await seedPayment(stack);
    await deliver(stack, buildIntentEvent({ payment, outcome: 'succeeded' }));
    await stack.gql(REFUND, { paymentId: payment._id, amountCents: 1000, idempotencyKey: newKey() }, { token: adminToken });
    const event = buildChargeRefundedEvent({ payment, amountRefundedCents: 1000 });
    await deliver(stack, event);
    await deliver(stack, event);
    await stack.gql(REFUND, { paymentId: payment._id, amountCents: 500, idempotencyKey: newKey() }, { token: adminToken });
    await deliver(stack, buildChargeRefundedEvent({ payment, amountRefundedCents: 1500 }));
    const stored = await loadPayment(stack, payment._id);
    expect([stored.status, stored.refundedCents]).toEqual(['PARTIALLY_REFUNDED', 1500]);
    const jobs = await publishedResults(results, payment._id);
    expect(jobs.filter((j) => j.data.outcome === 'refunded').map((j) => j.data.refundedCents)).toEqual([1000, 1500]);
  });

  it('refuses customers and payments that were never paid', async () => {
    const payment = await seedPayment(stack, { status: 'SUCCEEDED' });
    const asOwner = await stack.gql(REFUND, { paymentId: payment._id, idempotencyKey: newKey() }, { token: await stack.tokenFor(payment.customerId) });
    expect(asOwner.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const pending = await seedPayment(stack);
    const notPaid = await stack.gql(REFUND, { paymentId: pending._id, idempotencyKey: newKey() }, { token: adminToken });
    expect(notPaid.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await loadPayment(stack, payment._id)).refundedCents).toBe(0);
  });

  it('a refund request from orders is processed by the payments worker once per refund job id', async () => {
    const payment = await seedPayment(stack, { status: 'SUCCEEDED' });
    const request: RefundRequest = { paymentId: payment._id, orderId: newId('order'), reason: 'order_canceled', requestId: 'req-cancel-1' };
    await addJob(refunds, refundRequestsQueue, request);
    // The same request again under another job id (e.g. after the completed set was trimmed).
    await addJob(refunds, refundRequestsQueue, request, `${refundJobId(request)}-again`);

    await waitFor(async () => (await refunds.getCompletedCount()) >= 2, 20_000, 'both refund jobs to complete');
    const stored = await loadPayment(stack, payment._id);
    expect([stored.status, stored.refundedCents, stored.refunds.map((r) => r.key)]).toEqual(['REFUNDED', 3000, [refundJobId(request)]]);
    const jobs = await publishedResults(results, payment._id);
    expect(jobs.map((j) => [j.id, j.data.refundedCents, j.data.requestId])).toEqual([[`${payment._id}-refunded-3000`, 3000, 'req-cancel-1']]);
  });
});
