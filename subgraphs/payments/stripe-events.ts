import type Stripe from 'stripe';
import { z } from 'zod';
import type { EventFacts } from './event-checks';
import type { PaymentChange } from './transitions';

/** Which payment a Stripe object is about: our id from metadata first, then the intent id. */
export interface PaymentRef {
  paymentId?: string;
  intentId?: string;
}

export interface MappedEvent {
  ref: PaymentRef;
  change: PaymentChange;
  occurredAt: Date;
  /** What the event says about the money, checked against the payment before anything changes. */
  facts: EventFacts;
}

/**
 * The parts of a Stripe event we read, validated: a signed body is still untrusted input (a null
 * body, an object where an id belongs), and nothing unvalidated reaches a query.
 */
const id = z.string().min(1).max(255);
const metadata = z.record(z.string(), z.unknown()).nullish();
export const stripeEnvelopeSchema = z.object({ id, type: z.string().min(1).max(100), created: z.number().int().nonnegative(), data: z.object({ object: z.record(z.string(), z.unknown()) }) });
export type StripeEventLike = z.infer<typeof stripeEnvelopeSchema>;

const minor = z.number().int().nonnegative();
const currency = z.string().regex(/^[a-zA-Z]{3}$/);
const intentSchema = z.object({
  id,
  amount: minor,
  amount_received: minor.nullish(),
  currency,
  metadata,
  cancellation_reason: z.string().nullish(),
  last_payment_error: z.object({ message: z.string().nullish(), code: z.string().nullish(), decline_code: z.string().nullish() }).nullish(),
});
const chargeSchema = z.object({
  amount: minor,
  amount_refunded: minor,
  currency,
  metadata,
  payment_intent: z.union([id, z.object({ id })]).nullish(),
});

/** A signed event whose content is not what Stripe sends: answered 400, nothing applied. */
export class MalformedEventError extends Error {}

function parseObject<S extends z.ZodType>(schema: S, event: StripeEventLike): z.infer<S> {
  const parsed = schema.safeParse(event.data.object);
  if (!parsed.success) throw new MalformedEventError(`${event.type}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Our payment id as we put it in metadata; anything but a plain id is ignored. */
function metadataPaymentId(meta: Record<string, unknown> | null | undefined): string | undefined {
  const value = meta?.paymentId;
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value) ? value : undefined;
}

type Intent = z.infer<typeof intentSchema>;

/**
 * Why an attempt failed, as a code where Stripe gives one: the most specific first (decline_code
 * `insufficient_funds` under code `card_declined`), its message only without a code. A code is
 * what admins search and what the customer's email words (orders/notifications/failure.ts); the
 * message is prose in Stripe's words that an email could only quote.
 */
function failureReasonOf(error: Intent['last_payment_error']): string | undefined {
  return error?.decline_code || error?.code || error?.message || undefined;
}
const intentRef = (intent: Intent): PaymentRef => ({ paymentId: metadataPaymentId(intent.metadata), intentId: intent.id });
const intentFacts = (intent: Intent, amountCents: number): EventFacts => ({ intentId: intent.id, amountCents, currency: intent.currency });

/**
 * Turns a verified Stripe event into a change of one of our payments; null for event types we do
 * not act on (they are acknowledged and ignored). Throws MalformedEventError for a handled type
 * whose object lacks what we read. Reads values only: Stripe metadata is never stored as keys.
 */
export function mapStripeEvent(event: StripeEventLike): MappedEvent | null {
  const occurredAt = new Date(event.created * 1000);
  switch (event.type) {
    case 'payment_intent.succeeded': {
      const intent = parseObject(intentSchema, event);
      // The amount actually received must be the whole payment: a partial capture is no sale.
      return { ref: intentRef(intent), change: { kind: 'succeeded' }, occurredAt, facts: intentFacts(intent, intent.amount_received ?? 0) };
    }
    case 'payment_intent.payment_failed': {
      const intent = parseObject(intentSchema, event);
      return { ref: intentRef(intent), change: { kind: 'failed', reason: failureReasonOf(intent.last_payment_error) }, occurredAt, facts: intentFacts(intent, intent.amount) };
    }
    case 'payment_intent.canceled': {
      const intent = parseObject(intentSchema, event);
      return { ref: intentRef(intent), change: { kind: 'canceled', reason: intent.cancellation_reason ?? undefined }, occurredAt, facts: intentFacts(intent, intent.amount) };
    }
    case 'charge.refunded': {
      const charge = parseObject(chargeSchema, event);
      const intentId = (typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id) ?? undefined;
      return {
        ref: { paymentId: metadataPaymentId(charge.metadata), intentId },
        change: { kind: 'refunded', refundedCents: charge.amount_refunded },
        occurredAt,
        facts: { intentId, amountCents: charge.amount, currency: charge.currency },
      };
    }
    default:
      return null;
  }
}

/**
 * What asking Stripe for an intent right now tells us. Only final answers count: an intent in
 * requires_payment_method (even with a last_payment_error) can still be paid with another method,
 * so it stays PENDING here; the payment_failed webhook reports failed attempts.
 */
export function changeFromIntentStatus(intent: Pick<Stripe.PaymentIntent, 'status' | 'cancellation_reason'>): PaymentChange | null {
  if (intent.status === 'succeeded') return { kind: 'succeeded' };
  if (intent.status === 'canceled') return { kind: 'canceled', reason: intent.cancellation_reason ?? undefined };
  return null;
}
