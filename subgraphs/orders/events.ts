import {
  JOBS,
  QUEUES,
  analyticsEventSchema,
  inventoryCommandSchema,
  inventoryJobId,
  refundJobId,
  refundRequestSchema,
  type AnalyticsKind,
  type InventoryCommand,
  type PaymentResult,
  type RefundRequest,
} from '../lib/queues';
import type { OrderDoc, OrderStatus, OutboxEntry, StatusChange } from './model';

/**
 * Pure mappings from orders to the messages they owe other domains, and from payment results to
 * new orders. Every payload is validated here, so nothing invalid ever reaches an outbox.
 */
type OrderFacts = Pick<OrderDoc, '_id' | 'paymentId' | 'customerId' | 'items' | 'totalCents' | 'currency' | 'reservationId'>;

const ANALYTICS_SUFFIX: Record<Exclude<AnalyticsKind, 'order.refunded'>, string> = {
  'order.paid': 'paid',
  'order.failed': 'failed',
  'order.cancelled': 'cancelled',
  'order.oversold': 'oversold',
};

/** `${orderId}-paid`, `-failed`, `-cancelled`, `-oversold`, `-refunded-<cumulativeCents>`. */
export function analyticsEventId(orderId: string, kind: AnalyticsKind, cumulativeRefundCents = 0): string {
  return kind === 'order.refunded' ? `${orderId}-refunded-${cumulativeRefundCents}` : `${orderId}-${ANALYTICS_SUFFIX[kind]}`;
}

export function analyticsEntry(
  order: OrderFacts,
  kind: AnalyticsKind,
  occurredAt: Date | string,
  requestId: string,
  refund: { stepCents: number; cumulativeCents: number } = { stepCents: 0, cumulativeCents: 0 },
): OutboxEntry {
  const eventId = analyticsEventId(order._id, kind, refund.cumulativeCents);
  const payload = analyticsEventSchema.parse({
    eventId,
    kind,
    orderId: order._id,
    paymentId: order.paymentId,
    customerId: order.customerId,
    lines: order.items.map(({ productId, name, sku, unitPriceCents, quantity }) => ({ productId, name, ...(sku ? { sku } : {}), unitPriceCents, quantity })),
    totalCents: order.totalCents,
    refundCents: refund.stepCents,
    currency: order.currency,
    occurredAt: new Date(occurredAt).toISOString(),
    requestId,
  });
  return { id: eventId, queue: QUEUES.analytics, name: JOBS.analyticsEvent, payload: JSON.stringify(payload) };
}

export function refundEntry(order: OrderFacts, reason: RefundRequest['reason'], requestId: string): OutboxEntry {
  const payload = refundRequestSchema.parse({ paymentId: order.paymentId, orderId: order._id, reason, requestId });
  return { id: refundJobId(payload), queue: QUEUES.refunds, name: JOBS.refundRequest, payload: JSON.stringify(payload) };
}

export function inventoryEntry(order: OrderFacts, command: InventoryCommand['command'], reason: string, requestId: string): OutboxEntry {
  const payload = inventoryCommandSchema.parse({ command, reservationId: order.reservationId, reason, requestId });
  return { id: inventoryJobId(payload), queue: QUEUES.inventory, name: JOBS.inventoryCommand, payload: JSON.stringify(payload) };
}

export const PAYMENTS_ACTOR = 'system:payments';

/** What a new order (or failed attempt) looks like for a payment result; the caller inserts it once. */
export function orderFromPaymentResult(r: PaymentResult, orderId: string, status: Extract<OrderStatus, 'PAID' | 'FAILED' | 'OVERSOLD_REFUNDED'>, now: Date): Omit<OrderDoc, 'createdAt' | 'updatedAt'> {
  const facts: OrderFacts = {
    _id: orderId,
    paymentId: r.paymentId,
    customerId: r.customerId,
    items: r.lines,
    totalCents: r.totalCents,
    currency: r.currency,
    reservationId: r.reservationId,
  };
  const outbox = followUpsFor(facts, status, r.occurredAt, r.requestId);
  const history: StatusChange = { from: null, to: status, at: now, by: PAYMENTS_ACTOR, reason: reasonFor(status, r) };
  return {
    ...facts,
    status,
    refundedCents: 0,
    placedAt: new Date(r.occurredAt),
    ...(r.shippingAddress ? { shippingAddress: r.shippingAddress } : {}),
    ...(status === 'FAILED' && r.failureReason ? { failureReason: r.failureReason } : {}),
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

/** The messages an order owes the moment it enters `status` from a payment result. */
export function followUpsFor(order: OrderFacts, status: OrderStatus, occurredAt: Date | string, requestId: string): OutboxEntry[] {
  switch (status) {
    case 'PAID':
      return [analyticsEntry(order, 'order.paid', occurredAt, requestId)];
    case 'FAILED':
      // A failed attempt keeps its hold: the customer may pay again. canceledFollowUps gives it back.
      return [analyticsEntry(order, 'order.failed', occurredAt, requestId)];
    case 'OVERSOLD_REFUNDED':
      return [refundEntry(order, 'oversold', requestId), analyticsEntry(order, 'order.oversold', occurredAt, requestId)];
    case 'CANCELLED':
      return [
        refundEntry(order, 'order_cancelled', requestId),
        inventoryEntry(order, 'restock', 'order cancelled', requestId),
        analyticsEntry(order, 'order.cancelled', occurredAt, requestId),
      ];
    default:
      return [];
  }
}
