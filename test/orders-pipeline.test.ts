import { newId } from '../subgraphs/lib/ids';
import { QUEUES, paymentResultJobId } from '../subgraphs/lib/queues';
import type { OrderDoc } from '../subgraphs/orders/model';
import { startOrdersWorker } from '../subgraphs/orders/worker';
import { startProductsWorker } from '../subgraphs/products/worker';
import { createProduct, paymentResult, pipelineQueues, productsClient, reserve, stockOf, waitFor } from './support/orders';
import { startStack, type TestStack } from './support/stack';

describe('payment results become orders, exactly once', () => {
  let stack: TestStack;
  let ordersWorker: Awaited<ReturnType<typeof startOrdersWorker>>;
  let productsWorker: Awaited<ReturnType<typeof startProductsWorker>>;
  let q: ReturnType<typeof pipelineQueues>;
  const customerId = newId('customer');
  const adminId = newId('customer');

  beforeAll(async () => {
    stack = await startStack();
    ordersWorker = await startOrdersWorker({ ...stack.config, port: 0 }, { relayIntervalMs: 500 });
    productsWorker = await startProductsWorker({ ...stack.config, port: 0 });
    q = pipelineQueues(stack);
  });
  afterAll(async () => {
    await q?.close();
    await ordersWorker?.stop();
    await productsWorker?.stop();
    await stack?.stop();
  });

  const orders = () => stack.orders.deps.orders;
  const settled = (paymentId: string) => waitFor(`order for ${paymentId}`, () => orders().findOne({ paymentId, outboxPending: 0 }).lean<OrderDoc>());
  const jobState = async (jobId: string) => (await q.queues[QUEUES.paymentResults].getJob(jobId))?.getState();
  const completed = (jobId: string) => waitFor(`job ${jobId} completed`, async () => (await jobState(jobId)) === 'completed');

  it('a paid result creates one PAID order with its snapshot, commits the stock and reports it', async () => {
    const product = await createProduct(stack, 5);
    const hold = await reserve(stack, product, 2);
    const result = paymentResult(customerId, hold);
    await q.publish(result);
    const order = await settled(result.paymentId);

    expect(order).toMatchObject({ status: 'PAID', customerId, amountCents: 2 * product.priceCents, currency: 'USD', refundedCents: 0, reservationId: hold.reservationId, shippingAddress: result.shippingAddress });
    expect(order.lines).toEqual([expect.objectContaining({ productId: product.productId, quantity: 2, unitPriceCents: product.priceCents })]);
    expect(order.statusHistory).toEqual([expect.objectContaining({ from: null, to: 'PAID', by: 'system:payments' })]);
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 3, reserved: 0 });
    const event = await q.queues[QUEUES.analytics].getJob(`${order._id}-paid`);
    expect(event?.data).toMatchObject({ kind: 'order.paid', orderId: order._id, paymentId: result.paymentId, amountCents: order.amountCents });
  });

  it('a result delivered three times (same job id, and new job ids) still makes one order and one event', async () => {
    const product = await createProduct(stack, 5);
    const hold = await reserve(stack, product, 1);
    const result = paymentResult(customerId, hold);
    const ids = [paymentResultJobId(result), `${paymentResultJobId(result)}-redelivery-1`, `${paymentResultJobId(result)}-redelivery-2`];
    await Promise.all([q.publish(result, ids[0]), q.publish(result, ids[0]), q.publish(result, ids[1]), q.publish(result, ids[2])]);
    for (const id of ids) await completed(id);
    const order = await settled(result.paymentId);

    expect(await orders().countDocuments({ paymentId: result.paymentId })).toBe(1);
    expect((await q.jobIds(QUEUES.analytics)).filter((id) => id.startsWith(order._id))).toEqual([`${order._id}-paid`]);
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 4, reserved: 0 });
  });

  it('a failed attempt keeps its hold (the customer may pay again); a canceled payment frees the stock', async () => {
    const product = await createProduct(stack, 3);
    const hold = await reserve(stack, product, 3);
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 3, reserved: 3 });
    const result = paymentResult(customerId, hold, { outcome: 'failed', failureReason: 'card_declined' });
    await q.publish(result);
    const attempt = await settled(result.paymentId);

    expect(attempt).toMatchObject({ status: 'FAILED', failureReason: 'card_declined' });
    expect(await q.jobIds(QUEUES.analytics)).toContain(`${attempt._id}-failed`);
    expect(await q.jobIds(QUEUES.inventory)).not.toContain(`release-${hold.reservationId}`);
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 3, reserved: 3 });

    await q.publish({ ...result, outcome: 'canceled' });
    await completed(`${result.paymentId}-canceled`);
    expect(await q.jobIds(QUEUES.inventory)).toContain(`release-${hold.reservationId}`);
    await waitFor('stock released', async () => (await stockOf(stack, product.productId)).reserved === 0);
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 3, reserved: 0 });
    expect(await orders().findById(attempt._id).lean()).toMatchObject({ status: 'FAILED' });
  });

  it('failed, then paid, then canceled: the stock is sold once and comes back once', async () => {
    const product = await createProduct(stack, 2);
    const hold = await reserve(stack, product, 2);
    const failed = paymentResult(customerId, hold, { outcome: 'failed', failureReason: 'card_declined' });
    await q.publish(failed);
    await settled(failed.paymentId);
    await q.publish({ ...failed, outcome: 'succeeded', failureReason: undefined });
    const paid = await waitFor('the retry to be paid', async () => {
      const o = await orders().findOne({ paymentId: failed.paymentId }).lean();
      return o?.status === 'PAID' && o;
    });
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 0, reserved: 0 });

    const admin = await stack.tokenFor('cus_admin', 'ADMIN');
    const canceled = await stack.gql(`mutation($id: ID!) { cancelOrder(orderId: $id, reason: "changed mind") { status } }`, { id: paid._id }, { token: admin });
    expect(canceled.errors).toBeUndefined();
    await waitFor('the stock to come back', async () => (await stockOf(stack, product.productId)).onHand === 2);
    // Delivered again (a retry of the cancel's messages): no second return.
    await q.publish({ ...failed, outcome: 'failed' });
    await completed(`${failed.paymentId}-failed`);
    await new Promise((r) => setTimeout(r, 500));
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 2, reserved: 0 });
    expect((await q.jobIds(QUEUES.inventory)).filter((id) => id.endsWith(hold.reservationId))).toEqual([`restock-${hold.reservationId}`]);
  });

  it('a late success for a payment already recorded as paid is ignored, and a late failure never releases paid stock', async () => {
    const product = await createProduct(stack, 2);
    const hold = await reserve(stack, product, 1);
    const paid = paymentResult(customerId, hold);
    await q.publish(paid);
    const order = await settled(paid.paymentId);
    await q.publish({ ...paid, outcome: 'failed' });
    await completed(`${paid.paymentId}-failed`);

    expect(await orders().findById(order._id).lean()).toMatchObject({ status: 'PAID' });
    expect(await q.jobIds(QUEUES.inventory)).not.toContain(`release-${hold.reservationId}`);
  });

  it('a payment that succeeds after its hold expired and the stock is gone is refunded as OVERSOLD_REFUNDED', async () => {
    const product = await createProduct(stack, 1);
    const hold = await reserve(stack, product, 1);
    // The hold ends (as expiry would) and someone else takes the last unit.
    await productsClient(stack)(`mutation($id: ID!) { releaseReservation(reservationId: $id) { id } }`, { id: hold.reservationId });
    await reserve(stack, product, 1);
    const result = paymentResult(customerId, hold);
    await q.publish(result);
    const order = await settled(result.paymentId);

    expect(order.status).toBe('OVERSOLD_REFUNDED');
    const refund = await q.queues[QUEUES.refunds].getJob(`refund-${order._id}-oversold`);
    expect(refund?.data).toMatchObject({ paymentId: result.paymentId, orderId: order._id, reason: 'oversold' });
    expect(await q.jobIds(QUEUES.analytics)).toContain(`${order._id}-oversold`);
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 1, reserved: 1 });
  });

  it('refund results apply the cumulative amount once, in any order', async () => {
    const product = await createProduct(stack, 4, 500);
    const hold = await reserve(stack, product, 2);
    const paid = paymentResult(customerId, hold);
    await q.publish(paid);
    const order = await settled(paid.paymentId);

    const refunded = (cents: number) => ({ ...paid, outcome: 'refunded' as const, refundedCents: cents });
    await q.publish(refunded(300));
    await completed(`${paid.paymentId}-refunded-300`);
    expect(await orders().findById(order._id).lean()).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedCents: 300 });

    await q.publish(refunded(1000));
    await completed(`${paid.paymentId}-refunded-1000`);
    // A stale partial result arriving late, under a new job id, changes nothing.
    await q.publish(refunded(300), `${paid.paymentId}-refunded-300-late`);
    await completed(`${paid.paymentId}-refunded-300-late`);
    const final = await settled(paid.paymentId);

    expect(final).toMatchObject({ status: 'REFUNDED', refundedCents: 1000 });
    expect(final.statusHistory.map((c) => c.to)).toEqual(['PAID', 'PARTIALLY_REFUNDED', 'REFUNDED']);
    const events = await Promise.all([300, 1000].map((c) => q.queues[QUEUES.analytics].getJob(`${order._id}-refunded-${c}`)));
    expect(events.map((e) => e?.data.refundCents)).toEqual([300, 700]);
  });

  it('an invalid payload fails at once, stays inspectable for admins, and can be retried', async () => {
    const jobId = `bad-${newId('payment')}`;
    await q.queues[QUEUES.paymentResults].add('payment-result', { paymentId: 'pay_x', outcome: 'maybe', requestId: 'r1' }, { jobId });
    await waitFor('invalid job failed', async () => (await jobState(jobId)) === 'failed');
    expect((await q.queues[QUEUES.paymentResults].getJob(jobId))?.attemptsMade).toBe(1);

    const admin = await stack.tokenFor(adminId, 'ADMIN');
    const failed = await stack.gql(`query { failedJobs(queue: PAYMENT_RESULTS, limit: 50) { id name failedReason attemptsMade timestamp data } queueStatus { queue name waiting active delayed failed completed } }`, {}, { token: admin });
    expect(failed.errors).toBeUndefined();
    const job = failed.data.failedJobs.find((j: { id: string }) => j.id === jobId);
    expect(job).toMatchObject({ name: 'payment-result', attemptsMade: 1, failedReason: expect.stringContaining('invalid payload') });
    expect(JSON.parse(job.data)).toMatchObject({ paymentId: 'pay_x' });
    const status = failed.data.queueStatus.find((s: { name: string }) => s.name === 'payment-results');
    expect(status.failed).toBeGreaterThanOrEqual(1);
    expect(status.completed).toBeGreaterThanOrEqual(1);
    expect(failed.data.queueStatus.map((s: { name: string }) => s.name).sort()).toEqual(['analytics-events', 'inventory-commands', 'notifications', 'payment-results', 'refund-requests']);

    const retried = await stack.gql(`mutation($id: ID!) { retryFailedJob(queue: PAYMENT_RESULTS, jobId: $id) { id state } }`, { id: jobId }, { token: admin });
    expect(retried.errors).toBeUndefined();
    expect(retried.data.retryFailedJob.id).toBe(jobId);
    await waitFor('retried job failed again', async () => (await q.queues[QUEUES.paymentResults].getJob(jobId))?.attemptsMade === 2, 10_000);

    const customer = await stack.gql(`query { queueStatus { name } }`, {}, { token: await stack.tokenFor(customerId) });
    expect(customer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
