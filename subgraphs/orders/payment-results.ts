import type { Model } from 'mongoose';
import { ConflictError, isDuplicateKeyError } from '../lib/errors';
import { newId } from '../lib/ids';
import { ordersCreated } from '../lib/metrics';
import type { Logger } from '../lib/logger';
import type { PaymentResult } from '../lib/queues';
import { PAYMENTS_ACTOR, analyticsEntry, canceledFollowUps, followUpsFor, orderFromPaymentResult } from './events';
import { canTransition, refundTarget } from './lifecycle';
import type { OrderDoc } from './model';
import { publishOutbox } from '../lib/outbox';
import { refundNotifications } from './notifications/entries';
import type { OrderQueues } from './queues';
import type { StockOutcome } from './stock';
import { applyTransition } from './transition';

/**
 * Turns payment results into orders. Idempotency: the unique index on paymentId makes the insert
 * happen once; every later step is a conditional write driven by the STORED order (its status,
 * refundedCents and outbox), never by the redelivered payload, so a retry after a crash between
 * steps only finishes what is pending.
 */
export interface PaymentResultDeps {
  orders: Model<OrderDoc>;
  queues: Pick<OrderQueues, 'publisher'>;
  logger: Logger;
  commitStock: (reservationId: string) => Promise<StockOutcome>;
}

export class OrderNotYetCreatedError extends Error {}

export async function handlePaymentResult(r: PaymentResult, deps: PaymentResultDeps): Promise<OrderDoc> {
  const order = await HANDLERS[r.outcome](r, deps);
  await publishOutbox(deps.orders, deps.queues.publisher, order);
  return order;
}

/** A payment's order, by its real key (the unique paymentId index). */
const findByPayment = (orders: Model<OrderDoc>, paymentId: string) => orders.findOne({ paymentId }).lean<OrderDoc>();

type NewOrder = ReturnType<typeof orderFromPaymentResult>;

/** Insert once; a duplicate key means another delivery got there first: carry on with that order. */
async function insertOnce(orders: Model<OrderDoc>, doc: NewOrder): Promise<OrderDoc> {
  try {
    const created = (await orders.create(doc)).toObject() as OrderDoc;
    // Counted here, after the insert that won, so redeliveries never count twice.
    if (created.status !== 'FAILED') ordersCreated.inc({ currency: created.currency });
    return created;
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const winner = await findByPayment(orders, doc.paymentId);
    if (!winner) throw err;
    return winner;
  }
}

async function onSucceeded(r: PaymentResult, deps: PaymentResultDeps): Promise<OrderDoc> {
  const existing = await findByPayment(deps.orders, r.paymentId);
  // Already recorded (any status but FAILED): the stock was committed then, or the order moved on since.
  if (existing && existing.status !== 'FAILED') return existing;
  // Commit before deciding the status: a PAID order is one whose stock is ours. Idempotent on retry.
  const stock = await deps.commitStock(r.reservationId);
  const status = stock === 'COMMITTED' ? 'PAID' : 'OVERSOLD_REFUNDED';
  if (stock === 'OVERSOLD') deps.logger.warn('payment succeeded but stock is gone: refunding', { paymentId: r.paymentId, reservationId: r.reservationId });
  const order = existing ?? (await insertOnce(deps.orders, orderFromPaymentResult(r, newId('order'), status, new Date())));
  // The recorded attempt failed (before, or in a race with this success): the success wins.
  return order.status === 'FAILED' ? upgradeFailedAttempt(order, status, r, deps) : order;
}

/** A payment that failed once and then succeeded: move the recorded attempt on, once. */
async function upgradeFailedAttempt(attempt: OrderDoc, status: 'PAID' | 'OVERSOLD_REFUNDED', r: PaymentResult, deps: PaymentResultDeps): Promise<OrderDoc> {
  try {
    return await applyTransition(deps.orders, attempt, {
      to: status,
      actor: 'payments',
      by: PAYMENTS_ACTOR,
      reason: 'payment succeeded after a failed attempt',
      outbox: followUpsFor(attempt, status, r.occurredAt, r.requestId),
    });
  } catch (err) {
    // A concurrent delivery of this success upgraded it first: carry on with what it recorded.
    if (!(err instanceof ConflictError)) throw err;
    const upgraded = await findByPayment(deps.orders, r.paymentId);
    if (!upgraded) throw err;
    return upgraded;
  }
}

