import { z } from 'zod';
import { centsSchema, currencySchema } from '../money';
import { defineQueue } from './define';
import { isoDateTime as isoDate, lineSnapshotSchema, requestIdSchema } from './snapshots';

/** `order.status_changed`: a move with no business fact of its own (PROCESSING, SHIPPED, DELIVERED). */
export const ANALYTICS_KINDS = ['order.paid', 'order.failed', 'order.canceled', 'order.refunded', 'order.oversold', 'order.status_changed'] as const;
export type AnalyticsKind = (typeof ANALYTICS_KINDS)[number];

/** An order status name (the orders domain's OrderStatus); upper case, so it is also a safe stored key. */
const orderStatusName = z.string().regex(/^[A-Z][A-Z_]{0,39}$/, 'must be an order status');

/**
 * Each fact also reports the order's state change it made (status and cumulative refunded amount,
 * before and after), so analytics can count every order once, in its current status.
 */
export const analyticsEventSchema = z.object({
  /** Unique per fact; the analytics worker applies each eventId once. */
  eventId: z.string().min(1),
  kind: z.enum(ANALYTICS_KINDS),
  orderId: z.string().min(1),
  paymentId: z.string().min(1),
  customerId: z.string().min(1),
  lines: z.array(lineSnapshotSchema),
  amountCents: centsSchema,
  /** For order.refunded: the amount of this refund step (not cumulative). */
  refundCents: centsSchema.default(0),
  /** The order's cumulative refunded amount after this fact (before it: refundedCents − refundCents). */
  refundedCents: centsSchema,
  /** The order's status before this fact; null when the fact created the order. */
  fromStatus: orderStatusName.nullable(),
  /** The order's status after this fact (the same as fromStatus when the fact moved no status, e.g. a later refund). */
  toStatus: orderStatusName,
  /** When the order was placed (its first payment outcome): analytics counts an order, and all its money, in that period (UTC). */
  placedAt: isoDate,
  currency: currencySchema,
  /** When the order fact happened. */
  occurredAt: isoDate,
  requestId: requestIdSchema,
});
export type AnalyticsEvent = z.infer<typeof analyticsEventSchema>;

/** orders → analytics: each order fact, once (the event id is the job id). */
export const analyticsEventsQueue = defineQueue({
  name: 'analytics-events',
  jobName: 'analytics-event',
  schema: analyticsEventSchema,
  jobId: (e) => e.eventId,
  money: false,
  description: 'orders → analytics: each order fact, applied to the rollups once',
});
