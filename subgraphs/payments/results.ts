import { outboxEntry, type OutboxEntry } from '../lib/outbox';
import { paymentResultsQueue, type PaymentResult } from '../lib/queues';
import type { PaymentDoc, ResultRecord } from './model';

/**
 * What a payment owes the orders domain: one payment-results message per outcome it reaches,
 * written into the payment's outbox (lib/outbox.ts) in the same update that records the outcome.
 */
export function resultPayload(payment: PaymentDoc, record: ResultRecord): PaymentResult {
  return {
    paymentId: payment._id,
    customerId: payment.customerId,
    outcome: record.outcome,
    lines: payment.lines.map((l) => ({ productId: l.productId, name: l.name, sku: l.sku ?? undefined, unitPriceCents: l.unitPriceCents, quantity: l.quantity })),
    amountCents: payment.amountCents,
    currency: payment.currency,
    refundedCents: record.refundedCents,
    reservationId: payment.reservationId,
    shippingAddress: payment.shippingAddress ? withoutEmpty(payment.shippingAddress) : undefined,
    occurredAt: new Date(record.occurredAt).toISOString(),
    failureReason: record.failureReason ?? undefined,
    requestId: record.requestId,
  };
}

/** The outbox entries for newly recorded outcomes (validated now; their job ids are the records'). */
export function resultEntries(payment: PaymentDoc, records: ResultRecord[]): OutboxEntry[] {
  return records.map((record) => outboxEntry(paymentResultsQueue, resultPayload(payment, record)));
}

function withoutEmpty<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined)) as T;
}
