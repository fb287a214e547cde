import type { Model } from 'mongoose';
import { NotFoundError } from '../lib/errors';
import { paymentResultJobId } from '../lib/queues';
import type { PaymentDoc, RefundRecord, ResultRecord } from './model';
import { publishPending, type OutboxDeps } from './outbox';
import type { PaymentRef } from './stripe-events';
import { nextPaymentState, type PaymentChange } from './transitions';

/**
 * Records what happened to a payment: the transition function decides, a conditional update on
 * the status we read applies it (so concurrent or out-of-order events cannot overwrite each other),
 * and the same update pushes the resulting outcomes onto the outbox. Publishing follows.
 */
export interface LedgerDeps extends OutboxDeps {
  payments: Model<PaymentDoc>;
  /** Called once per outcome newly recorded (metrics). */
  onOutcome?: (outcome: ResultRecord['outcome']) => void;
}

export interface ApplyOptions {
  occurredAt: Date;
  requestId: string;
  /** For refunds we initiated: recorded with the change, which then applies once per refund key. */
  refund?: Omit<RefundRecord, 'amountCents'>;
}

export interface ApplyResult {
  payment: PaymentDoc;
  applied: boolean;
}

/** `change` may depend on the current document (a refund adds to what is already refunded). */
export async function applyChange(deps: LedgerDeps, paymentId: string, change: PaymentChange | ((p: PaymentDoc) => PaymentChange), opts: ApplyOptions): Promise<ApplyResult> {
  const step = await deps.lock(`payment:${paymentId}`, () => decideAndRecord(deps, paymentId, change, opts));
  if (!step.applied) return step;
  await publishPending(deps, step.payment);
  return { payment: (await deps.payments.findById(paymentId).lean<PaymentDoc>()) ?? step.payment, applied: true };
}

/**
 * Under the payment's lease: read, let the state machine decide, record. The lease makes this
 * read-decide-write safe on both servers, so the write filters on `_id` alone: FerretDB uses its
 * `_id` fast path only for a filter that is exactly `{_id}` (any extra condition is a full scan).
 */
async function decideAndRecord(deps: LedgerDeps, paymentId: string, change: PaymentChange | ((p: PaymentDoc) => PaymentChange), opts: ApplyOptions): Promise<ApplyResult> {
  const current = await deps.payments.findById(paymentId).lean<PaymentDoc>();
  if (!current) throw new NotFoundError('Payment');
  if (opts.refund && current.refunds.some((r) => r.key === opts.refund!.key)) return { payment: current, applied: false };
  const wanted = typeof change === 'function' ? change(current) : change;
  const next = nextPaymentState(current, wanted);
  if (!next) return { payment: current, applied: false };

  const records: ResultRecord[] = next.outcomes.map((outcome) => ({
    jobId: paymentResultJobId({ paymentId, outcome, refundedCents: next.refundedCents }),
    outcome,
    refundedCents: outcome === 'refunded' ? next.refundedCents : 0,
    occurredAt: opts.occurredAt,
    ...(outcome === 'failed' && next.failureReason ? { failureReason: next.failureReason } : {}),
    requestId: opts.requestId,
  }));
  const push: Record<string, unknown> = { results: { $each: records }, outbox: { $each: records.map((r) => r.jobId) } };
  if (opts.refund) push.refunds = { ...opts.refund, amountCents: next.refundedCents - current.refundedCents };
  const set = { status: next.status, refundedCents: next.refundedCents, ...(next.failureReason ? { failureReason: next.failureReason } : {}) };
  const updated = await deps.payments.findOneAndUpdate({ _id: paymentId }, { $set: set, $push: push }, { new: true }).lean<PaymentDoc>();
  if (!updated) throw new NotFoundError('Payment');
  for (const r of records) deps.onOutcome?.(r.outcome);
  deps.logger.info('payment changed', { paymentId, from: current.status, to: next.status, outcomes: next.outcomes });
  return { payment: updated, applied: true };
}

/** Our payment for a Stripe object: by the payment id we put in metadata, else by intent id. */
export async function findPaymentFor(payments: Model<PaymentDoc>, ref: PaymentRef): Promise<PaymentDoc | null> {
  if (ref.paymentId) {
    const byId = await payments.findById(ref.paymentId).lean<PaymentDoc>();
    if (byId) return byId;
  }
  if (ref.intentId) return payments.findOne({ intentId: ref.intentId }).lean<PaymentDoc>();
  return null;
}
