import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '../lib/errors';
import { ordersCreated } from '../lib/metrics';
import type { Logger } from '../lib/logger';
import type { PaymentResult } from '../lib/queues';
import { PAYMENTS_ACTOR, analyticsEntry, followUpsFor, orderFromPaymentResult } from './events';
import { canTransition, refundTarget } from './lifecycle';
import type { OrderDoc } from './model';
import { publishOutbox, type OutboxQueues } from './outbox';
import { withOrderLock } from './order-lock';
import { applyTransition } from './service';
import type { StockOutcome } from './stock';

/**
 * Turns payment results into orders. Idempotency: the unique index on paymentId makes the insert
 * happen once; every later step is driven by the STORED order (its status and outbox), never by
 * the redelivered payload, so a retry after a crash between steps only finishes what is pending.
 */
export interface PaymentResultDeps {
  orders: Model<OrderDoc>;
  queues: OutboxQueues;
  logger: Logger;
  commitStock: (reservationId: string) => Promise<StockOutcome>;
  /** Test-only pause after the order is saved, before its messages are published (off unless set). */
  holdAfterSaveMs?: number;
}

export class OrderNotYetCreatedError extends Error {}

export async function handlePaymentResult(r: PaymentResult, deps: PaymentResultDeps): Promise<OrderDoc> {
  const order = r.outcome === 'succeeded' ? await onSucceeded(r, deps) : r.outcome === 'failed' ? await onFailed(r, deps) : await onRefunded(r, deps);
  if (deps.holdAfterSaveMs) await new Promise((resolve) => setTimeout(resolve, deps.holdAfterSaveMs));
  await publishOutbox(deps.orders, deps.queues, order);
  return order;
}

/**
 * An order's id is derived from its payment's, so the worker finds a payment's order by `_id`.
 * On FerretDB v1 only `_id` lookups avoid a full collection scan (a unique secondary index is
 * kept but not used for reads: 166 ms per lookup at 10,000 orders), and a derived id also makes
 * a second insert for the same payment collide on `_id` as well as on the paymentId index.
 */
export function orderIdForPayment(paymentId: string): string {
  return `ord_${paymentId.replace(/^pay_/, '')}`;
}

const findByPayment = (orders: Model<OrderDoc>, paymentId: string) => orders.findById(orderIdForPayment(paymentId)).lean<OrderDoc>();

/** Insert once; a duplicate key means another delivery got there first: carry on with that order. */
async function insertOnce(orders: Model<OrderDoc>, doc: ReturnType<typeof orderFromPaymentResult>): Promise<OrderDoc> {
  try {
    const created = (await orders.create(doc)).toObject() as OrderDoc;
    // Counted here, after the insert that won, so redeliveries never count twice.
    if (created.status !== 'FAILED') ordersCreated.inc({ currency: created.currency });
    return created;
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const existing = await findByPayment(orders, doc.paymentId);
    if (!existing) throw err;
    return existing;
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
  if (!existing) return insertOnce(deps.orders, orderFromPaymentResult(r, orderIdForPayment(r.paymentId), status, new Date()));
  // A payment that failed once and then succeeded: upgrade the recorded attempt.
  return applyTransition(deps.orders, existing, {
    to: status,
    actor: 'payments',
    by: PAYMENTS_ACTOR,
    reason: 'payment succeeded after a failed attempt',
    outbox: followUpsFor(existing, status, r.occurredAt, r.requestId),
  });
}

async function onFailed(r: PaymentResult, deps: PaymentResultDeps): Promise<OrderDoc> {
  const existing = await findByPayment(deps.orders, r.paymentId);
  // A recorded success wins over a late failure notice: never release stock of a paid order.
  if (existing) return existing;
  return insertOnce(deps.orders, orderFromPaymentResult(r, orderIdForPayment(r.paymentId), 'FAILED', new Date()));
}

/**
 * Refund results carry the CUMULATIVE refunded amount: applied, under the order's lease, only if
 * larger than what is recorded, so late or repeated results change nothing.
 */
async function onRefunded(r: PaymentResult, deps: PaymentResultDeps): Promise<OrderDoc> {
  const found = await findByPayment(deps.orders, r.paymentId);
  // The succeeded result has not been processed yet: retry later (backoff) rather than lose the refund.
  if (!found) throw new OrderNotYetCreatedError(`no order yet for payment ${r.paymentId}`);
  return withOrderLock(deps.orders, found._id, async () => {
    const order = (await deps.orders.findById(found._id).lean<OrderDoc>())!;
    if (r.refundedCents <= order.refundedCents || order.status === 'FAILED') return order;
    const target = refundTarget(order.totalCents, r.refundedCents);
    const moves = target !== order.status && canTransition(order.status, target, 'payments');
    const event = analyticsEntry(order, 'order.refunded', r.occurredAt, r.requestId, { stepCents: r.refundedCents - order.refundedCents, cumulativeCents: r.refundedCents });
    const history = moves ? { statusHistory: { from: order.status, to: target, at: new Date(), by: PAYMENTS_ACTOR, reason: `refunded ${r.refundedCents} of ${order.totalCents}` } } : {};
    const updated = await deps.orders
      .findOneAndUpdate(
        { _id: order._id },
        { $set: { refundedCents: r.refundedCents, ...(moves ? { status: target } : {}) }, $push: { outbox: event, ...history }, $inc: { outboxPending: 1 } },
        { new: true },
      )
      .lean<OrderDoc>();
    return updated!;
  });
}
