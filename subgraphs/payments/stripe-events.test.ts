import Stripe from 'stripe';
import { MalformedEventError, changeFromIntentStatus, mapStripeEvent } from './stripe-events';
import { buildChargeRefundedEvent, buildIntentEvent, signEvent } from './simulated-webhooks';

const PAY_1 = { _id: 'pay_1', amountCents: 500, currency: 'USD' };

describe('mapping Stripe events to payment changes', () => {
  it('reads the payment id from intent metadata and keeps the intent id as a fallback reference', () => {
    const event = buildIntentEvent({ payment: { _id: 'pay_1', intentId: 'pi_1', amountCents: 500, currency: 'USD' }, outcome: 'succeeded', created: 1_700_000_000 });
    expect(mapStripeEvent(event)).toEqual({
      ref: { paymentId: 'pay_1', intentId: 'pi_1' },
      change: { kind: 'succeeded' },
      occurredAt: new Date(1_700_000_000_000),
      facts: { intentId: 'pi_1', amountCents: 500, currency: 'usd' },
    });
  });

  it('carries the most specific decline code of a failed attempt, its message only without a code', () => {
    expect(mapStripeEvent(buildIntentEvent({ payment: PAY_1, outcome: 'failed' }))?.change).toEqual({ kind: 'failed', reason: 'generic_decline' });
    const failedWith = (last_payment_error: Record<string, unknown>) =>
      mapStripeEvent({ id: 'evt_5', type: 'payment_intent.payment_failed', created: 1, data: { object: { id: 'pi_5', amount: 500, currency: 'usd', metadata: {}, last_payment_error } } })?.change;
    expect(failedWith({ code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' })).toEqual({ kind: 'failed', reason: 'insufficient_funds' });
    expect(failedWith({ code: 'expired_card', message: 'Your card has expired.' })).toEqual({ kind: 'failed', reason: 'expired_card' });
    expect(failedWith({ message: 'Your card was declined.' })).toEqual({ kind: 'failed', reason: 'Your card was declined.' });
  });

  it('maps a cancellation with its reason', () => {
    expect(mapStripeEvent(buildIntentEvent({ payment: PAY_1, outcome: 'canceled' }))?.change).toEqual({ kind: 'canceled', reason: 'abandoned' });
  });

  it('maps charge.refunded to the cumulative refunded amount and the charge intent', () => {
    const mapped = mapStripeEvent(buildChargeRefundedEvent({ payment: { _id: 'pay_1', intentId: 'pi_9', amountCents: 1000, currency: 'USD' }, amountRefundedCents: 400 }));
    expect(mapped?.ref).toEqual({ paymentId: 'pay_1', intentId: 'pi_9' });
    expect(mapped?.change).toEqual({ kind: 'refunded', refundedCents: 400 });
  });

  it('finds the payment by intent id alone when metadata has no payment id', () => {
    const event = { id: 'evt_1', type: 'payment_intent.succeeded', created: 1, data: { object: { id: 'pi_2', object: 'payment_intent', amount: 500, amount_received: 500, currency: 'usd', metadata: {} } } };
    expect(mapStripeEvent(event)?.ref).toEqual({ paymentId: undefined, intentId: 'pi_2' });
  });

  it('ignores a payment id in metadata that is not a plain id, and refuses an intent without its amount', () => {
    const object = { id: 'pi_3', object: 'payment_intent', amount: 500, amount_received: 500, currency: 'usd', metadata: { paymentId: { $ne: null } } };
    expect(mapStripeEvent({ id: 'evt_3', type: 'payment_intent.succeeded', created: 1, data: { object } })?.ref).toEqual({ paymentId: undefined, intentId: 'pi_3' });
    const { amount: _dropped, ...withoutAmount } = object;
    expect(() => mapStripeEvent({ id: 'evt_4', type: 'payment_intent.succeeded', created: 1, data: { object: withoutAmount } })).toThrow(MalformedEventError);
  });

  it('ignores event types it does not act on', () => {
    expect(mapStripeEvent({ id: 'evt_2', type: 'customer.created', created: 1, data: { object: {} } })).toBeNull();
  });

  it('produces events that Stripe signature verification accepts, and only with the right secret', () => {
    const event = buildIntentEvent({ payment: PAY_1, outcome: 'succeeded' });
    const { payload, signature } = signEvent(event, 'whsec_test_secret');
    expect(Stripe.webhooks.constructEvent(payload, signature, 'whsec_test_secret').id).toBe(event.id);
    expect(() => Stripe.webhooks.constructEvent(payload, signature, 'whsec_other')).toThrow();
  });
});

describe('asking Stripe for an intent right now', () => {
  it('acts only on final statuses', () => {
    expect(changeFromIntentStatus({ status: 'succeeded', cancellation_reason: null })).toEqual({ kind: 'succeeded' });
    expect(changeFromIntentStatus({ status: 'canceled', cancellation_reason: 'duplicate' })).toEqual({ kind: 'canceled', reason: 'duplicate' });
    for (const status of ['requires_payment_method', 'requires_action', 'processing', 'requires_confirmation', 'requires_capture'] as const) {
      expect(changeFromIntentStatus({ status, cancellation_reason: null })).toBeNull();
    }
  });
});
