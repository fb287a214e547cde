import type { Express } from 'express';
import type Stripe from 'stripe';
import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '../lib/errors';
import { express, jsonError } from '../lib/http';
import { runWithRequestScope } from '../lib/request-context';
import { applyChange, findPaymentFor, type LedgerDeps } from './ledger';
import type { StripeEventDoc } from './model';
import { saveIntentIfProven } from './event-checks';
import { MalformedEventError, mapStripeEvent, stripeEnvelopeSchema, type StripeEventLike } from './stripe-events';
import { flagForReview } from './review';

export const WEBHOOK_PATH = '/webhooks/stripe';
/** Stripe's default replay window, applied both ways: a signature from the future is as suspect as an old one. */
const TOLERANCE_SECONDS = 300;

function signedInTheFuture(header: string): boolean {
  const t = Number(/(?:^|,)t=(\d+)/.exec(header)?.[1]);
  return Number.isFinite(t) && t > Date.now() / 1000 + TOLERANCE_SECONDS;
}

export interface WebhookDeps extends LedgerDeps {
  events: Model<StripeEventDoc>;
}

export interface EventHandling {
  duplicate: boolean;
  /** `mismatch`: the event named our payment with another intent, amount or currency; flagged for review, nothing applied. */
  outcome: 'applied' | 'no-change' | 'ignored' | 'unknown-payment' | 'duplicate' | 'mismatch';
  paymentId?: string;
}

/**
 * Handles one verified Stripe event at most once per event id. The change is applied before the
 * event id is recorded: if we crash in between, Stripe redelivers and the transition function
 * recognises the repeat; recording first could lose the event.
 */
export async function handleStripeEvent(deps: WebhookDeps, event: StripeEventLike): Promise<EventHandling> {
  if (await deps.events.exists({ _id: event.id })) return { duplicate: true, outcome: 'duplicate' };
  const mapped = mapStripeEvent(event);
  let result: EventHandling = { duplicate: false, outcome: 'ignored' };
  if (mapped) {
    const payment = await findPaymentFor(deps.payments, mapped.ref);
    if (!payment) {
      deps.logger.warn('Stripe event for a payment we do not know', { eventId: event.id, type: event.type, ...mapped.ref });
      result = { duplicate: false, outcome: 'unknown-payment' };
    } else {
      const checked = await saveIntentIfProven(deps.payments, payment, { ...mapped.facts, paymentId: mapped.ref.paymentId });
      if (checked.reason !== undefined) {
        const reason = checked.reason;
        deps.logger.error('Stripe event disagrees with the payment it names: flagged for review, not applied', { eventId: event.id, type: event.type, paymentId: payment._id, reason });
        await flagForReview(deps.payments, payment._id, { eventId: event.id, type: event.type, reason, at: new Date() });
        result = { duplicate: false, outcome: 'mismatch', paymentId: payment._id };
      } else {
        const applied = await applyChange(deps, payment._id, mapped.change, { occurredAt: mapped.occurredAt, requestId: event.id, current: checked.payment });
        result = { duplicate: false, outcome: applied.applied ? 'applied' : 'no-change', paymentId: payment._id };
      }
    }
  }
  try {
    await deps.events.create({ _id: event.id, type: event.type, paymentId: result.paymentId, outcome: result.outcome, receivedAt: new Date() });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err; // a concurrent delivery of the same event recorded it first
  }
  return result;
}

/**
 * POST /webhooks/stripe. Mounted before any JSON parser: the signature covers the raw bytes, so
 * the body is read raw and verified with stripe.webhooks.constructEvent. A bad or missing
 * signature is refused with 400 and nothing is processed; a processing fault answers 500 so
 * Stripe retries.
 */
export function mountStripeWebhook(app: Express, deps: WebhookDeps & { stripe: Stripe; webhookSecret: string }): void {
  app.post(WEBHOOK_PATH, express.raw({ type: 'application/json', limit: '1mb' }), async (req, res) => {
    const signature = req.header('stripe-signature');
    if (!signature) return jsonError(res, 'BAD_REQUEST', 'Missing Stripe-Signature header');
    if (!Buffer.isBuffer(req.body)) return jsonError(res, 'BAD_REQUEST', 'Expected a JSON body with Content-Type: application/json');
    if (signedInTheFuture(signature)) return jsonError(res, 'INVALID_SIGNATURE', 'Stripe signature timestamp is in the future');
    let verified: Stripe.Event;
    try {
      verified = deps.stripe.webhooks.constructEvent(req.body, signature, deps.webhookSecret, TOLERANCE_SECONDS);
    } catch {
      deps.logger.warn('refused a webhook with an invalid Stripe signature', { ip: req.ip });
      return jsonError(res, 'INVALID_SIGNATURE', 'Invalid Stripe signature');
    }
    const envelope = stripeEnvelopeSchema.safeParse(verified);
    if (!envelope.success) return jsonError(res, 'BAD_REQUEST', 'Signed body is not a Stripe event');
    const event = envelope.data;
    try {
      const handled = await runWithRequestScope({ requestId: event.id }, () => handleStripeEvent(deps, event));
      res.json({ received: true, ...handled });
    } catch (err) {
      if (err instanceof MalformedEventError) return jsonError(res, 'BAD_REQUEST', `Malformed Stripe event: ${err.message}`);
      deps.logger.error('webhook processing failed', { eventId: event.id, type: event.type, error: err instanceof Error ? err.stack : String(err) });
      jsonError(res, 'INTERNAL_SERVER_ERROR', 'The event could not be processed; it will be retried');
    }
  });
}
