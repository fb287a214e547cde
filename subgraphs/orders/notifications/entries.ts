import { outboxEntry, type OutboxEntry } from '../../lib/outbox';
import { notificationsQueue, type NotificationEvent } from '../../lib/queues';
import type { OrderDoc, OrderStatus } from '../model';

/**
 * The customer emails an order owes, as outbox entries on the order (written in the same update
 * as the change that causes them, like every other follow-up; see ../events.ts).
 */
export type NotifiedOrder = Pick<OrderDoc, '_id' | 'customerId' | 'lines' | 'amountCents' | 'currency'> &
  Partial<Pick<OrderDoc, 'refundedCents' | 'shippingAddress' | 'tracking' | 'failureReason'>>;

/** The email of entering each status; PROCESSING is internal (no email). */
const EVENT_OF_STATUS: Partial<Record<OrderStatus, NotificationEvent>> = {
  PAID: 'ORDER_PLACED',
  FAILED: 'PAYMENT_FAILED',
  SHIPPED: 'SHIPPED',
  DELIVERED: 'DELIVERED',
  CANCELED: 'CANCELED',
  OVERSOLD_REFUNDED: 'OVERSOLD_REFUNDED',
};

interface Money {
  refundedCents: number;
  refundCents: number;
}

/** What the step knows beyond the order itself. */
export interface StepFacts {
  /** The payment was canceled for good (not a failed attempt): the step also releases the held items. */
  paymentCanceled?: boolean;
}

export function notificationEntry(order: NotifiedOrder, event: NotificationEvent, occurredAt: Date | string, requestId: string, money: Money, step: StepFacts = {}): OutboxEntry {
  return outboxEntry(notificationsQueue, {
    orderId: order._id,
    customerId: order.customerId,
    event,
    lines: order.lines.map(({ productId, name, sku, unitPriceCents, quantity }) => ({ productId, name, ...(sku ? { sku } : {}), unitPriceCents, quantity })),
    amountCents: order.amountCents,
    currency: order.currency,
    ...money,
    ...(order.shippingAddress ? { shippingAddress: order.shippingAddress } : {}),
    ...(order.tracking ? { tracking: { carrier: order.tracking.carrier, trackingNumber: order.tracking.trackingNumber } } : {}),
    ...(event === 'PAYMENT_FAILED' && order.failureReason ? { failureReason: order.failureReason } : {}),
    paymentCanceled: event === 'PAYMENT_FAILED' && step.paymentCanceled === true,
    occurredAt: new Date(occurredAt).toISOString(),
    requestId,
  });
}

/**
 * The email owed when `order` (as it will be: with its tracking, for SHIPPED) enters `status`.
 * A cancellation announces what is still to be refunded; an oversold order, its whole total.
 */
export function statusNotifications(order: NotifiedOrder, status: OrderStatus, occurredAt: Date | string, requestId: string, step: StepFacts = {}): OutboxEntry[] {
  const event = EVENT_OF_STATUS[status];
  if (!event) return [];
  const refunded = order.refundedCents ?? 0;
  const refundCents = status === 'CANCELED' ? order.amountCents - refunded : status === 'OVERSOLD_REFUNDED' ? order.amountCents : 0;
  return [notificationEntry(order, event, occurredAt, requestId, { refundedCents: refunded, refundCents }, step)];
}

/**
 * The email of a refund that moves the order to REFUNDED or PARTIALLY_REFUNDED. A refund that only
 * completes a cancellation or an oversold order sends nothing: that email already named the amount.
 */
export function refundNotifications(order: NotifiedOrder, movesTo: 'REFUNDED' | 'PARTIALLY_REFUNDED' | null, refund: { stepCents: number; cumulativeCents: number }, occurredAt: Date | string, requestId: string): OutboxEntry[] {
  if (!movesTo) return [];
  return [notificationEntry(order, movesTo, occurredAt, requestId, { refundedCents: refund.cumulativeCents, refundCents: refund.stepCents })];
}
