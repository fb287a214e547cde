import type { Queue } from 'bullmq';
import { newId } from '../subgraphs/lib/ids';
import { paymentResultJobId } from '../subgraphs/lib/queues';
import { relayOutboxOnce } from '../subgraphs/lib/outbox';
import { resultEntries } from '../subgraphs/payments/results';
import { buildChargeRefundedEvent, buildIntentEvent, signEvent } from '../subgraphs/payments/simulated-webhooks';
import { webhookUrlFor } from '../subgraphs/payments/simulated-webhooks';
import { deliver, loadPayment, publishedResults, resultsQueue, seedPayment } from './support/payments';
import { startStack, type TestStack } from './support/stack';

describe('Stripe webhooks record payment outcomes and publish each result once', () => {
  let stack: TestStack;
  let queue: Queue;

  beforeAll(async () => {
    stack = await startStack();
    queue = resultsQueue(stack.config.redisUrl, stack.config.queuePrefix);
  });
  afterAll(async () => {
    await queue?.close();
    await stack?.stop();
  });

  it('refuses a forged or missing signature with 400 and a JSON reason, and processes nothing', async () => {
    const payment = await seedPayment(stack);
    const event = buildIntentEvent({ payment, outcome: 'succeeded' });

    const forged = await deliver(stack, event, 'whsec_not_the_real_secret');
    expect(forged.status).toBe(400);
    expect(JSON.stringify(forged.body)).toMatch(/signature/i);

    const { payload } = signEvent(event, stack.config.stripe.webhookSecret);
    const unsigned = await fetch(webhookUrlFor(stack.config.peers.payments), { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    expect(unsigned.status).toBe(400);
    expect(JSON.stringify(await unsigned.json())).toMatch(/Stripe-Signature/);

    // A valid signature over different bytes is a forgery too.
    const { signature } = signEvent(event, stack.config.stripe.webhookSecret);
    const tampered = await fetch(webhookUrlFor(stack.config.peers.payments), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload.replace('"succeeded"', '"canceled"'),
    });
    expect(tampered.status).toBe(400);

    expect((await loadPayment(stack, payment._id)).status).toBe('PENDING');
    expect(await stack.payments.deps.service.models.events.countDocuments({ _id: event.id })).toBe(0);
    expect(await publishedResults(queue, payment._id)).toHaveLength(0);
  });

  it('the same succeeded event delivered three times publishes exactly one result', async () => {
    const payment = await seedPayment(stack);
    const event = buildIntentEvent({ payment, outcome: 'succeeded' });

    const deliveries = [];
    for (let i = 0; i < 3; i++) deliveries.push(await deliver(stack, event));
    expect(deliveries.map((d) => d.status)).toEqual([200, 200, 200]);
    expect(deliveries.map((d) => (d.body as { outcome: string }).outcome)).toEqual(['applied', 'duplicate', 'duplicate']);

    const stored = await loadPayment(stack, payment._id);
    expect(stored.status).toBe('SUCCEEDED');
    expect(stored.outboxPending).toBe(0);
    expect(stored.outboxDone).toEqual([`${payment._id}-succeeded`]);

    const jobs = await publishedResults(queue, payment._id);
    expect(jobs.map((j) => j.id)).toEqual([`${payment._id}-succeeded`]);
    expect(jobs[0].data).toMatchObject({
      paymentId: payment._id,
      customerId: payment.customerId,
      outcome: 'succeeded',
      amountCents: 3000,
      currency: 'USD',
      refundedCents: 0,
      reservationId: payment.reservationId,
      requestId: event.id,
      lines: payment.lines,
      shippingAddress: { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'London', postalCode: 'N1 1AA', country: 'GB' },
    });
  });

  it('a failed event arriving after succeeded leaves the payment succeeded and publishes no failure', async () => {
    const payment = await seedPayment(stack);
    await deliver(stack, buildIntentEvent({ payment, outcome: 'succeeded' }));
    const late = await deliver(stack, buildIntentEvent({ payment, outcome: 'failed' }));
    expect(late.status).toBe(200);
    expect((late.body as { outcome: string }).outcome).toBe('no-change');

    expect((await loadPayment(stack, payment._id)).status).toBe('SUCCEEDED');
    expect((await publishedResults(queue, payment._id)).map((j) => j.data.outcome)).toEqual(['succeeded']);
  });

  it('racing deliveries of succeeded and failed events leave it succeeded with each result published once', async () => {
    const payment = await seedPayment(stack);
    const events = Array.from({ length: 4 }, () => [
      buildIntentEvent({ payment, outcome: 'succeeded' }),
      buildIntentEvent({ payment, outcome: 'failed' }),
    ]).flat();
    const deliveries = await Promise.all(events.map((e) => deliver(stack, e)));
    expect(deliveries.every((d) => d.status === 200)).toBe(true);

    const stored = await loadPayment(stack, payment._id);
    expect(stored.status).toBe('SUCCEEDED');
    expect(stored.outboxPending).toBe(0);
    const jobIds = stored.results.map((r) => r.jobId);
    expect(new Set(jobIds).size).toBe(jobIds.length);
    expect(jobIds).toContain(`${payment._id}-succeeded`);
    const jobs = await publishedResults(queue, payment._id);
    expect(jobs.map((j) => j.id).sort()).toEqual([...jobIds].sort());
  });

  it('succeeded and payment_failed each delivered 10 times at once: each transition is decided once, each outcome queued once', async () => {
    const payment = await seedPayment(stack);
    const succeeded = buildIntentEvent({ payment, outcome: 'succeeded' });
    const failed = buildIntentEvent({ payment, outcome: 'failed' });
    const deliveries = await Promise.all(Array.from({ length: 10 }, () => [deliver(stack, succeeded), deliver(stack, failed)]).flat());
    expect(deliveries.every((d) => d.status === 200)).toBe(true);

    const stored = await loadPayment(stack, payment._id);
    expect(stored.status).toBe('SUCCEEDED');
    expect(stored.outboxPending).toBe(0);
    // Either failed then succeeded (two transitions) or succeeded first (the failure is then ignored).
    const outcomes = stored.results.map((r) => r.outcome);
    expect([['succeeded'], ['failed', 'succeeded']]).toContainEqual(outcomes);
    const applied = deliveries.filter((d) => (d.body as { outcome: string }).outcome === 'applied');
    expect(applied).toHaveLength(outcomes.length);
    expect(stored.outboxDone).toEqual(stored.results.map((r) => r.jobId));
    const jobs = await publishedResults(queue, payment._id);
    expect(jobs.map((j) => j.id).sort()).toEqual(stored.results.map((r) => r.jobId).sort());
    expect(await stack.payments.deps.service.models.events.countDocuments({ _id: { $in: [succeeded.id, failed.id] } })).toBe(2);
  });

  it('a failed payment publishes a failed result with the reason', async () => {
    const payment = await seedPayment(stack);
    await deliver(stack, buildIntentEvent({ payment, outcome: 'failed' }));
    const stored = await loadPayment(stack, payment._id);
    expect(stored.status).toBe('FAILED');
    expect(stored.failureReason).toBe('generic_decline');
    const jobs = await publishedResults(queue, payment._id);
    expect(jobs.map((j) => [j.id, j.data.failureReason])).toEqual([[`${payment._id}-failed`, 'generic_decline']]);
  });

  it('finds the payment by intent id when the metadata has no payment id', async () => {
    const payment = await seedPayment(stack);
    const event = buildIntentEvent({ payment, outcome: 'succeeded' });
    delete (event.data.object.metadata as Record<string, string>).paymentId;
    expect((await deliver(stack, event)).status).toBe(200);
    expect((await loadPayment(stack, payment._id)).status).toBe('SUCCEEDED');
  });

  it('acknowledges events for unknown payments and event types it does not handle', async () => {
    const unknown = await deliver(stack, buildIntentEvent({ payment: { _id: newId('payment'), amountCents: 3000, currency: 'USD' }, outcome: 'succeeded' }));
    expect(unknown).toEqual({ status: 200, body: expect.objectContaining({ received: true, outcome: 'unknown-payment' }) });
    const other = buildIntentEvent({ payment: { _id: newId('payment'), amountCents: 3000, currency: 'USD' }, outcome: 'succeeded' });
    other.type = 'payment_intent.created';
    expect((await deliver(stack, other)).body).toEqual(expect.objectContaining({ outcome: 'ignored' }));
  });

  it('charge.refunded records the cumulative refund and publishes a refunded result per amount', async () => {
    const payment = await seedPayment(stack);
    await deliver(stack, buildIntentEvent({ payment, outcome: 'succeeded' }));
    await deliver(stack, buildChargeRefundedEvent({ payment, amountRefundedCents: 1000 }));
    // An older notice (smaller cumulative amount) arriving late changes nothing.
    await deliver(stack, buildChargeRefundedEvent({ payment, amountRefundedCents: 500 }));
    await deliver(stack, buildChargeRefundedEvent({ payment, amountRefundedCents: 3000 }));

    const stored = await loadPayment(stack, payment._id);
    expect([stored.status, stored.refundedCents]).toEqual(['REFUNDED', 3000]);
    const jobs = await publishedResults(queue, payment._id);
    expect(jobs.map((j) => [j.id, j.data.outcome, j.data.refundedCents])).toEqual([
      [`${payment._id}-succeeded`, 'succeeded', 0],
      [`${payment._id}-refunded-1000`, 'refunded', 1000],
      [`${payment._id}-refunded-3000`, 'refunded', 3000],
    ]);
  });

  it('the outbox relay publishes a result a crash left unpublished, and a second pass publishes nothing', async () => {
    // As if the process died right after recording the outcome, before publishing it.
    const payment = await seedPayment(stack, { status: 'SUCCEEDED' });
    const jobId = paymentResultJobId({ paymentId: payment._id, outcome: 'succeeded', refundedCents: 0 });
    const record = { jobId, outcome: 'succeeded' as const, refundedCents: 0, occurredAt: new Date(), requestId: 'crash-test' };
    await stack.payments.deps.payments.updateOne(
      { _id: payment._id },
      { $push: { results: record, outbox: { $each: resultEntries(payment, [record]) } }, $inc: { outboxPending: 1 } },
    );
    const { service } = stack.payments.deps;
    const relay = () => relayOutboxOnce(service.payments, service.publisher, service.logger, { minAgeMs: 0 });

    expect(await relay()).toBe(1);
    expect(await relay()).toBe(0);
    expect((await loadPayment(stack, payment._id)).outboxPending).toBe(0);
    const jobs = await publishedResults(queue, payment._id);
    expect(jobs.map((j) => [j.id, j.data.requestId])).toEqual([[jobId, 'crash-test']]);
  });
});
