import type { Model, UpdateQuery } from 'mongoose';
import { ConflictError, NotFoundError } from '../lib/errors';
import { assertTransition, type Actor } from './lifecycle';
import type { OrderDoc, OrderStatus, OutboxEntry, StatusChange } from './model';

/**
 * Every change to an existing order is ONE conditional write on the status the caller read:
 * the filter carries the expected status, so of any number of racing writers exactly one
 * matches; the others get null and learn, by one re-read, what the order really is.
 */
export interface Change {
  to: OrderStatus;
  actor: Actor;
  /** Who, for statusHistory: a customer id, `admin:<id>`, or `system:payments`. */
  by: string;
  reason?: string;
  set?: Partial<OrderDoc>;
  outbox?: OutboxEntry[];
}

type StatusView = Pick<OrderDoc, '_id' | 'status'>;

/**
 * Moves `order` from the status it was read in to `change.to`, if the table allows it. The status,
 * its history entry and the messages it causes (outbox) are written together, only if the order is
 * still in the status read; otherwise nothing changes and the answer is CONFLICT with the real status.
 */
export async function applyTransition(orders: Model<OrderDoc>, order: StatusView, change: Change): Promise<OrderDoc> {
  assertTransition(order.status, change.to, change.actor);
  const updated = await orders.findOneAndUpdate({ _id: order._id, status: order.status }, transitionUpdate(order.status, change), { new: true }).lean<OrderDoc>();
  return updated ?? explainMiss(orders, order, change.to);
}

function transitionUpdate(from: OrderStatus, change: Change): UpdateQuery<OrderDoc> {
  const entry: StatusChange = { from, to: change.to, at: new Date(), by: change.by, ...(change.reason ? { reason: change.reason } : {}) };
  const outbox = change.outbox ?? [];
  return {
    $set: { ...change.set, status: change.to },
    $push: { statusHistory: entry, ...(outbox.length ? { outbox: { $each: outbox } } : {}) },
    ...(outbox.length ? { $inc: { outboxPending: outbox.length } } : {}),
  };
}

/**
 * Sets fields of an order only while it is still in the status read (e.g. correcting the tracking
 * of a SHIPPED order): no status move, no history entry.
 */
export async function setWhileInStatus(orders: Model<OrderDoc>, order: StatusView, set: Partial<OrderDoc>): Promise<OrderDoc> {
  const updated = await orders.findOneAndUpdate({ _id: order._id, status: order.status }, { $set: set }, { new: true }).lean<OrderDoc>();
  return updated ?? explainMiss(orders, order, order.status);
}

/** A conditional write matched nothing: the order is gone (NOT_FOUND) or someone moved it first (CONFLICT). */
async function explainMiss(orders: Model<OrderDoc>, expected: StatusView, to: OrderStatus): Promise<never> {
  const now = await orders.findById(expected._id, { status: 1 }).lean<StatusView>();
  if (!now) throw new NotFoundError('Order');
  throw new ConflictError(`Order changed meanwhile: it is ${now.status}, not ${expected.status}`, { from: now.status, to });
}
