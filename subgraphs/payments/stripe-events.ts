import type Stripe from 'stripe';
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
}

export const HANDLED_EVENT_TYPES = ['payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.canceled', 'charge.refunded'] as const;

/** Minimal shape we read from an event (a verified Stripe.Event satisfies it). */
export interface StripeEventLike {
  id: string;
  type: string;
  created: number;
  data: { object: unknown };
}

function metadataPaymentId(obj: { metadata?: Record<string, string> | null }): string | undefined {
  const id = obj.metadata?.paymentId;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

function intentRef(intent: Stripe.PaymentIntent): PaymentRef {
  return { paymentId: metadataPaymentId(intent), intentId: intent.id };
}

/**
 * Turns a verified Stripe event into a change of one of our payments; null for event types we do
 * not act on (they are acknowledged and ignored). Reads values only: Stripe metadata is never
 * stored as keys.
 */
export function mapStripeEvent(event: StripeEventLike): MappedEvent | null {
  const occurredAt = new Date(event.created * 1000);
  switch (event.type) {
    case 'payment_intent.succeeded': {
      const intent = event.data.object as Stripe.PaymentIntent;
      return { ref: intentRef(intent), change: { kind: 'succeeded' }, occurredAt };
    }
    case 'payment_intent.payment_failed': {
      const intent = event.data.object as Stripe.PaymentIntent;
      const reason = intent.last_payment_error?.message ?? intent.last_payment_error?.code ?? undefined;
      return { ref: intentRef(intent), change: { kind: 'failed', reason }, occurredAt };
    }
    case 'payment_intent.canceled': {
      const intent = event.data.object as Stripe.PaymentIntent;
      return { ref: intentRef(intent), change: { kind: 'canceled', reason: intent.cancellation_reason ?? undefined }, occurredAt };
    }
    case 'charge.refunded': {
      const charge = event.data.object as Stripe.Charge;
      const intentId = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
      return { ref: { paymentId: metadataPaymentId(charge), intentId: intentId ?? undefined }, change: { kind: 'refunded', refundedCents: charge.amount_refunded }, occurredAt };
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
