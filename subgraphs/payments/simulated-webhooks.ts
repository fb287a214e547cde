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

export interface IntentEventInput {
  paymentId: string;
  outcome: SimulatedIntentOutcome;
  customerId?: string;
  intentId?: string;
  amountCents?: number;
  currency?: string;
  eventId?: string;
  created?: number;
}

/** payment_intent.succeeded / payment_failed / canceled, with our payment id in the intent's metadata. */
export function buildIntentEvent(input: IntentEventInput): SimulatedEvent {
  const intent = {
    id: input.intentId ?? randomId('pi'),
    object: 'payment_intent',
    amount: input.amountCents ?? 0,
    amount_received: input.outcome === 'succeeded' ? (input.amountCents ?? 0) : 0,
    currency: (input.currency ?? 'usd').toLowerCase(),
    status: INTENT_STATUS[input.outcome],
    metadata: { paymentId: input.paymentId, ...(input.customerId ? { customerId: input.customerId } : {}) },
    cancellation_reason: input.outcome === 'canceled' ? 'abandoned' : null,
    last_payment_error: input.outcome === 'failed' ? { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' } : null,
  };
  return envelope(INTENT_EVENT_TYPE[input.outcome], intent, input);
}

export interface ChargeRefundedInput {
  paymentId: string;
  intentId?: string;
  amountCents: number;
  /** Cumulative, as Stripe reports it. */
  amountRefundedCents: number;
  currency?: string;
  eventId?: string;
  created?: number;
}

export function buildChargeRefundedEvent(input: ChargeRefundedInput): SimulatedEvent {
  const charge = {
    id: randomId('ch'),
    object: 'charge',
    amount: input.amountCents,
    amount_refunded: input.amountRefundedCents,
    refunded: input.amountRefundedCents >= input.amountCents,
    currency: (input.currency ?? 'usd').toLowerCase(),
    payment_intent: input.intentId ?? randomId('pi'),
    metadata: { paymentId: input.paymentId },
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
