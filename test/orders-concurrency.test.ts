import { ConflictError } from '../subgraphs/lib/errors';
import { newId } from '../subgraphs/lib/ids';
import { internalClient } from '../subgraphs/lib/internal-client';
import { createLogger } from '../subgraphs/lib/logger';
import { QUEUES, type PaymentResult } from '../subgraphs/lib/queues';
import { followUpsFor, orderFromPaymentResult } from '../subgraphs/orders/events';
import type { OrderDoc } from '../subgraphs/orders/model';
import { markPublished, relayOutboxOnce } from '../subgraphs/lib/outbox';
import { handlePaymentResult, type PaymentResultDeps } from '../subgraphs/orders/payment-results';
import { commitStock } from '../subgraphs/orders/stock';
import { createProduct, paymentResult, pipelineQueues, reserve, stockOf } from './support/orders';
import { startStack, type TestStack } from './support/stack';

/**
 * Racing writers on ONE order, with no lock anywhere: each change is a single conditional write
 * (on the status read, on the unique paymentId, on the entry not yet done), so exactly one racer
 * wins and the others change nothing.
 */
describe('racing writers on one order', () => {
  let stack: TestStack;
  let q: ReturnType<typeof pipelineQueues>;
  let deps: PaymentResultDeps;
  const admin = { customerId: newId('customer'), role: 'ADMIN' as const };

  beforeAll(async () => {
    stack = await startStack();
    q = pipelineQueues(stack);
    const products = internalClient({ url: stack.config.peers.products, target: 'products', service: 'orders', internalSecret: stack.config.internalSecret });
    deps = { orders: orders(), queues: q.orderQueues, logger: createLogger('orders-test', 'error'), commitStock: (id) => commitStock(products, id) };
  });
  afterAll(async () => {
    await q?.close();
    await stack?.stop();
  });

  const orders = () => stack.orders.deps.orders;
  const deliver = (r: PaymentResult, times: number) => Promise.all(Array.from({ length: times }, () => handlePaymentResult(r, deps)));
  const analyticsJobsOf = async (orderId: string) => (await q.jobIds(QUEUES.analytics)).filter((id) => id.startsWith(`${orderId}-`)).sort();

  /** A PAID order as the worker stores it, its messages already published. */
  async function paidOrder(): Promise<OrderDoc> {
    const doc = orderFromPaymentResult(paymentResult(newId('customer'), { reservationId: newId('reservation'), lines: [{ productId: newId('product'), name: 'Lamp', sku: 'LAMP-1', unitPriceCents: 2500, quantity: 1 }] }), newId('order'), 'PAID', new Date());
    await orders().create({ ...doc, outboxDone: doc.outbox.map((e) => e.id), outboxPending: 0 });
    return (await orders().findById(doc._id).lean<OrderDoc>())!;
  }

  it('20 admins move the same order at once: exactly one succeeds, the other 19 get CONFLICT, history has one new entry', async () => {
    const order = await paidOrder();
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => stack.orders.deps.ordersService.setStatus(order._id, 'PROCESSING', admin)));

    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const err of lost) {
      expect(err).toBeInstanceOf(ConflictError);
      expect(err.details).toMatchObject({ from: 'PROCESSING', to: 'PROCESSING' });
    }
    const stored = await orders().findById(order._id).lean<OrderDoc>();
    expect(stored!.status).toBe('PROCESSING');
    expect(stored!.statusHistory.map((c) => [c.from, c.to])).toEqual([[null, 'PAID'], ['PAID', 'PROCESSING']]);
  });

  it('a customer canceling while admins ship the same order: one move wins, and only its messages are stored', async () => {
    const order = await paidOrder();
    const owner = { customerId: order.customerId, role: 'CUSTOMER' as const };
    const tracking = { carrier: 'DHL', trackingNumber: 'JD0146' };
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 5 }, () => stack.orders.deps.ordersService.cancel(order._id, owner)),
      ...Array.from({ length: 5 }, () => stack.orders.deps.ordersService.updateTracking(order._id, tracking, admin)),
    ]);

    const stored = (await orders().findById(order._id).lean<OrderDoc>())!;
    const [cancels, shipments] = [outcomes.slice(0, 5), outcomes.slice(5)];
    // One move after PAID (which owed its event and the confirmation email): a cancellation owes four
    // messages (refund, restock, event, email), shipping two (event, email).
    expect(stored.statusHistory).toHaveLength(2);
    if (stored.status === 'CANCELED') {
      expect(cancels.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(shipments.every((o) => o.status === 'rejected')).toBe(true);
      expect(stored.outbox).toHaveLength(2 + 4);
    } else {
      // Shipped first: every cancel is refused; later tracking calls only correct the tracking.
      expect(stored.status).toBe('SHIPPED');
      expect(cancels.every((o) => o.status === 'rejected')).toBe(true);
      expect(stored.outbox).toHaveLength(2 + 2);
    }
  });

  it('a paid result delivered 5 times at once makes one order, commits the stock once and owes one event', async () => {
    const product = await createProduct(stack, 5);
    const hold = await reserve(stack, product, 2);
    const result = paymentResult(newId('customer'), hold);
    const returned = await deliver(result, 5);

    const stored = await orders().find({ paymentId: result.paymentId }).lean<OrderDoc[]>();
    expect(stored).toHaveLength(1);
    expect(new Set(returned.map((o) => o._id))).toEqual(new Set([stored[0]._id]));
    expect(stored[0]).toMatchObject({ status: 'PAID', outboxPending: 0, outboxDone: [`${stored[0]._id}-paid`, `notify-${stored[0]._id}-ORDER_PLACED`] });
    expect(stored[0].statusHistory).toHaveLength(1);
    expect(await analyticsJobsOf(stored[0]._id)).toEqual([`${stored[0]._id}-paid`]);
    expect(await stockOf(stack, product.productId)).toEqual({ onHand: 3, reserved: 0 });
  });

  it('failure notices recorded while the success was still committing its stock: the success wins, upgrading the attempt once', async () => {
    const product = await createProduct(stack, 5);
    const hold = await reserve(stack, product, 1);
    const succeeded = paymentResult(newId('customer'), hold);
    const failed: PaymentResult = { ...succeeded, outcome: 'failed', failureReason: 'card_declined' };
    // A slow commit (as under load) lets the failures insert their attempt after the successes found no order.
    const slowCommit = { ...deps, commitStock: async (id: string) => (await new Promise((r) => setTimeout(r, 200)), deps.commitStock(id)) };
    const successes = Promise.all(Array.from({ length: 3 }, () => handlePaymentResult(succeeded, slowCommit)));
    await new Promise((r) => setTimeout(r, 50));
    await deliver(failed, 3);
    const returned = await successes;

    const stored = await orders().find({ paymentId: succeeded.paymentId }).lean<OrderDoc[]>();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ status: 'PAID', outboxPending: 0 });
    expect(stored[0].statusHistory.map((c) => [c.from, c.to])).toEqual([[null, 'FAILED'], ['FAILED', 'PAID']]);
    expect(returned.map((o) => o.status)).toEqual(['PAID', 'PAID', 'PAID']);
    expect(await analyticsJobsOf(stored[0]._id)).toEqual([`${stored[0]._id}-failed`, `${stored[0]._id}-paid`]);
  });

  it('refund results racing on one order record the largest amount once, and the reported steps add up to it', async () => {
    const product = await createProduct(stack, 5, 500);
    const hold = await reserve(stack, product, 2);
    const paid = paymentResult(newId('customer'), hold);
    const order = (await deliver(paid, 1))[0];
    const refunded = (cents: number): PaymentResult => ({ ...paid, outcome: 'refunded', refundedCents: cents });
    await Promise.all([100, 300, 500, 1000, 300, 700, 200, 900, 1000, 600].map((cents) => handlePaymentResult(refunded(cents), deps)));

    const stored = (await orders().findById(order._id).lean<OrderDoc>())!;
    expect(stored).toMatchObject({ status: 'REFUNDED', refundedCents: 1000, outboxPending: 0 });
    const steps = stored.outbox.filter((e) => e.id.includes('-refunded-')).map((e) => JSON.parse(e.payload).refundCents as number);
    expect(steps.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(new Set(stored.outbox.map((e) => e.id)).size).toBe(stored.outbox.length);
  });

  it('ten relays racing over one order with four pending messages publish each once and count each done once', async () => {
    const base = await paidOrder();
    const owed = followUpsFor(base, 'CANCELED', new Date(), 'req-relay');
    const outbox = [...base.outbox, ...owed];
    // As a crash leaves it: the change and its messages stored, none published, untouched for a minute.
    const staleSince = new Date(Date.now() - 60_000);
    await orders().collection.updateOne({ _id: base._id } as never, { $set: { status: 'CANCELED', outbox, outboxDone: [], outboxPending: outbox.length, updatedAt: staleSince } });

    await Promise.all(Array.from({ length: 10 }, () => relayOutboxOnce(orders(), q.orderQueues.publisher, deps.logger, { minAgeMs: 0 })));

    const stored = (await orders().findById(base._id).lean<OrderDoc>())!;
    expect(stored.outboxPending).toBe(0);
    expect([...stored.outboxDone].sort()).toEqual(outbox.map((e) => e.id).sort());
    expect(await analyticsJobsOf(base._id)).toEqual([`${base._id}-canceled`, `${base._id}-paid`]);
    expect(await q.jobIds(QUEUES.inventory)).toContain(`restock-${base.reservationId}`);
    expect(await q.jobIds(QUEUES.refunds)).toContain(`refund-${base._id}-order_canceled`);
  });

  it('publishers racing with overlapping views of the outbox (some entries already done) still count each entry once', async () => {
    const base = await paidOrder();
    const owed = followUpsFor(base, 'CANCELED', new Date(), 'req-overlap');
    await orders().updateOne({ _id: base._id }, { $set: { status: 'CANCELED' }, $push: { outbox: { $each: owed } }, $inc: { outboxPending: owed.length } });
    const ids = owed.map((e) => e.id);
    const views = [ids, ids.slice(0, 1), ids.slice(1), ids.slice(0, 2), ids.slice(2), [ids[1]], ids];

    await Promise.all([...views, ...views].map((view) => markPublished(orders(), base._id, view)));

    const stored = (await orders().findById(base._id).lean<OrderDoc>())!;
    expect(stored.outboxPending).toBe(0);
    expect([...stored.outboxDone].sort()).toEqual([...base.outboxDone, ...ids].sort());
  });
});
