import { AsyncLocalStorage } from 'node:async_hooks';
import type { Connection } from 'mongoose';
import { isDuplicateKeyError } from '../../subgraphs/lib/errors';
import type { Logger } from '../../subgraphs/lib/logger';
import { ensureIndexes } from '../../subgraphs/lib/mongo';
import type { OutboxEntry, OutboxPublisher } from '../../subgraphs/lib/outbox';
import { analyticsEventsQueue, paymentResultsQueue, refundJobId, refundRequestsQueue, type RefundRequest } from '../../subgraphs/lib/queues';
import { applyAnalyticsEvent } from '../../subgraphs/orders/analytics/apply';
import { allAnalyticsModels, analyticsModels } from '../../subgraphs/orders/analytics/model';
import { orderModel, type OrderDoc, type OrderStatus } from '../../subgraphs/orders/model';
import { handlePaymentResult } from '../../subgraphs/orders/payment-results';
import { createOrdersService, type Caller } from '../../subgraphs/orders/service';
import { ensurePaymentsIndexes } from '../../subgraphs/payments/index';
import { paymentsModels, type PaymentDoc } from '../../subgraphs/payments/model';
import { pendingPayment } from '../../subgraphs/payments/pending-payment';
import { buildChargeRefundedEvent, buildIntentEvent, type SimulatedEvent } from '../../subgraphs/payments/simulated-webhooks';
import { handleStripeEvent, type WebhookDeps } from '../../subgraphs/payments/webhook';
import type { Step, Story } from './plan';

/**
 * Makes each planned story happen through the same domain functions as the running system, in
 * this process, straight against the orders and payments databases:
 *
 * - the payment is created as checkout creates it (PENDING, priced lines, reservation id, intent);
 * - every payment outcome is a Stripe event (built by the same helper as `npm run pay`) handled by
 *   the webhook's handleStripeEvent, dated when it happened: the ledger, its outbox, the payment
 *   result with a backdated occurredAt;
 * - the outboxes publish into an in-process queue per story (below) whose consumers are the
 *   workers' functions: handlePaymentResult (orders), applyAnalyticsEvent (rollups), and for
 *   refund requests a Stripe charge.refunded event (what the payments worker's Stripe refund leads to);
 * - cancellations, fulfilment (processing, tracking, delivered) go through the orders service as a
 *   customer or an admin would.
 *
 * What is not replayed: stock. A year-old reservation does not exist in today's catalog, so the
 * orders worker's commitStock answers from the plan (COMMITTED, or OVERSOLD for the stories that
 * sold out) and inventory commands (release, restock) are counted, not sent; so are the messages
 * of any other queue (nothing of the past is to be acted on now).
 *
 * The domain functions stamp their own bookkeeping times (createdAt, statusHistory) with the real
 * clock; once a story is done, one write per document moves those to the story's times, so order
 * lists and histories read like the past they describe. The figures never depend on it: analytics
 * counts every order in the period its payment outcome happened (occurredAt, from the event).
 */
export interface HistoryStats {
  replayed: number;
  existing: number;
  consumed: Record<string, number>;
  /** Messages of the queues the history does not replay (stock commands, anything else), by queue. */
  notSent: Record<string, number>;
}

export interface HistoryPipeline {
  replay(story: Story): Promise<'replayed' | 'existing'>;
  stats: HistoryStats;
}

/** The messages one story's steps have published and not yet consumed, and the story's clock. */
interface StoryQueue {
  pending: OutboxEntry[];
  /** Job ids already added: adding one again is a no-op, as with BullMQ's job ids. */
  added: Set<string>;
  now: Date;
}

const MINUTE = 60_000;
/** The queues whose messages the history consumes; any other message (stock commands, ...) is counted, not sent. */
const REPLAYED_QUEUES = new Set<string>([paymentResultsQueue.name, analyticsEventsQueue.name, refundRequestsQueue.name]);
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** Which statuses each step puts the order in (for dating its statusHistory entries). */
const STATUSES_OF_STEP: Record<Step['kind'], OrderStatus[]> = {
  failed: ['FAILED'],
  succeeded: ['PAID', 'OVERSOLD_REFUNDED'],
  canceled: [],
  cancelOrder: ['CANCELED'],
  processing: ['PROCESSING'],
  shipped: ['SHIPPED'],
  delivered: ['DELIVERED'],
  refund: ['REFUNDED', 'PARTIALLY_REFUNDED'],
};