async function onFailed(r: PaymentResult, deps: PaymentResultDeps): Promise<OrderDoc> {
  const existing = await findByPayment(deps.orders, r.paymentId);
  // A recorded success wins over a late failure notice: never release stock of a paid order.
  if (existing) return existing;
  // Losing the insert race to a success returns that success: the failure changes nothing.
  return insertOnce(deps.orders, orderFromPaymentResult(r, newId('order'), 'FAILED', new Date()));
}

/**
 * The payment will never be paid: its FAILED attempt gives the held stock back (once: the release
 * entry's id is in the filter). A paid order is never touched by a late cancel.
 */
async function onCanceled(r: PaymentResult, deps: PaymentResultDeps): Promise<OrderDoc> {
  const attempt = (await findByPayment(deps.orders, r.paymentId)) ?? (await insertOnce(deps.orders, orderFromPaymentResult(r, newId('order'), 'FAILED', new Date())));
  if (attempt.status !== 'FAILED') return attempt;
  const release = canceledFollowUps(attempt, r.requestId);
  const updated = await deps.orders
    .findOneAndUpdate({ _id: attempt._id, status: 'FAILED', 'outbox.id': { $nin: release.map((e) => e.id) } }, { $push: { outbox: { $each: release } }, $inc: { outboxPending: release.length } }, { new: true })
    .lean<OrderDoc>();
  return updated ?? (await findByPayment(deps.orders, r.paymentId)) ?? attempt;
}

/**
 * Re-reads after a lost race before handing the job back to its retry (backoff). A race is lost
 * only to a write that raised refundedCents or moved the status, both bounded, so a writer loses
 * at most one race per concurrent refund result of the same payment (10 racing results in
 * test/orders-concurrency.test.ts: up to 9); 5 was too few for that, and backoff then delays a
 * refund's analytics by seconds for no reason.
 */
const REFUND_ATTEMPTS = 32;

/**
 * Refund results carry the CUMULATIVE refunded amount, applied only if larger than what is
 * recorded, so late or repeated results change nothing. The write is conditional on the status and
 * refundedCents just read: the analytics event carries the step from that amount, so a concurrent
 * refund result landing in between must make this write miss (re-read, recompute), not double count.
 */
async function onRefunded(r: PaymentResult, deps: PaymentResultDeps): Promise<OrderDoc> {
  for (let attempt = 1; attempt <= REFUND_ATTEMPTS; attempt++) {
    const order = await findByPayment(deps.orders, r.paymentId);
    // The succeeded result has not been processed yet: retry later (backoff) rather than lose the refund.
    if (!order) throw new OrderNotYetCreatedError(`no order yet for payment ${r.paymentId}`);
    if (r.refundedCents <= order.refundedCents || order.status === 'FAILED') return order;
    const updated = await deps.orders
      .findOneAndUpdate({ paymentId: r.paymentId, status: order.status, refundedCents: order.refundedCents }, refundUpdate(order, r), { new: true })
      .lean<OrderDoc>();
    if (updated) return updated;
  }
  throw new Error(`refund result for payment ${r.paymentId} lost ${REFUND_ATTEMPTS} races in a row: retrying later`);
}

function refundUpdate(order: OrderDoc, r: PaymentResult) {
  const target = refundTarget(order.amountCents, r.refundedCents);
  const moves = target !== order.status && canTransition(order.status, target, 'payments');
  const refund = { stepCents: r.refundedCents - order.refundedCents, cumulativeCents: r.refundedCents };
  const event = analyticsEntry(order, 'order.refunded', r.occurredAt, r.requestId, { to: moves ? target : order.status, refund });
  // The customer is told of refunds on a live order (a cancellation's or oversold order's email already named the amount).
  const emails = refundNotifications(order, moves || target === order.status ? target : null, refund, r.occurredAt, r.requestId);
  const history = moves ? { statusHistory: { from: order.status, to: target, at: new Date(), by: PAYMENTS_ACTOR, reason: `refunded ${r.refundedCents} of ${order.amountCents}` } } : {};
  return { $set: { refundedCents: r.refundedCents, ...(moves ? { status: target } : {}) }, $push: { outbox: { $each: [event, ...emails] }, ...history }, $inc: { outboxPending: 1 + emails.length } };
}

const HANDLERS: Record<PaymentResult['outcome'], (r: PaymentResult, deps: PaymentResultDeps) => Promise<OrderDoc>> = {
  succeeded: onSucceeded,
  failed: onFailed,
  canceled: onCanceled,
  refunded: onRefunded,
};
