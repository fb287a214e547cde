import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

/**
 * Builds and signs Stripe webhook events exactly as Stripe would deliver them, for running without
 * a Stripe account (stripe-mock never sends webhooks): used by `npm run pay`, the dev-only
 * `simulatePaymentWebhook` mutation and the tests. The receiving endpoint verifies the signature
 * like any real delivery, so these go through the production code path.
 */
export type SimulatedIntentOutcome = 'succeeded' | 'failed' | 'canceled';

const INTENT_EVENT_TYPE: Record<SimulatedIntentOutcome, string> = {
  succeeded: 'payment_intent.succeeded',
  failed: 'payment_intent.payment_failed',
  canceled: 'payment_intent.canceled',
};

const INTENT_STATUS: Record<SimulatedIntentOutcome, string> = {
  succeeded: 'succeeded',
  failed: 'requires_payment_method',
  canceled: 'canceled',
};

export interface SimulatedEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  livemode: false;
  api_version: string | null;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  data: { object: Record<string, unknown> };
}

const randomId = (prefix: string) => `${prefix}_sim${randomBytes(10).toString('hex')}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

function envelope(type: string, object: Record<string, unknown>, opts: { eventId?: string; created?: number }): SimulatedEvent {
  return {
    id: opts.eventId ?? randomId('evt'),
    object: 'event',
    type,
    created: opts.created ?? nowSeconds(),
    livemode: false,
    api_version: null,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

/** The payment an event is about, as Stripe knows it: our id (in metadata), its intent, amount and currency. */
export interface PaymentFacts {
  _id: string;
  intentId?: string | null;
  amountCents: number;
  currency: string;
  customerId?: string;
}

/** What a forged or broken event changes from the payment's true facts (tests of the checks). */
export interface FactOverrides {
  intentId?: string;
  amountCents?: number;
  currency?: string;
}

export interface IntentEventInput {
  payment: PaymentFacts;
  outcome: SimulatedIntentOutcome;
  override?: FactOverrides;
  eventId?: string;
  created?: number;
}

/** payment_intent.succeeded / payment_failed / canceled for this payment, as Stripe would send it. */
export function buildIntentEvent(input: IntentEventInput): SimulatedEvent {
  const { payment, outcome, override = {} } = input;
  const amount = override.amountCents ?? payment.amountCents;
  const intent = {
    id: override.intentId ?? payment.intentId ?? randomId('pi'),
    object: 'payment_intent',
    amount,
    amount_received: outcome === 'succeeded' ? amount : 0,
    currency: (override.currency ?? payment.currency).toLowerCase(),
    status: INTENT_STATUS[outcome],
    metadata: { paymentId: payment._id, ...(payment.customerId ? { customerId: payment.customerId } : {}) },
    cancellation_reason: outcome === 'canceled' ? 'abandoned' : null,
    last_payment_error: outcome === 'failed' ? { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' } : null,
  };
  return envelope(INTENT_EVENT_TYPE[outcome], intent, input);
}

export interface ChargeRefundedInput {
  payment: PaymentFacts;
  /** Cumulative, as Stripe reports it. */
  amountRefundedCents: number;
  override?: FactOverrides;
  eventId?: string;
  created?: number;
}

/** charge.refunded for this payment's charge, with the cumulative amount refunded. */
export function buildChargeRefundedEvent(input: ChargeRefundedInput): SimulatedEvent {
  const { payment, override = {} } = input;
  const amount = override.amountCents ?? payment.amountCents;
  const charge = {
    id: randomId('ch'),
    object: 'charge',
    amount,
    amount_refunded: input.amountRefundedCents,
    refunded: input.amountRefundedCents >= amount,
    currency: (override.currency ?? payment.currency).toLowerCase(),
    payment_intent: override.intentId ?? payment.intentId ?? randomId('pi'),
    metadata: { paymentId: payment._id },
    status: 'succeeded',
  };
  return envelope('charge.refunded', charge, input);
}

/** The exact body and Stripe-Signature header a delivery of `event` carries. */
export function signEvent(event: SimulatedEvent, webhookSecret: string): { payload: string; signature: string } {
  const payload = JSON.stringify(event);
  return { payload, signature: Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret }) };
}

export interface Delivery {
  status: number;
  body: unknown;
}

/** POSTs a signed event to a webhook endpoint, as Stripe does. */
export async function deliverWebhook(endpointUrl: string, event: SimulatedEvent, webhookSecret: string): Promise<Delivery> {
  const { payload, signature } = signEvent(event, webhookSecret);
  const res = await fetch(endpointUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body: payload,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** The payments service's webhook endpoint, given its GraphQL URL. */
export function webhookUrlFor(paymentsGraphqlUrl: string): string {
  return `${paymentsGraphqlUrl.replace(/\/graphql\/?$/, '').replace(/\/$/, '')}/webhooks/stripe`;
}
