import type { Model } from 'mongoose';
import { z } from 'zod';
import { ConflictError } from '../lib/errors';
import { requireOwnedBy, type Caller } from '../lib/guards';
import type { Logger } from '../lib/logger';
import { inventoryJobId } from '../lib/queues';
import { currentRequestScope } from '../lib/request-context';
import { randomUUID } from 'node:crypto';
import { followUpsFor } from './events';
import { trackingTarget } from './lifecycle';
import { ORDER_STATUSES, type OrderDoc, type OrderStatus } from './model';
import { publishOutboxSoon } from '../lib/outbox';
import { failedJobs, queueStatus, retryFailedJob, type failedJobsArgsSchema, type retryArgsSchema } from './queue-admin';
import type { OrderQueues } from './queues';
import { applyTransition, setWhileInStatus } from './transition';

/** Order lifecycle operations: every change is one conditional write on the status read (transition.ts). */
export interface OrdersServiceDeps {
  orders: Model<OrderDoc>;
  queues: Pick<OrderQueues, 'publisher'>;
  logger: Logger;
}

export const reasonSchema = z.string().trim().min(1).max(500).optional();
export const trackingSchema = z.object({
  carrier: z.string().trim().min(1).max(100),
  trackingNumber: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9 -]+$/, 'letters, digits, spaces and dashes only'),
});
export const settableStatusSchema = z.enum(ORDER_STATUSES);

export type { Caller };

/** What the payments safety net compares for one payment's order (the internal paymentOrderStates query). */
export interface PaymentOrderState {
  paymentId: string;
  status: OrderStatus;
  refundedCents: number;
  releaseRequested: boolean;
}
type StoredState = Pick<OrderDoc, 'paymentId' | 'status' | 'refundedCents' | 'reservationId'> & { outbox: Array<{ id: string }> };

const requestId = () => currentRequestScope()?.requestId ?? randomUUID();
const byOf = (caller: Caller) => (caller.role === 'ADMIN' ? `admin:${caller.customerId}` : caller.customerId);

export function createOrdersService({ orders, queues, logger }: OrdersServiceDeps) {
  /** The order, read fresh (the write that follows is conditional on it), if the caller may act on it (guards.ts). */
  async function ownedOrder(orderId: string, caller: Caller): Promise<OrderDoc> {
    return requireOwnedBy(caller, await orders.findById(orderId).lean<OrderDoc>());
  }

  async function changed(order: OrderDoc): Promise<OrderDoc> {
    await publishOutboxSoon(orders, queues.publisher, order, logger);
    return order;
  }

  /** Canceling keeps the order and its history: it refunds the payment and returns the stock, both via queues. */
  async function cancel(orderId: string, caller: Caller, reason?: string): Promise<OrderDoc> {
    const order = await ownedOrder(orderId, caller);
    const updated = await applyTransition(orders, order, {
      to: 'CANCELED',
      actor: caller.role === 'ADMIN' ? 'admin' : 'customer',
      by: byOf(caller),
      reason: reason ?? 'canceled',
      outbox: followUpsFor(order, 'CANCELED', new Date(), requestId()),
    });
    return changed(updated);
  }

  /** Admin moves along the table; CANCELED goes through cancel() so the refund and stock return happen. */
  async function setStatus(orderId: string, to: OrderStatus, caller: Caller, reason?: string): Promise<OrderDoc> {
    if (to === 'CANCELED') return cancel(orderId, caller, reason);
    const order = await ownedOrder(orderId, caller);
    return changed(await applyTransition(orders, order, { to, actor: 'admin', by: byOf(caller), reason, outbox: followUpsFor(order, to, new Date(), requestId()) }));
  }

  /** Sets tracking; ships a PAID or PROCESSING order, corrects the tracking of a SHIPPED one. */
  async function updateTracking(orderId: string, tracking: z.infer<typeof trackingSchema>, caller: Caller): Promise<OrderDoc> {
    const order = await ownedOrder(orderId, caller);
    const target = trackingTarget(order.status);
    if (!target) throw new ConflictError(`Cannot add tracking to an order that is ${order.status}`, { from: order.status, to: 'SHIPPED' });
    const set = { tracking: { ...tracking, updatedAt: new Date() } };
    if (target.moves) {
      // With the new tracking, so the shipping email carries it.
      const outbox = followUpsFor({ ...order, ...set }, 'SHIPPED', new Date(), requestId());
      return changed(await applyTransition(orders, order, { to: 'SHIPPED', actor: 'admin', by: byOf(caller), reason: `tracking ${tracking.carrier} ${tracking.trackingNumber}`, set, outbox }));
    }
    return setWhileInStatus(orders, order, set);
  }

  /** One $in on the unique paymentId index; only the fields the safety net compares. */
  async function paymentStates(paymentIds: string[]): Promise<PaymentOrderState[]> {
    if (!paymentIds.length) return [];
    const docs = await orders
      .find({ paymentId: { $in: paymentIds } }, { paymentId: 1, status: 1, refundedCents: 1, reservationId: 1, 'outbox.id': 1 })
      .lean<StoredState[]>();
    return docs.map((o) => {
      const release = inventoryJobId({ command: 'release', reservationId: o.reservationId });
      return { paymentId: o.paymentId, status: o.status, refundedCents: o.refundedCents ?? 0, releaseRequested: (o.outbox ?? []).some((e) => e.id === release) };
    });
  }

  return { ownedOrder, cancel, setStatus, updateTracking, paymentStates };
}
export type OrdersService = ReturnType<typeof createOrdersService>;

/** The admin view of the pipeline queues (queue-admin.ts), bound to this subgraph's queues. */
export function createQueueAdmin(queues: OrderQueues) {
  return {
    status: () => queueStatus(queues),
    failedJobs: (args: z.infer<typeof failedJobsArgsSchema>) => failedJobs(queues, args),
    retry: (args: z.infer<typeof retryArgsSchema>) => retryFailedJob(queues, args),
  };
}
export type QueueAdmin = ReturnType<typeof createQueueAdmin>;
