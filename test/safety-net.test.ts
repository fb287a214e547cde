import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Queue } from 'bullmq';
import { startMailpit, type Mailpit } from '../scripts/backing/mail';
import { startPrivateRedis, type PrivateRedis } from '../scripts/chaos/redis';
import { newId } from '../subgraphs/lib/ids';
import { publishOutbox } from '../subgraphs/lib/outbox';
import { QUEUES } from '../subgraphs/lib/queues';
import type { SafetyNetSettings } from '../subgraphs/lib/safety-net';
import { startAnalyticsWorker } from '../subgraphs/orders/analytics/worker-main';
import { analyticsModels } from '../subgraphs/orders/analytics/model';
import { followUpsFor, orderFromPaymentResult } from '../subgraphs/orders/events';
import type { OrderDoc } from '../subgraphs/orders/model';
import { commitStock } from '../subgraphs/orders/stock';
import { startOrdersWorker } from '../subgraphs/orders/worker';
import { buildIntentEvent } from '../subgraphs/payments/simulated-webhooks';
import { startPaymentsWorker } from '../subgraphs/payments/worker';
import { startProductsWorker } from '../subgraphs/products/worker';
import { internalClient } from '../subgraphs/lib/internal-client';
import { createLogger } from '../subgraphs/lib/logger';
import { sweepOrderMessages } from '../subgraphs/orders/results-sweep';
import { sweepPaymentResults } from '../subgraphs/payments/sweep';
import type { NotificationDoc } from '../subgraphs/orders/notifications/model';
import { aCustomer, inbox, notificationRecords, startNotifications } from './notifications-flows';
import { createProduct, paymentResult, pipelineQueues, reserve, stockOf, waitFor } from './support/orders';
import { deliver, loadPayment, seedPayment } from './support/payments';
import { startStack, type TestStack } from './support/stack';

/** Short enough for a test; production waits minutes (lib/safety-net.ts). */
const SAFETY_NET: Partial<SafetyNetSettings> = { graceMs: 1_000, intervalMs: 250, lookbackMs: 5 * 60_000 };

/**
 * Redis acknowledges a job, the outbox marks it published, and then Redis dies and loses it (with
 * appendonly everysec, the last second of writes; here a Redis that keeps nothing, the worst
 * case). The outbox relay cannot help: for it the message is done. The safety net sees the effect
 * missing after the grace period and republishes the message under the same job id, once. The
 * customer emails here go to a real SMTP server (Mailpit, read through its API).
 */