export async function openHistoryPipeline(conns: { orders: Connection; payments: Connection }, opts: { adminId: string; logger: Logger }): Promise<HistoryPipeline> {
  const orders = orderModel(conns.orders);
  const analytics = analyticsModels(conns.orders);
  const payments = paymentsModels(conns.payments);
  await ensureIndexes([orders, ...allAnalyticsModels(analytics)]);
  await ensurePaymentsIndexes(payments);

  const storyQueue = new AsyncLocalStorage<StoryQueue>();
  const stats: HistoryStats = { replayed: 0, existing: 0, consumed: {}, notSent: {} };
  const oversold = new Set<string>();
  const publisher: OutboxPublisher = {
    async publish(entry) {
      const queue = storyQueue.getStore();
      if (!queue) throw new Error(`outbox entry ${entry.id} published outside a story`);
      if (queue.added.has(entry.id)) return;
      queue.added.add(entry.id);
      queue.pending.push(entry);
    },
  };
  const logger = opts.logger;
  const webhook: WebhookDeps = { payments: payments.payments, events: payments.events, publisher, logger };
  const ordersDeps = {
    orders,
    queues: { publisher },
    logger,
    commitStock: async (reservationId: string) => (oversold.has(reservationId) ? ('OVERSOLD' as const) : ('COMMITTED' as const)),
  };
  const ordersService = createOrdersService({ orders, queues: { publisher }, logger });
  const admin: Caller = { customerId: opts.adminId, role: 'ADMIN' };

  async function stripeEvent(event: SimulatedEvent): Promise<void> {
    const handled = await handleStripeEvent(webhook, event);
    if (handled.outcome !== 'applied') throw new Error(`Stripe event ${event.type} ${event.id} was not applied: ${handled.outcome}`);
  }

  /** What the payments worker's refund leads to: Stripe refunds the charge and reports it (charge.refunded). */
  async function refundThroughStripe(request: RefundRequest, now: Date): Promise<void> {
    const payment = await payments.payments.findById(request.paymentId).lean<PaymentDoc>();
    if (!payment) throw new Error(`refund request for unknown payment ${request.paymentId}`);
    const amount = request.amountCents ?? payment.amountCents - payment.refundedCents;
    if (amount <= 0) return;
    await stripeEvent(buildChargeRefundedEvent({ payment, amountRefundedCents: payment.refundedCents + amount, eventId: `evt_${refundJobId(request)}`, created: seconds(new Date(now.getTime() + 2 * MINUTE)) }));
  }

  /** The consumer of each queue, as its worker would run it (payloads validated again by the queue's schema). */
  async function consume(entry: OutboxEntry, now: Date): Promise<void> {
    const data: unknown = JSON.parse(entry.payload);
    if (REPLAYED_QUEUES.has(entry.queue)) stats.consumed[entry.queue] = (stats.consumed[entry.queue] ?? 0) + 1;
    if (entry.queue === paymentResultsQueue.name) await handlePaymentResult(paymentResultsQueue.schema.parse(data), ordersDeps);
    else if (entry.queue === analyticsEventsQueue.name) await applyAnalyticsEvent(analytics, analyticsEventsQueue.schema.parse(data));
    else if (entry.queue === refundRequestsQueue.name) await refundThroughStripe(refundRequestsQueue.schema.parse(data), now);
    else stats.notSent[entry.queue] = (stats.notSent[entry.queue] ?? 0) + 1;
  }

  async function drain(queue: StoryQueue): Promise<void> {
    for (let entry = queue.pending.shift(); entry; entry = queue.pending.shift()) await consume(entry, queue.now);
  }

  /** The id of the story's order (only the id: the service reads the order itself). */
  async function orderOf(story: Story): Promise<Pick<OrderDoc, '_id'>> {
    const order = await orders.findOne({ paymentId: story.paymentId }, { _id: 1 }).lean<Pick<OrderDoc, '_id'>>();
    if (!order) throw new Error(`payment ${story.paymentId} has no order`);
    return order;
  }

  async function apply(story: Story, step: Step, index: number): Promise<void> {
    const facts = { _id: story.paymentId, intentId: story.intentId, amountCents: story.amountCents, currency: story.currency, customerId: story.customerId };
    const eventId = `evt_${story.paymentId}_${index}`;
    switch (step.kind) {
      case 'failed':
      case 'succeeded':
      case 'canceled':
        return stripeEvent(buildIntentEvent({ payment: facts, outcome: step.kind, eventId, created: seconds(step.at) }));
      case 'refund':
        return stripeEvent(buildChargeRefundedEvent({ payment: facts, amountRefundedCents: step.cumulativeCents, eventId, created: seconds(step.at) }));
      case 'cancelOrder': {
        const caller: Caller = step.by === 'customer' ? { customerId: story.customerId, role: 'CUSTOMER' } : admin;
        await ordersService.cancel((await orderOf(story))._id, caller, step.reason);
        return;
      }
      case 'processing':
      case 'delivered':
        await ordersService.setStatus((await orderOf(story))._id, step.kind === 'processing' ? 'PROCESSING' : 'DELIVERED', admin);
        return;
      case 'shipped':
        await ordersService.updateTracking((await orderOf(story))._id, { carrier: step.carrier, trackingNumber: step.trackingNumber }, admin);
        return;
    }
  }

  /** Moves the bookkeeping times the domain functions stamped with the real clock to the story's times. */
  async function backdate(story: Story): Promise<void> {
    const first = story.steps[0]?.at ?? story.checkoutAt;
    const last = story.steps[story.steps.length - 1]?.at ?? story.checkoutAt;
    // Through the driver: Mongoose would drop the write to createdAt (immutable under timestamps).
    await payments.payments.collection.updateOne({ _id: story.paymentId as never }, { $set: { createdAt: story.checkoutAt, updatedAt: last } });
    const order = await orders.findOne({ paymentId: story.paymentId }, { statusHistory: 1, tracking: 1 }).lean<Pick<OrderDoc, '_id' | 'statusHistory' | 'tracking'>>();
    if (!order) return;
    const when = new Map<OrderStatus, Date>();
    for (const step of story.steps) for (const status of STATUSES_OF_STEP[step.kind]) when.set(status, step.at);
    const statusHistory = order.statusHistory.map((entry) => ({ ...entry, at: when.get(entry.to) ?? entry.at }));
    const tracking = order.tracking ? { ...order.tracking, updatedAt: when.get('SHIPPED') ?? order.tracking.updatedAt } : undefined;
    await orders.collection.updateOne({ _id: order._id as never }, { $set: { createdAt: first, updatedAt: last, statusHistory, ...(tracking ? { tracking } : {}) } });
  }

  async function createPayment(story: Story): Promise<boolean> {
    try {
      // Shaped by checkout's own constructor; the intent is the story's (no Stripe call in a replay).
      await payments.payments.create(
        pendingPayment({
          paymentId: story.paymentId,
          customerId: story.customerId,
          idempotencyKey: `history-${story.paymentId}`,
          lines: story.lines,
          currency: story.currency,
          reservationId: story.reservationId,
          shippingAddress: story.shippingAddress,
          intentId: story.intentId,
        }),
      );
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async function replay(story: Story): Promise<'replayed' | 'existing'> {
    if (story.oversold) oversold.add(story.reservationId);
    const queue: StoryQueue = { pending: [], added: new Set(), now: story.checkoutAt };
    return storyQueue.run(queue, async () => {
      // The same seed replayed again finds its payments: that story is already told.
      if (!(await createPayment(story))) {
        stats.existing++;
        return 'existing' as const;
      }
      for (const [index, step] of story.steps.entries()) {
        queue.now = step.at;
        await apply(story, step, index);
        await drain(queue);
      }
      await backdate(story);
      stats.replayed++;
      return 'replayed' as const;
    });
  }

  return { replay, stats };
}
