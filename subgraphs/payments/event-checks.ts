import type { PaymentDoc } from './model';

/**
 * What a Stripe event says about the money, to compare with the payment it names. Every field is
 * what Stripe reported; absent means the event type does not carry it.
 */
export interface EventFacts {
  intentId?: string;
  /** For a success: the amount received; for a charge: the amount charged. Minor units. */
  amountCents?: number;
  /** Lower-case as Stripe sends it. */
  currency?: string;
}

/**
 * Why this event cannot be about this payment, or null when it agrees. A signed event that names
 * our payment but another intent, amount or currency is never applied: whoever could sign it
 * (a leaked secret) must not turn one cent into a paid order.
 */
export function disagreement(payment: Pick<PaymentDoc, 'intentId' | 'amountCents' | 'currency'>, facts: EventFacts): string | null {
  if (facts.intentId && payment.intentId && facts.intentId !== payment.intentId) return `intent ${facts.intentId} is not this payment's intent`;
  if (facts.currency !== undefined && facts.currency.toUpperCase() !== payment.currency.toUpperCase()) return `currency ${facts.currency.toUpperCase()} is not ${payment.currency}`;
  if (facts.amountCents !== undefined && facts.amountCents !== payment.amountCents) return `amount ${facts.amountCents} is not ${payment.amountCents}`;
  return null;
}