describe('the safety net: messages Redis lost after they were marked published', () => {
  let redis: PrivateRedis;
  let mailpit: Mailpit;
  let tempDir: string;
  let stack: TestStack;
  let q: ReturnType<typeof pipelineQueues>;
  let workers: Array<{ stop(): Promise<void> }> = [];
  const orders = () => stack.orders.deps.orders;
  const jobState = (queue: Queue, id: string) => queue.getJobState(id);

  /** A checkout paid by a signed webhook: its result published to Redis, not yet consumed. */
  async function paidCheckout() {
    const product = await createProduct(stack, 5);
    const hold = await reserve(stack, product, 2);
    const payment = await seedPayment(stack, { lines: hold.lines, amountCents: 2 * product.priceCents, reservationId: hold.reservationId });
    expect((await deliver(stack, buildIntentEvent({ payment, outcome: 'succeeded' }))).status).toBe(200);
    await waitFor('the result published and marked', async () => (await loadPayment(stack, payment._id)).outboxPending === 0);
    return { product, payment };
  }

  /**
   * An order saved by the orders worker, its messages published (its confirmation email among
   * them); `canceled`: canceled afterwards (refund, restock and the cancellation email owed).
   */
  async function orderWithPublishedMessages(canceled: boolean, customerId?: string) {
    const product = await createProduct(stack, 5);
    const hold = await reserve(stack, product, 2);
    const products = internalClient({ url: stack.config.peers.products, target: 'products', service: 'orders', internalSecret: stack.config.internalSecret });
    expect(await commitStock(products, hold.reservationId)).toBe('COMMITTED');
    const payment = await seedPayment(stack, { status: 'SUCCEEDED', lines: hold.lines, amountCents: 2 * product.priceCents, reservationId: hold.reservationId, ...(customerId ? { customerId } : {}) });
    const result = paymentResult(payment.customerId, hold, { paymentId: payment._id });
    const paid = orderFromPaymentResult(result, newId('order'), 'PAID', new Date());
    const owed = canceled ? followUpsFor(paid, 'CANCELED', new Date(), 'req-cancel') : [];
    const outbox = [...paid.outbox, ...owed];
    const status = canceled ? 'CANCELED' : 'PAID';
    const saved = (await orders().create({ ...paid, status, outbox, outboxPending: outbox.length })).toObject() as OrderDoc;
    await publishOutbox(orders(), stack.orders.deps.queues.publisher, saved);
    return { product, payment, order: (await orders().findById(saved._id).lean<OrderDoc>())! };
  }

  let a: Awaited<ReturnType<typeof paidCheckout>>;
  let b: Awaited<ReturnType<typeof orderWithPublishedMessages>>;
  let c: Awaited<ReturnType<typeof orderWithPublishedMessages>>;
  /** b's customer: a real account, so b's confirmation email has somewhere to go. */
  let shopper: Awaited<ReturnType<typeof aCustomer>>;
  const confirmationJobId = () => `notify-${b.order._id}-ORDER_PLACED`;
  /** The jobs' states right after the crash, before any worker ran. */
  let afterCrash: Record<string, string>;

  beforeAll(async () => {
    tempDir = mkdtempSync(path.join(os.tmpdir(), 'safety-net-'));
    [redis, mailpit] = await Promise.all([startPrivateRedis(path.join(tempDir, 'redis'), 'none'), startMailpit()]);
    stack = await startStack({ redisUrl: redis.url });
    q = pipelineQueues(stack);
    shopper = await aCustomer(stack);
    a = await paidCheckout();
    b = await orderWithPublishedMessages(false, shopper.id);
    c = await orderWithPublishedMessages(true);
    expect(await jobState(q.queues[QUEUES.paymentResults], `${a.payment._id}-succeeded`)).toBe('waiting');
    expect(await jobState(q.queues[QUEUES.notifications], confirmationJobId())).toBe('waiting');

    await redis.crash();
    await redis.start();
    afterCrash = {
      result: await jobState(q.queues[QUEUES.paymentResults], `${a.payment._id}-succeeded`),
      analytics: await jobState(q.queues[QUEUES.analytics], `${b.order._id}-paid`),
      refund: await jobState(q.queues[QUEUES.refunds], `refund-${c.order._id}-order_canceled`),
      email: await jobState(q.queues[QUEUES.notifications], confirmationJobId()),
    };

    const config = { ...stack.config, port: 0 };
    workers = [
      await startPaymentsWorker(config, { relayIntervalMs: 200, safetyNet: SAFETY_NET }),
      await startOrdersWorker(config, { relayIntervalMs: 200, safetyNet: SAFETY_NET }),
      await startProductsWorker(config),
      await startAnalyticsWorker(config),
      await startNotifications(stack, mailpit.smtpUrl),
    ];
  }, 60_000);
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await q?.close();
    await stack?.stop();
    await redis?.stop();
    await mailpit?.stop();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  });

  it('the crash lost jobs that the outboxes had already marked published', async () => {
    expect(afterCrash).toEqual({ result: 'unknown', analytics: 'unknown', refund: 'unknown', email: 'unknown' });
    expect([b.order.outboxPending, c.order.outboxPending, (await loadPayment(stack, a.payment._id)).outboxPending]).toEqual([0, 0, 0]);
  });

  it('a paid payment whose result was lost gets its order, exactly one, with its stock sold once', async () => {
    const order = await waitFor('the order of the lost result', () => orders().findOne({ paymentId: a.payment._id, status: 'PAID' }).lean<OrderDoc>(), 30_000);
    expect(await orders().countDocuments({ paymentId: a.payment._id })).toBe(1);
    expect(order.amountCents).toBe(a.payment.amountCents);
    expect(await stockOf(stack, a.product.productId)).toEqual({ onHand: 3, reserved: 0 });
    // The order is written mid-job; the republished job completes once its follow-ups are published.
    const state = () => jobState(q.queues[QUEUES.paymentResults], `${a.payment._id}-succeeded`);
    expect(await waitFor('the republished result completed', async () => ((await state()) === 'completed' ? 'completed' : null), 10_000)).toBe('completed');
  });

  it('an order whose analytics event was lost is counted in the rollups, once', async () => {
    const analytics = analyticsModels(stack.orders.deps.orders.db);
    const marker = await waitFor('the analytics event applied', () => analytics.appliedEvents.findOne({ _id: `${b.order._id}-paid`, state: 'done' }).lean(), 30_000);
    expect(marker.duplicates).toBe(0);
    const customer = await waitFor('the customer rollup', () => analytics.customers.findOne({ customerId: b.order.customerId }).lean(), 10_000);
    expect(customer).toMatchObject({ orderCount: 1, lifetimeValueCents: b.order.amountCents });
  });

  it('a canceled order whose refund and restock were lost is refunded once and its stock comes back once', async () => {
    const refunded = await waitFor('the order to show the refund', () => orders().findOne({ _id: c.order._id, refundedCents: c.order.amountCents }).lean<OrderDoc>(), 30_000);
    expect(refunded.refundedCents).toBe(c.payment.amountCents);
    const payment = await loadPayment(stack, c.payment._id);
    expect(payment).toMatchObject({ status: 'REFUNDED', refundedCents: c.payment.amountCents });
    expect(payment.refunds).toHaveLength(1);
    await waitFor('the stock back on hand', async () => (await stockOf(stack, c.product.productId)).onHand === 5, 30_000);
    expect(await stockOf(stack, c.product.productId)).toEqual({ onHand: 5, reserved: 0 });
  });

  it('an order whose confirmation email was lost emails the customer once', async () => {
    const recordId = `${b.order._id}:ORDER_PLACED`;
    const record = await waitFor('the confirmation sent', () => notificationRecords(stack).findOne({ _id: recordId, status: 'SENT' }).lean<NotificationDoc>(), 30_000);
    const state = () => jobState(q.queues[QUEUES.notifications], confirmationJobId());
    expect(await waitFor('the republished email job completed', async () => ((await state()) === 'completed' ? 'completed' : null), 10_000)).toBe('completed');
    // One claim, one send: the republished job found no record and created it.
    expect(record.attempts).toBe(1);
    expect(await notificationRecords(stack).countDocuments({ orderId: b.order._id, event: 'ORDER_PLACED' })).toBe(1);
    const received = await inbox(mailpit.webUrl).messagesTo(shopper.email);
    expect(received.map((m) => m.MessageID)).toEqual([record.messageId.slice(1, -1)]);
  });

  it('once every effect shows, a pass over everything republishes nothing', async () => {
    // Every email owed has settled: b's sent, the others FAILED (their customers have no account).
    const orderIds = (await orders().find({ paymentId: { $in: [a.payment._id, b.payment._id, c.payment._id] } }, { _id: 1 }).lean<OrderDoc[]>()).map((o) => o._id);
    const settled = () => notificationRecords(stack).countDocuments({ orderId: { $in: orderIds }, status: { $ne: 'PENDING' } });
    await waitFor('four emails settled (three confirmations, one cancellation)', async () => (await settled()) === 4, 30_000);
    const window = { from: new Date(Date.now() - 5 * 60_000), to: new Date() };
    const logger = createLogger('safety-net-test', 'error');
    const service = stack.payments.deps.service;
    const ordersCall = { orders: internalClient({ url: stack.config.peers.orders, target: 'orders', service: 'payments', internalSecret: stack.config.internalSecret }) };
    const paymentsDeps = { payments: service.models.payments, ...ordersCall, resultsQueue: service.resultsQueue.queue, publisher: service.publisher, logger };
    const payments = await sweepPaymentResults(paymentsDeps, window, 100);
    // A page at a time, however small, visits every document once.
    expect((await sweepPaymentResults(paymentsDeps, window, 1)).checked).toBe(payments.checked);
    const ordersDeps = stack.orders.deps;
    const analytics = analyticsModels(ordersDeps.orders.db);
    const ordersPass = await sweepOrderMessages({ orders: ordersDeps.orders, analytics, queues: new Map(Object.entries(ordersDeps.queues.byName)), publisher: ordersDeps.queues.publisher, logger }, window, 100);
    expect(payments.checked).toBeGreaterThanOrEqual(3);
    expect(ordersPass.checked).toBeGreaterThanOrEqual(3);
    for (const pass of [payments, ordersPass]) expect(pass).toMatchObject({ republished: 0, failedForGood: 0, completedWithoutEffect: 0 });
    // Only c's restock is out of the orders side's sight; every email's record shows its effect.
    expect(ordersPass.suspects).toBe(1);
    expect(await orders().countDocuments({ paymentId: { $in: [a.payment._id, b.payment._id, c.payment._id] } })).toBe(3);
  });
});
