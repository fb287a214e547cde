import type { Model } from 'mongoose';
import { NotFoundError } from '../lib/errors';
import { paymentResultJobId } from '../lib/queues';
import type { PaymentDoc, RefundRecord, ResultRecord } from './model';
import { addToOutbox, publishOutboxSoon, type OutboxPublisher } from '../lib/outbox';
import type { Logger } from '../lib/logger';
import { resultEntries } from './results';
import type { PaymentRef } from './stripe-events';
import { nextPaymentState, type PaymentChange, type Transition } from './transitions';

/**
 * Records what happened to a payment: the transition function decides from the document as read,
 * and ONE conditional update applies its answer only if the payment is still in the state that was
 * read (same status, same refunded amount). The same update pushes the outcomes onto the outbox,
 * so an outcome is never recorded without its pending publication. Publishing follows.
 */
export interface LedgerDeps {
  payments: Model<PaymentDoc>;
  /** Where the payment-results outbox is published (lib/outbox.ts). */
  publisher: OutboxPublisher;
  logger: Logger;
  /** Called once per outcome newly recorded (metrics). */
  onOutcome?: (outcome: ResultRecord['outcome']) => void;
}

export interface ApplyOptions {
  occurredAt: Date;
  requestId: string;
  /** For refunds we initiated: recorded with the change, once per refund key and Stripe refund id. */
  refund?: RefundRecord;
  /** The payment as the caller just read it: saves the first read. */
  current?: PaymentDoc;
}

export interface ApplyResult {
  payment: PaymentDoc;
  applied: boolean;
}

type ChangeFor = PaymentChange | ((p: PaymentDoc) => PaymentChange);

/**
 * Each lost race means another writer moved the payment; a payment has only a handful of
 * transitions, so this many rounds are only exhausted by a flood of distinct refunds at once.
 */
const MAX_DECISIONS = 20;

/** `change` may depend on the current document (a refund adds to what is already refunded). */
export async function applyChange(deps: LedgerDeps, paymentId: string, change: ChangeFor, opts: ApplyOptions): Promise<ApplyResult> {
  const step = await decideAndRecord(deps, paymentId, change, opts);
  if (!step.applied) return step;
  // Published now if Redis answers; otherwise the payments worker's relay publishes it.
  await publishOutboxSoon(deps.payments, deps.publisher, step.payment, deps.logger);
  return step;
}

/**
 * Read, let the state machine decide, write on the condition that nothing moved in between. A
 * null result means another delivery (or refund) changed the payment first: read again and decide
 * again, so a repeat or an outdated event becomes "no change" instead of a second record.
 */
async function decideAndRecord(deps: LedgerDeps, paymentId: string, change: ChangeFor, opts: ApplyOptions): Promise<ApplyResult> {
  let current = opts.current ?? (await readPayment(deps.payments, paymentId));
  for (let round = 0; round < MAX_DECISIONS; round++) {
    if (opts.refund && current.refunds.some((r) => r.key === opts.refund!.key)) return { payment: current, applied: false };
    const next = nextPaymentState(current, typeof change === 'function' ? change(current) : change);
    // Stripe may have told us this refund's amount first (charge.refunded): keep the record anyway.
    if (!next && opts.refund) return { payment: await recordRefundOnly(deps.payments, current, opts.refund), applied: false };
    if (!next) return { payment: current, applied: false };

    const records = resultRecords(paymentId, next, opts);
    const updated = await deps.payments.findOneAndUpdate(unchangedSince(current, opts), recordUpdate(current, next, records, opts), { new: true }).lean<PaymentDoc>();
    if (updated) {
      for (const r of records) deps.onOutcome?.(r.outcome);
      deps.logger.info('payment changed', { paymentId, from: current.status, to: next.status, outcomes: next.outcomes });
      return { payment: updated, applied: true };
    }
    current = await readPayment(deps.payments, paymentId);
  }
  // A transient fault, not a client error: the webhook answers 500 (Stripe retries), a job retries.
  throw new Error(`payment ${paymentId} kept changing during ${MAX_DECISIONS} decisions`);
}

async function readPayment(payments: Model<PaymentDoc>, paymentId: string): Promise<PaymentDoc> {
  const found = await payments.findById(paymentId).lean<PaymentDoc>();
  if (!found) throw new NotFoundError('Payment');
  return found;
}

/** The filter that makes the write conditional on the state the decision was made from. */
function unchangedSince(current: PaymentDoc, opts: ApplyOptions): Record<string, unknown> {
  return {
    _id: current._id,
    status: current.status,
    refundedCents: current.refundedCents,
    ...(opts.refund ? refundNotRecorded(opts.refund) : {}),
  };
}

const refundNotRecorded = (refund: RefundRecord) => ({ 'refunds.key': { $ne: refund.key }, 'refunds.stripeRefundId': { $ne: refund.stripeRefundId } });

/** Records a refund whose amount is already counted; a repeat (same key or Stripe id) changes nothing. */
async function recordRefundOnly(payments: Model<PaymentDoc>, current: PaymentDoc, refund: RefundRecord): Promise<PaymentDoc> {
  const updated = await payments.findOneAndUpdate({ _id: current._id, ...refundNotRecorded(refund) }, { $push: { refunds: refund } }, { new: true }).lean<PaymentDoc>();
  return updated ?? current;
}

function resultRecords(paymentId: string, next: Transition, opts: ApplyOptions): ResultRecord[] {
  return next.outcomes.map((outcome) => ({
    jobId: paymentResultJobId({ paymentId, outcome, refundedCents: next.refundedCents }),
    outcome,
    refundedCents: outcome === 'refunded' ? next.refundedCents : 0,
    occurredAt: opts.occurredAt,
    ...(outcome === 'failed' && next.failureReason ? { failureReason: next.failureReason } : {}),
    requestId: opts.requestId,
  }));
}

/** The outcome, its result records and their outbox entries (and a refund record): one update. */
function recordUpdate(current: PaymentDoc, next: Transition, records: ResultRecord[], opts: ApplyOptions) {
  const outbox = addToOutbox(resultEntries(current, records));
  const push: Record<string, unknown> = { results: { $each: records }, ...('$push' in outbox ? outbox.$push : {}) };
  if (opts.refund) push.refunds = opts.refund;
  const set = { status: next.status, refundedCents: next.refundedCents, ...(next.failureReason ? { failureReason: next.failureReason } : {}) };
  return { $set: set, $push: push, ...('$inc' in outbox ? { $inc: outbox.$inc } : {}) };
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
