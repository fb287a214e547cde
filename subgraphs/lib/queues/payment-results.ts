import { z } from 'zod';
import { centsSchema, currencySchema } from '../money';
import { defineQueue } from './define';
import { addressSnapshotSchema, isoDateTime as isoDate, lineSnapshotSchema, requestIdSchema } from './snapshots';

/** `failed`: an attempt failed, the customer may still pay; `canceled`: final, the payment will never be paid. */
export const PAYMENT_OUTCOMES = ['succeeded', 'failed', 'canceled', 'refunded'] as const;
export type PaymentOutcome = (typeof PAYMENT_OUTCOMES)[number];

export const paymentResultSchema = z.object({
  paymentId: z.string().min(1),
  customerId: z.string().min(1),
  outcome: z.enum(PAYMENT_OUTCOMES),
  lines: z.array(lineSnapshotSchema).min(1),
  amountCents: centsSchema,
  currency: currencySchema,
  /** Cumulative amount refunded so far (refunded outcome); 0 otherwise. */
  refundedCents: centsSchema.default(0),
  reservationId: z.string().min(1),
  shippingAddress: addressSnapshotSchema.optional(),
  /** When the outcome happened at the payment provider. */
  occurredAt: isoDate,
  failureReason: z.string().optional(),
  requestId: requestIdSchema,
});
export type PaymentResult = z.infer<typeof paymentResultSchema>;

/** Deterministic: the same result published twice is one job. Partial refunds differ by their cumulative amount. */
export function paymentResultJobId(r: Pick<PaymentResult, 'paymentId' | 'outcome' | 'refundedCents'>): string {
  return r.outcome === 'refunded' ? `${r.paymentId}-refunded-${r.refundedCents}` : `${r.paymentId}-${r.outcome}`;
}


/** payments → orders: the outcome of a payment, from the payment's outbox. */
export const paymentResultsQueue = defineQueue({
  name: 'payment-results',
  jobName: 'payment-result',
  schema: paymentResultSchema,
  jobId: paymentResultJobId,
  money: true,
  description: 'payments → orders: each outcome of a payment (succeeded, failed, canceled, refunded)',
});
