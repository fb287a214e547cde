import type { Model, UpdateQuery } from 'mongoose';
import { z } from 'zod';
import { ConflictError, ForbiddenError, NotFoundError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { currentRequestScope } from '../lib/request-context';
import { randomUUID } from 'node:crypto';
import { followUpsFor } from './events';
import { assertTransition, trackingTarget, type Actor } from './lifecycle';
import { ORDER_STATUSES, type OrderDoc, type OrderStatus, type OutboxEntry, type StatusChange } from './model';
import { withOrderLock } from './order-lock';
import { publishOutboxSoon, type OutboxQueues } from './outbox';

/** Order lifecycle operations: every status change goes through applyTransition (one table, one conditional update). */
export interface OrdersServiceDeps {
  orders: Model<OrderDoc>;
  queues: OutboxQueues;
  logger: Logger;
}

export interface Change {
  to: OrderStatus;
  actor: Actor;
  /** Who, for statusHistory: a customer id, `admin:<id>`, or `system:payments`. */
  by: string;
  reason?: string;
  set?: Partial<OrderDoc>;
  outbox?: OutboxEntry[];
}

/**
 * Moves `order` from its current status to `change.to` if the table allows it, under the order's
 * write lease: if someone else moved it since the caller read it, nothing changes and we answer
 * CONFLICT with the status it really has. The status, history entry and outbox entries are one write.
 */
export function applyTransition(orders: Model<OrderDoc>, order: OrderDoc, change: Change): Promise<OrderDoc> {
  return withOrderLock(orders, order._id, async () => {
    const now = await orders.findById(order._id).lean<OrderDoc>();
    if (!now) throw new NotFoundError('Order');
    if (now.status !== order.status) throw new ConflictError(`Order changed meanwhile: it is ${now.status}, not ${order.status}`, { from: now.status, to: change.to });
    return writeTransition(orders, now, change);
  });
}

async function writeTransition(orders: Model<OrderDoc>, order: OrderDoc, change: Change): Promise<OrderDoc> {
  const from = order.status;
  assertTransition(from, change.to, change.actor);
  const entry: StatusChange = { from, to: change.to, at: new Date(), by: change.by, ...(change.reason ? { reason: change.reason } : {}) };
  const outbox = change.outbox ?? [];
  const update: UpdateQuery<OrderDoc> = {
    $set: { ...change.set, status: change.to },
    $push: { statusHistory: entry, ...(outbox.length ? { outbox: { $each: outbox } } : {}) },
    ...(outbox.length ? { $inc: { outboxPending: outbox.length } } : {}),
  };
  // `{_id}` alone: the lease (and the status check on the fresh read) make it safe, and FerretDB
  // uses its `_id` fast path only for that exact filter.
  const updated = await orders.findOneAndUpdate({ _id: order._id }, update, { new: true }).lean<OrderDoc>();
  if (!updated) throw new NotFoundError('Order');
  return updated;
}

export const reasonSchema = z.string().trim().min(1).max(500).optional();
export const trackingSchema = z.object({
  carrier: z.string().trim().min(1).max(100),
  trackingNumber: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9 -]+$/, 'letters, digits, spaces and dashes only'),
});
export const settableStatusSchema = z.enum(ORDER_STATUSES);

export interface Caller {
  customerId: string;
  role: 'CUSTOMER' | 'ADMIN';
}

const requestId = () => currentRequestScope()?.requestId ?? randomUUID();
const byOf = (caller: Caller) => (caller.role === 'ADMIN' ? `admin:${caller.customerId}` : caller.customerId);

export function createOrdersService({ orders, queues, logger }: OrdersServiceDeps) {
  /** The order, if the caller may act on it; FORBIDDEN either way otherwise (existence must not leak). */
  async function ownedOrder(orderId: string, caller: Caller): Promise<OrderDoc> {
    const order = await orders.findById(orderId).lean<OrderDoc>();
    if (!order || (caller.role !== 'ADMIN' && order.customerId !== caller.customerId)) throw new ForbiddenError();
    return order;
  }

  async function changed(order: OrderDoc): Promise<OrderDoc> {
    await publishOutboxSoon(orders, queues, order, logger);
    return order;
  }

  /** Cancelling keeps the order and its history: it refunds the payment and returns the stock, both via queues. */
  async function cancel(orderId: string, caller: Caller, reason?: string): Promise<OrderDoc> {
    const order = await ownedOrder(orderId, caller);
    const updated = await applyTransition(orders, order, {
      to: 'CANCELLED',
      actor: caller.role === 'ADMIN' ? 'admin' : 'customer',
      by: byOf(caller),
      reason: reason ?? 'cancelled',
      outbox: followUpsFor(order, 'CANCELLED', new Date(), requestId()),
    });
    return changed(updated);
  }

  /** Admin moves along the table; CANCELLED goes through cancel() so the refund and stock return happen. */
  async function setStatus(orderId: string, to: OrderStatus, caller: Caller, reason?: string): Promise<OrderDoc> {
    if (to === 'CANCELLED') return cancel(orderId, caller, reason);
    const order = await ownedOrder(orderId, caller);
    return applyTransition(orders, order, { to, actor: 'admin', by: byOf(caller), reason });
  }

  /** Sets tracking; ships a PAID or PROCESSING order, corrects the tracking of a SHIPPED one. */
  async function updateTracking(orderId: string, tracking: z.infer<typeof trackingSchema>, caller: Caller): Promise<OrderDoc> {
    const order = await ownedOrder(orderId, caller);
    const target = trackingTarget(order.status);
    if (!target) throw new ConflictError(`Cannot add tracking to an order that is ${order.status}`, { from: order.status, to: 'SHIPPED' });
    const set = { tracking: { ...tracking, updatedAt: new Date() } };
    if (target.moves) return applyTransition(orders, order, { to: 'SHIPPED', actor: 'admin', by: byOf(caller), reason: `tracking ${tracking.carrier} ${tracking.trackingNumber}`, set });
    return withOrderLock(orders, order._id, async () => {
      const now = await orders.findById(order._id).lean<OrderDoc>();
      if (now?.status !== 'SHIPPED') throw new ConflictError('Order changed meanwhile', { from: now?.status ?? order.status, to: 'SHIPPED' });
      return (await orders.findOneAndUpdate({ _id: order._id }, { $set: set }, { new: true }).lean<OrderDoc>())!;
    });
  }

  return { ownedOrder, cancel, setStatus, updateTracking };
}
export type OrdersService = ReturnType<typeof createOrdersService>;
