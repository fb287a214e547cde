import { outboxEntry, type OutboxEntry } from '../lib/outbox';
import {
  analyticsEventsQueue,
  inventoryCommandsQueue,
  refundRequestsQueue,
  type AnalyticsKind,
  type InventoryCommand,
  type PaymentResult,
  type RefundRequest,
} from '../lib/queues';
import type { OrderDoc, OrderStatus, StatusChange } from './model';
import { statusNotifications, type StepFacts } from './notifications/entries';

/**
 * Pure mappings from orders to the messages they owe other domains, and from payment results to
 * new orders. Every payload is validated here, so nothing invalid ever reaches an outbox.
 */
type OrderFacts = Pick<OrderDoc, '_id' | 'paymentId' | 'customerId' | 'lines' | 'amountCents' | 'currency' | 'reservationId'> &
  // A stored order has these; a new one (orderFromPaymentResult) has no status yet.
  Partial<Pick<OrderDoc, 'status' | 'refundedCents' | 'placedAt' | 'createdAt'>> &
  // What the customer's email about the change shows (notifications/entries.ts).
  Partial<Pick<OrderDoc, 'shippingAddress' | 'tracking' | 'failureReason'>>;

const ANALYTICS_SUFFIX: Record<Exclude<AnalyticsKind, 'order.refunded' | 'order.status_changed'>, string> = {
  'order.paid': 'paid',
  'order.failed': 'failed',
  'order.canceled': 'canceled',
  'order.oversold': 'oversold',
};

/**
 * `${orderId}-paid`, `-failed`, `-canceled`, `-oversold`, `-refunded-<cumulativeCents>`, `-status-<STATUS>`
 * (an order enters each status at most once: the lifecycle table has no cycles).
 */
export function analyticsEventId(orderId: string, kind: AnalyticsKind, cumulativeRefundCents = 0, toStatus?: OrderStatus): string {
  if (kind === 'order.refunded') return `${orderId}-refunded-${cumulativeRefundCents}`;
  if (kind === 'order.status_changed') return `${orderId}-status-${toStatus}`;
  return `${orderId}-${ANALYTICS_SUFFIX[kind]}`;
}

/**
 * The analytics event of a fact that moves `order` (as stored before the fact; without a status
 * for a new order) to `change.to`, and for a refund raises its refunded amount.
 */
export function analyticsEntry(
  order: OrderFacts,
  kind: AnalyticsKind,
  occurredAt: Date | string,
  requestId: string,
  change: { to: OrderStatus; refund?: { stepCents: number; cumulativeCents: number } },
): OutboxEntry {
  const refund = change.refund ?? { stepCents: 0, cumulativeCents: order.refundedCents ?? 0 };
  const eventId = analyticsEventId(order._id, kind, refund.cumulativeCents, change.to);
  return outboxEntry(analyticsEventsQueue, {
    eventId,
    kind,
    orderId: order._id,
    paymentId: order.paymentId,
    customerId: order.customerId,
    lines: order.lines.map(({ productId, name, sku, unitPriceCents, quantity }) => ({ productId, name, ...(sku ? { sku } : {}), unitPriceCents, quantity })),
    amountCents: order.amountCents,
    refundCents: refund.stepCents,
    refundedCents: refund.cumulativeCents,
    fromStatus: order.status ?? null,
    toStatus: change.to,
    placedAt: new Date(order.placedAt ?? order.createdAt ?? occurredAt).toISOString(),
    currency: order.currency,
    occurredAt: new Date(occurredAt).toISOString(),
    requestId,
  });
}

export function refundEntry(order: OrderFacts, reason: RefundRequest['reason'], requestId: string): OutboxEntry {
  return outboxEntry(refundRequestsQueue, { paymentId: order.paymentId, orderId: order._id, reason, requestId });
}

export function inventoryEntry(order: OrderFacts, command: InventoryCommand['command'], reason: string, requestId: string): OutboxEntry {
  return outboxEntry(inventoryCommandsQueue, { command, reservationId: order.reservationId, reason, requestId });
}

export const PAYMENTS_ACTOR = 'system:payments';

/** What a new order (or failed attempt) looks like for a payment result; the caller inserts it once. */
export function orderFromPaymentResult(r: PaymentResult, orderId: string, status: Extract<OrderStatus, 'PAID' | 'FAILED' | 'OVERSOLD_REFUNDED'>, now: Date): Omit<OrderDoc, 'createdAt' | 'updatedAt'> {
  const facts: OrderFacts = {
    _id: orderId,
    paymentId: r.paymentId,
    customerId: r.customerId,
    lines: r.lines,
    amountCents: r.amountCents,
    currency: r.currency,
    reservationId: r.reservationId,
    placedAt: new Date(r.occurredAt),
    ...(r.shippingAddress ? { shippingAddress: r.shippingAddress } : {}),
    ...(status === 'FAILED' && r.failureReason ? { failureReason: r.failureReason } : {}),
  };
  // A payment canceled before any attempt was recorded: its email must not promise a hold (onCanceled releases it).
  const outbox = followUpsFor(facts, status, r.occurredAt, r.requestId, { paymentCanceled: r.outcome === 'canceled' });
  const history: StatusChange = { from: null, to: status, at: now, by: PAYMENTS_ACTOR, reason: reasonFor(status, r) };
  return {
    ...facts,
    status,
    refundedCents: 0,
    statusHistory: [history],
    outbox,
    outboxDone: [],
    outboxPending: outbox.length,
  };
}

function reasonFor(status: OrderStatus, r: PaymentResult): string {
  if (status === 'FAILED') return r.failureReason ? `payment failed: ${r.failureReason}` : 'payment failed';
  if (status === 'OVERSOLD_REFUNDED') return 'payment succeeded after the stock was gone: refunded';
  return 'payment succeeded';
}

/** What a FAILED attempt owes once its payment is canceled for good: the held stock back. */
export function canceledFollowUps(order: OrderFacts, requestId: string): OutboxEntry[] {
  return [inventoryEntry(order, 'release', 'payment canceled', requestId)];
}

/**
 * The messages an order owes the moment it enters `status` (from the status `order` holds; a new
 * order holds none). Every status move reports itself to analytics (refunds do in payment-results.ts),
 * and the customer's email about it comes last (notifications/entries.ts).
 */
export function followUpsFor(order: OrderFacts, status: OrderStatus, occurredAt: Date | string, requestId: string, step: StepFacts = {}): OutboxEntry[] {
  return [...domainFollowUps(order, status, occurredAt, requestId), ...statusNotifications(order, status, occurredAt, requestId, step)];
}

function domainFollowUps(order: OrderFacts, status: OrderStatus, occurredAt: Date | string, requestId: string): OutboxEntry[] {
  const analytics = (kind: AnalyticsKind) => analyticsEntry(order, kind, occurredAt, requestId, { to: status });
  switch (status) {
    case 'PAID':
      return [analytics('order.paid')];
    case 'FAILED':
      // A failed attempt keeps its hold: the customer may pay again. canceledFollowUps gives it back.
      return [analytics('order.failed')];
    case 'OVERSOLD_REFUNDED':
      return [refundEntry(order, 'oversold', requestId), analytics('order.oversold')];
    case 'CANCELED':
      return [
        refundEntry(order, 'order_canceled', requestId),
        inventoryEntry(order, 'restock', 'order canceled', requestId),
        analytics('order.canceled'),
      ];
    case 'PROCESSING':
    case 'SHIPPED':
    case 'DELIVERED':
      return [analytics('order.status_changed')];
    default:
      return [];
  }
}
