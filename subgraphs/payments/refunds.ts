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
 * Gives money back through Stripe, then records it with the same ledger path as webhooks (so the
 * `refunded` result goes through the outbox). Amounts are never added blindly: the payment keeps
 * each refund once (by our key and by Stripe's refund id), and its refunded amount is the larger of
 * what Stripe last reported (charge.refunded carries the cumulative amount) and the sum of the
 * refunds it knows. So a charge.refunded that arrives before the refund is recorded, a crashed
 * refund retried with the same key (Stripe returns the same refund), or concurrent repeats never
 * count the money twice. A refund Stripe reports only through its webhook is counted when it arrives.
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

  const record = { key: input.key, stripeRefundId: refund.id, amountCents: refund.amount, reason: input.reason, at: new Date() };
  const { payment: updated } = await applyChange(deps, payment._id, (p) => ({ kind: 'refunded', refundedCents: Math.max(p.refundedCents, recordedRefunds(p) + record.amountCents) }), {
    occurredAt: new Date(),
    requestId: input.requestId,
    refund: record,
    // Possibly stale by now: the ledger's conditional write notices and decides again.
    current: payment,
  });
  return updated;
}

/** The refunds this payment has recorded by id (never including one being recorded now: the write is conditional on that). */
export function recordedRefunds(p: Pick<PaymentDoc, 'refunds'>): number {
  return p.refunds.reduce((sum, r) => sum + (r.amountCents ?? 0), 0);
}
