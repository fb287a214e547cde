/**
 * Why a payment failed, as the end of "We could not take your payment of $X because …". The stored
 * reason is Stripe's decline code when it gave one (`decline_code`, else `code`), else its message
 * (payments/stripe-events.ts), else our own "payment failed".
 */

const DECLINED = 'your card was declined';

/** Stripe's codes, as a customer would say them. */
const CODES: Record<string, string> = {
  card_declined: DECLINED,
  generic_decline: DECLINED,
  do_not_honor: DECLINED,
  do_not_try_again: DECLINED,
  transaction_not_allowed: DECLINED,
  // Stripe asks that these be shown as a generic decline: telling the payer invites fraud.
  fraudulent: DECLINED,
  lost_card: DECLINED,
  stolen_card: DECLINED,
  pickup_card: DECLINED,
  merchant_blacklist: DECLINED,
  restricted_card: DECLINED,
  security_violation: DECLINED,
  insufficient_funds: 'the card has insufficient funds',
  card_velocity_exceeded: 'the card has reached its spending limit',
  expired_card: 'the card has expired',
  incorrect_cvc: 'the security code was incorrect',
  invalid_cvc: 'the security code was incorrect',
  incorrect_number: 'the card number was incorrect',
  invalid_number: 'the card number was incorrect',
  invalid_expiry_month: 'the expiry date was incorrect',
  invalid_expiry_year: 'the expiry date was incorrect',
  incorrect_zip: 'the postal code did not match the card',
  processing_error: 'the card could not be processed',
  authentication_required: 'your bank asked to confirm the payment and it was not confirmed',
  payment_intent_authentication_failure: 'your bank asked to confirm the payment and it was not confirmed',
  card_not_supported: 'the card does not support this kind of purchase',
  currency_not_supported: 'the card does not support this currency',
};

/** Reasons that say nothing beyond "it failed": the sentence reads better without a "because". */
const SAYS_NOTHING = new Set(['payment failed', 'failed', 'canceled']);

const looksLikeCode = (reason: string) => /^[a-z][a-z0-9_]*$/.test(reason);

/**
 * A sentence from the provider ("Your card was declined.") made into the end of ours: no final
 * punctuation (ours follows) and a lower-case first letter unless the first word is an acronym
 * ("CVC check failed").
 */
function asClause(message: string): string {
  const clause = message.replace(/\s+/g, ' ').trim().replace(/[\s.!?;:,]+$/, '');
  return /^[A-Z][a-z]/.test(clause) ? clause[0].toLowerCase() + clause.slice(1) : clause;
}

/**
 * The reason in words, or null when there is nothing worth saying: an unknown code is not shown,
 * as a bank's jargon (or a code Stripe asks not to reveal) reads worse than no reason at all.
 */
export function failureText(reason: string | undefined): string | null {
  const trimmed = reason?.trim();
  if (!trimmed || SAYS_NOTHING.has(trimmed.toLowerCase())) return null;
  if (looksLikeCode(trimmed)) return CODES[trimmed] ?? null;
  return asClause(trimmed) || null;
}
