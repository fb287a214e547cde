import { Queue, type JobsOptions, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { centsSchema, currencySchema } from './money';

/**
 * Every queue and job name, and every payload schema, lives here: producers validate before
 * adding, consumers validate again before acting (see worker.ts).
 */
export const QUEUES = {
  /** payments → orders: the final outcome of a payment. */
  paymentResults: 'payment-results',
  /** orders → analytics: each order fact, once. */
  analytics: 'analytics-events',
  /** orders → products: commit or release a stock reservation. */
  inventory: 'inventory-commands',
  /** orders → payments: refund a payment (order cancelled, or oversold). */
  refunds: 'refund-requests',
  /** products: release reservations whose hold expired (delayed jobs). */
  reservationExpiry: 'reservation-expiry',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  paymentResult: 'payment-result',
  analyticsEvent: 'analytics-event',
  inventoryCommand: 'inventory-command',
  refundRequest: 'refund-request',
  expireReservation: 'expire-reservation',
} as const;

const isoDate = z.string().datetime({ offset: true });

export const lineSnapshotSchema = z.object({
  productId: z.string().min(1),
  name: z.string().min(1),
  sku: z.string().min(1).optional(),
  unitPriceCents: centsSchema,
  quantity: z.number().int().positive(),
});
export type LineSnapshot = z.infer<typeof lineSnapshotSchema>;

export const addressSnapshotSchema = z.object({
  name: z.string().optional(),
  line1: z.string(),
  line2: z.string().optional(),
  city: z.string(),
  postalCode: z.string(),
  region: z.string().optional(),
  country: z.string(),
});
export type AddressSnapshot = z.infer<typeof addressSnapshotSchema>;

/** `failed`: an attempt failed, the customer may still pay; `canceled`: final, the payment will never be paid. */
export const PAYMENT_OUTCOMES = ['succeeded', 'failed', 'canceled', 'refunded'] as const;
export type PaymentOutcome = (typeof PAYMENT_OUTCOMES)[number];

export const paymentResultSchema = z.object({
  paymentId: z.string().min(1),
  customerId: z.string().min(1),
  outcome: z.enum(PAYMENT_OUTCOMES),
  lines: z.array(lineSnapshotSchema).min(1),
  totalCents: centsSchema,
  currency: currencySchema,
  /** Cumulative amount refunded so far (refunded outcome); 0 otherwise. */
  refundedCents: centsSchema.default(0),
  reservationId: z.string().min(1),
  shippingAddress: addressSnapshotSchema.optional(),
  /** When the outcome happened at the payment provider. */
  occurredAt: isoDate,
  failureReason: z.string().optional(),
  requestId: z.string().min(1),
});
export type PaymentResult = z.infer<typeof paymentResultSchema>;

/** Deterministic: the same result published twice is one job. Partial refunds differ by their cumulative amount. */
export function paymentResultJobId(r: Pick<PaymentResult, 'paymentId' | 'outcome' | 'refundedCents'>): string {
  return r.outcome === 'refunded' ? `${r.paymentId}-refunded-${r.refundedCents}` : `${r.paymentId}-${r.outcome}`;
}

/** `order.status_changed`: a move with no business fact of its own (PROCESSING, SHIPPED, DELIVERED). */
export const ANALYTICS_KINDS = ['order.paid', 'order.failed', 'order.cancelled', 'order.refunded', 'order.oversold', 'order.status_changed'] as const;
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
  totalCents: centsSchema,
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
  requestId: z.string().min(1),
});
export type AnalyticsEvent = z.infer<typeof analyticsEventSchema>;

/**
 * `release`: give back a hold that will never be paid (the payment was canceled). `restock`: a
 * sold reservation's units come back on hand (its order was cancelled). Two commands with two job
 * ids (`release-<id>`, `restock-<id>`), so neither can be mistaken for, or deduplicated as, the other.
 */
export const inventoryCommandSchema = z.object({
  command: z.enum(['release', 'restock']),
  reservationId: z.string().min(1),
  reason: z.string().min(1),
  requestId: z.string().min(1),
});
export type InventoryCommand = z.infer<typeof inventoryCommandSchema>;
export const inventoryJobId = (c: Pick<InventoryCommand, 'command' | 'reservationId'>) => `${c.command}-${c.reservationId}`;

export const refundRequestSchema = z.object({
  paymentId: z.string().min(1),
  orderId: z.string().min(1),
  /** Omitted: refund whatever is left. */
  amountCents: centsSchema.optional(),
  reason: z.enum(['order_cancelled', 'oversold', 'admin']),
  requestId: z.string().min(1),
});
export type RefundRequest = z.infer<typeof refundRequestSchema>;
export const refundJobId = (r: Pick<RefundRequest, 'orderId' | 'reason'>) => `refund-${r.orderId}-${r.reason}`;

export const reservationExpirySchema = z.object({ reservationId: z.string().min(1), requestId: z.string().min(1) });
export type ReservationExpiry = z.infer<typeof reservationExpirySchema>;

/**
 * How long each queue keeps retrying a job whose handler throws (a database or peer outage), with
 * exponential backoff capped at MAX_BACKOFF_MS (see cappedBackoff): for hours, so that an outage of
 * an hour ends with every paid payment's order created, without anyone acting. Money queues carry
 * a payment's consequences (its order, its refund, its stock). Failed jobs are kept
 * (inspectable, retryable by admins, and counted by queue_jobs_exhausted_total); completed ones a
 * week, so a repeated jobId stays a no-op.
 */
export const MONEY_QUEUES: readonly QueueName[] = [QUEUES.paymentResults, QUEUES.refunds, QUEUES.inventory];
export const BACKOFF_BASE_MS = 1_000;
export const MAX_BACKOFF_MS = 5 * 60_000;
export const CAPPED_BACKOFF = 'capped-exponential';

/**
 * 40 attempts: about 2.6 hours of retries, for every queue: a dropped analytics event or an expiry
 * that never runs (stock held forever) costs money too, only later. MONEY_QUEUES differ in how
 * loudly a job that fails for good is reported (queue_jobs_exhausted_total{money="true"}).
 */
export function attemptsFor(_queue: QueueName): number {
  return 40;
}

/** Delay before retry number `attemptsMade` (1 = the first retry): doubling from 1 s, at most 5 min. */
export function cappedBackoff(attemptsMade: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attemptsMade - 1), MAX_BACKOFF_MS);
}

export function jobOptionsFor(queue: QueueName): JobsOptions {
  return {
    attempts: attemptsFor(queue),
    backoff: { type: CAPPED_BACKOFF },
    removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
    removeOnFail: false,
  };
}

export interface QueueDeps {
  connection: ConnectionOptions;
  prefix: string;
}

export function createQueue(name: QueueName, deps: QueueDeps): Queue {
  return new Queue(name, { connection: deps.connection, prefix: deps.prefix, defaultJobOptions: jobOptionsFor(name) });
}

/** Validate, then add under a deterministic id: adding the same job twice is a no-op. */
export async function enqueue<S extends z.ZodType>(queue: Queue, jobName: string, schema: S, payload: z.input<S>, jobId: string, opts: JobsOptions = {}) {
  const data = schema.parse(payload);
  return queue.add(jobName, data, { ...opts, jobId });
}
