import type Stripe from 'stripe';
import { BadUserInputError, ConflictError, NotFoundError, PaymentFailedError } from '../lib/errors';
import { applyChange, type LedgerDeps } from './ledger';
import type { PaymentDoc } from './model';
import { stripeFailure } from './stripe-client';
import { isRefundable } from './transitions';

export interface RefundDeps extends LedgerDeps {
  stripe: Stripe;
}

export interface RefundRequestInput {
  paymentId: string;
  /** Omitted: everything not yet refunded. */
  amountCents?: number;
  /** Makes the refund happen once: the Stripe idempotency key and the refund record key. */
  key: string;
  reason: string;
  requestId: string;
}

/**
 * Gives money back through Stripe, then records the cumulative refunded amount with the same
 * ledger path as webhooks (so the `refunded` result goes through the outbox). Repeating a request
 * with the same key returns the payment unchanged and Stripe returns the same refund; concurrent
 * repeats all reach the ledger, whose write is conditional on the key not being recorded yet, so
 * exactly one records the refund.
 */
export async function refundPayment(deps: RefundDeps, input: RefundRequestInput, alreadyRead?: PaymentDoc): Promise<PaymentDoc> {
  const payment = alreadyRead ?? (await deps.payments.findById(input.paymentId).lean<PaymentDoc>());
  if (!payment) throw new NotFoundError('Payment');
  if (payment.refunds.some((r) => r.key === input.key)) return payment;
  if (!isRefundable(payment.status)) throw new ConflictError(`A ${payment.status.toLowerCase()} payment cannot be refunded`, { status: payment.status });
  if (!payment.intentId) throw new ConflictError('The payment has no Stripe payment intent');

  const remaining = payment.amountCents - payment.refundedCents;
  const amount = input.amountCents ?? remaining;
  if (amount <= 0 || amount > remaining) {
    throw new BadUserInputError(`amountCents must be between 1 and the ${remaining} not yet refunded`, ['amountCents'], { remainingCents: remaining });
  }

  let refund: Stripe.Refund;
  try {
    refund = await deps.stripe.refunds.create(
      { payment_intent: payment.intentId, amount, metadata: { paymentId: payment._id, refundKey: input.key } },
      { idempotencyKey: `refund-${input.key}` },
    );
  } catch (err) {
    const failure = stripeFailure(err);
    deps.logger.warn('Stripe refused a refund', { paymentId: payment._id, error: String(err) });
    throw new PaymentFailedError(`Refund failed: ${failure.message}`, failure.details);
  }

  const { payment: updated } = await applyChange(deps, payment._id, (p) => ({ kind: 'refunded', refundedCents: p.refundedCents + amount }), {
    occurredAt: new Date(),
    requestId: input.requestId,
    refund: { key: input.key, stripeRefundId: refund.id, reason: input.reason, at: new Date() },
    // Possibly stale by now: the ledger's conditional write notices and decides again.
    current: payment,
  });
  return updated;
}
