import type { Model } from 'mongoose';
import type { PaymentDoc } from './model';

/**
 * What a Stripe event says about the money, to compare with the payment it names. Every field is
 * what Stripe reported; absent means the event type does not carry it.
 */
export interface EventFacts {
  intentId?: string;
  /** Our payment id as the object's metadata carries it (we put it there when creating the intent). */
  paymentId?: string;
  /** For a success: the amount received; for a charge: the amount charged. Minor units. */
  amountCents?: number;
  /** Lower-case as Stripe sends it. */
  currency?: string;
}

type Checked = Pick<PaymentDoc, '_id' | 'intentId' | 'amountCents' | 'currency'>;

/**
 * Why this event cannot be about this payment, or null when it agrees. A signed event that names
 * our payment but another intent, amount or currency is never applied: whoever could sign it
 * (a leaked secret) must not turn one cent into a paid order.
 */
export function disagreement(payment: Checked, facts: EventFacts): string | null {
  if (facts.intentId && payment.intentId && facts.intentId !== payment.intentId) return `intent ${facts.intentId} is not this payment's intent`;
  if (facts.currency !== undefined && facts.currency.toUpperCase() !== payment.currency.toUpperCase()) return `currency ${facts.currency.toUpperCase()} is not ${payment.currency}`;
  if (facts.amountCents !== undefined && facts.amountCents !== payment.amountCents) return `amount ${facts.amountCents} is not ${payment.amountCents}`;
  if (facts.intentId && !payment.intentId) return unprovenIntent(payment, facts, facts.intentId);
  return null;
}

/**
 * A payment without a saved intent (checkout stopped between creating the intent at Stripe and
 * saving its id) takes an event's intent only when the event proves the intent is ours: Stripe
 * reports the metadata we gave the intent, naming this payment, and the amount and currency
 * (compared above) are there to match. Anything less could attach a stranger's intent.
 */
function unprovenIntent(payment: Checked, facts: EventFacts, intentId: string): string | null {
  if (facts.paymentId !== payment._id) return `intent ${intentId} is not known to be this payment's: no intent is saved and its metadata does not name ${payment._id}`;
  if (facts.amountCents === undefined || facts.currency === undefined) return `intent ${intentId} is not known to be this payment's: no intent is saved and the event carries no amount and currency to compare`;
  return null;
}

/** The payment, its intent id saved when the event brought the first one; or why the event is refused. */
export type IntentCheck = { payment: PaymentDoc; reason?: undefined } | { reason: string; payment?: undefined };

/**
 * Checks an event against its payment (disagreement) and, when the payment had no intent and the
 * event proved its own, saves that intent id in one conditional update: set only while none is
 * saved, so of two events naming different intents (or a checkout finishing at the same moment)
 * exactly one intent is kept, and the other event is refused as not this payment's.
 */
export async function saveIntentIfProven(payments: Model<PaymentDoc>, payment: PaymentDoc, facts: EventFacts): Promise<IntentCheck> {
  const reason = disagreement(payment, facts);
  if (reason) return { reason };
  if (!facts.intentId || payment.intentId) return { payment };
  const saved = await payments.findOneAndUpdate({ _id: payment._id, intentId: null }, { $set: { intentId: facts.intentId } }, { new: true }).lean<PaymentDoc>();
  if (saved) return { payment: saved };
  // Someone saved an intent first: this event agrees only if it was the same one.
  const current = await payments.findById(payment._id).lean<PaymentDoc>();
  return current?.intentId === facts.intentId ? { payment: current } : { reason: `intent ${facts.intentId} is not this payment's intent (${current?.intentId ?? 'another'} was saved first)` };
}
