import Stripe from 'stripe';
import type { StripeConfig } from '../lib/config';

/** The Stripe SDK for our account, or for stripe-mock when host/port/protocol point at it. */
export function createStripe(config: StripeConfig): Stripe {
  return new Stripe(config.secretKey, {
    ...(config.host ? { host: config.host } : {}),
    ...(config.port ? { port: config.port } : {}),
    ...(config.protocol ? { protocol: config.protocol } : {}),
    maxNetworkRetries: 2,
    timeout: 10_000,
    appInfo: { name: 'federated-commerce-payments' },
  });
}

/** A Stripe failure as a message safe to show: Stripe's own message for API errors, a generic one otherwise. */
export function stripeFailure(err: unknown): { message: string; details: Record<string, unknown> } {
  if (err instanceof Stripe.errors.StripeError) {
    return { message: err.message, details: { stripeType: err.type, ...(err.code ? { stripeCode: err.code } : {}) } };
  }
  return { message: 'The payment provider could not be reached', details: {} };
}
