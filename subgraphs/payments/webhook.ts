import type { Express } from 'express';
import type Stripe from 'stripe';
import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '../lib/errors';
import { express, jsonError } from '../lib/http';
import { runWithRequestScope } from '../lib/request-context';
import { applyChange, findPaymentFor, type LedgerDeps } from './ledger';
import type { StripeEventDoc } from './model';
import { mapStripeEvent, type StripeEventLike } from './stripe-events';

export const WEBHOOK_PATH = '/webhooks/stripe';

export interface WebhookDeps extends LedgerDeps {
  events: Model<StripeEventDoc>;
}

export interface EventHandling {
  duplicate: boolean;
  outcome: 'applied' | 'no-change' | 'ignored' | 'unknown-payment' | 'duplicate';
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
      const applied = await applyChange(deps, payment._id, mapped.change, { occurredAt: mapped.occurredAt, requestId: event.id, current: payment });
      result = { duplicate: false, outcome: applied.applied ? 'applied' : 'no-change', paymentId: payment._id };
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
    if (!signature) return jsonError(res, 400, 'BAD_REQUEST', 'Missing Stripe-Signature header');
    if (!Buffer.isBuffer(req.body)) return jsonError(res, 400, 'BAD_REQUEST', 'Expected a JSON body with Content-Type: application/json');
    let event: Stripe.Event;
    try {
      event = deps.stripe.webhooks.constructEvent(req.body, signature, deps.webhookSecret);
    } catch {
      deps.logger.warn('refused a webhook with an invalid Stripe signature', { ip: req.ip });
      return jsonError(res, 400, 'INVALID_SIGNATURE', 'Invalid Stripe signature');
    }
    try {
      const handled = await runWithRequestScope({ requestId: event.id }, () => handleStripeEvent(deps, event));
      res.json({ received: true, ...handled });
    } catch (err) {
      deps.logger.error('webhook processing failed', { eventId: event.id, type: event.type, error: err instanceof Error ? err.stack : String(err) });
      jsonError(res, 500, 'INTERNAL_SERVER_ERROR', 'The event could not be processed; it will be retried');
    }
  });
}
