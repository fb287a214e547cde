import { AppError, ForbiddenError, PaymentFailedError } from '../lib/errors';
import { applyChange } from './ledger';
import type { PaymentDoc } from './model';
import type { PaymentsDeps } from './service';
import { buildIntentEvent, deliverWebhook, webhookUrlFor, type SimulatedIntentOutcome } from './simulated-webhooks';
import { stripeFailure } from './stripe-client';
import { changeFromIntentStatus } from './stripe-events';

/**
 * What may be asked of one payment besides paying it: look at Stripe now, or (in development)
 * have Stripe's webhook delivered. Callers authorize first (guards.ts: the owner or an admin).
 */

/** The payment as stored now (not the request's loader: the actions below decide from its current state). */
export function findPayment(deps: Pick<PaymentsDeps, 'models'>, paymentId: string): Promise<PaymentDoc | null> {
  return deps.models.payments.findById(paymentId).lean<PaymentDoc>().exec();
}

/**
 * Asks Stripe for the intent's state instead of waiting for the webhook, and records what it says
 * through the same ledger path as a webhook (so the outcome is recorded and published once).
 */
export async function confirmPayment(deps: PaymentsDeps, payment: PaymentDoc, requestId: string): Promise<PaymentDoc> {
  if (!payment.intentId) return payment;
  let intent;
  try {
    intent = await deps.stripe.paymentIntents.retrieve(payment.intentId);
  } catch (err) {
    throw new PaymentFailedError(`Could not ask the payment provider: ${stripeFailure(err).message}`);
  }
  const change = changeFromIntentStatus(intent);
  if (!change) return payment;
  return (await applyChange(deps, payment._id, change, { occurredAt: new Date(), requestId, current: payment })).payment;
}

export type SimulatedOutcome = 'SUCCEEDED' | 'FAILED' | 'CANCELED';

/**
 * Development only (PAYMENT_SIMULATION): delivers a signed Stripe webhook for the payment to this
 * service's own endpoint, so it goes through the production path exactly as Stripe's would.
 */
export async function simulatePaymentWebhook(deps: PaymentsDeps, payment: PaymentDoc, outcome: SimulatedOutcome): Promise<PaymentDoc | null> {
  if (!deps.config.paymentSimulation) throw new ForbiddenError('Simulated payments are off (PAYMENT_SIMULATION)');
  const event = buildIntentEvent({ payment, outcome: outcome.toLowerCase() as SimulatedIntentOutcome });
  const delivery = await deliverWebhook(webhookUrlFor(deps.config.peers.payments), event, deps.config.stripe.webhookSecret);
  if (delivery.status !== 200) throw new AppError('INTERNAL_SERVER_ERROR', `The webhook endpoint answered HTTP ${delivery.status}`);
  return findPayment(deps, payment._id);
}
