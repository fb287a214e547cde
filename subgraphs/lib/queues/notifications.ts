import { z } from 'zod';
import { centsSchema, currencySchema } from '../money';
import { defineQueue } from './define';
import { addressSnapshotSchema, isoDateTime, lineSnapshotSchema, requestIdSchema } from './snapshots';

/** The steps of an order a customer is emailed about, one email each. */
export const NOTIFICATION_EVENTS = ['ORDER_PLACED', 'PAYMENT_FAILED', 'SHIPPED', 'DELIVERED', 'CANCELED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'OVERSOLD_REFUNDED'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/**
 * Everything the email needs about the order, as it was when the step happened (later changes do
 * not rewrite an email already owed). The customer's address book is not the orders domain's: the
 * worker asks customers for the email address at send time, by customerId.
 */
export const notificationSchema = z.object({
  orderId: z.string().min(1),
  customerId: z.string().min(1),
  event: z.enum(NOTIFICATION_EVENTS),
  lines: z.array(lineSnapshotSchema).min(1),
  amountCents: centsSchema,
  currency: currencySchema,
  /** The order's cumulative refunded amount after this step. */
  refundedCents: centsSchema.default(0),
  /** The money this email announces going back: the refund step, or what a cancellation refunds. */
  refundCents: centsSchema.default(0),
  shippingAddress: addressSnapshotSchema.optional(),
  tracking: z.object({ carrier: z.string().min(1), trackingNumber: z.string().min(1) }).optional(),
  /** PAYMENT_FAILED: why the payment provider refused it. */
  failureReason: z.string().optional(),
  /**
   * PAYMENT_FAILED: the payment was canceled for good, so the items held for it are released (the
   * customer must check out again); false for a failed attempt, which keeps its hold and may still
   * be paid. Defaults to false so payloads written before the field existed still parse.
   */
  paymentCanceled: z.boolean().default(false),
  occurredAt: isoDateTime,
  /** 0 for the step itself; n for an admin's n-th resend (a new job id, as the first job is done). */
  resend: z.number().int().nonnegative().default(0),
  requestId: requestIdSchema,
});
export type Notification = z.infer<typeof notificationSchema>;

/**
 * Which email of an order this is: the event, except that an order can be partially refunded
 * several times, each step its own email (named by the cumulative amount, like analytics events).
 */
export function notificationKey(n: Pick<Notification, 'event' | 'refundedCents'>): string {
  return n.event === 'PARTIALLY_REFUNDED' ? `${n.event}-${n.refundedCents}` : n.event;
}

export const notificationJobId = (n: Pick<Notification, 'orderId' | 'event' | 'refundedCents' | 'resend'>) =>
  `notify-${n.orderId}-${notificationKey(n)}${n.resend ? `-resend-${n.resend}` : ''}`;

/** orders → notifications worker: one customer email per order step. */
export const notificationsQueue = defineQueue({
  name: 'notifications',
  jobName: 'notification',
  schema: notificationSchema,
  jobId: notificationJobId,
  money: false,
  description: 'orders → notifications worker: email the customer about a step of their order, once',
});
