import type { PaymentOutcome } from '../lib/queues';
import type { PaymentStatus } from './model';

/**
 * What the payment provider told us happened, in our own words. `refunded` carries the
 * cumulative amount refunded so far (Stripe's charge.amount_refunded), so a repeated or
 * out-of-date refund notice is recognised by comparing amounts.
 */
export type PaymentChange =
  | { kind: 'succeeded' }
  | { kind: 'failed'; reason?: string }
  | { kind: 'canceled'; reason?: string }
  | { kind: 'refunded'; refundedCents: number };

export interface PaymentState {
  status: PaymentStatus;
  amountCents: number;
  refundedCents: number;
}

export interface Transition {
  status: PaymentStatus;
  refundedCents: number;
  /** Results to publish, in order (each becomes an outbox entry). */
  outcomes: PaymentOutcome[];
  failureReason?: string;
}

const CAPTURED: PaymentStatus[] = ['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED'];
const NOT_YET_PAID: PaymentStatus[] = ['PENDING', 'FAILED'];

/**
 * The payment state machine, as one pure function. Events may arrive in any order and more than
 * once; the answer is null when the change must be ignored:
 * - money captured is never undone by a late `failed` or `canceled`;
 * - `failed` is recorded only from PENDING; a later `succeeded` still wins (Stripe lets the
 *   customer retry with another payment method after a failed attempt);
 * - `canceled` is final and publishes `canceled` (orders then give the held stock back);
 * - a refund counts only when its cumulative amount exceeds what we already recorded; a refund
 *   seen before the success it implies publishes `succeeded` first.
 */
export function nextPaymentState(state: PaymentState, change: PaymentChange): Transition | null {
  switch (change.kind) {
    case 'succeeded':
      return NOT_YET_PAID.includes(state.status) ? { status: 'SUCCEEDED', refundedCents: state.refundedCents, outcomes: ['succeeded'] } : null;
    case 'failed':
      return state.status === 'PENDING' ? { status: 'FAILED', refundedCents: 0, outcomes: ['failed'], failureReason: change.reason ?? 'payment failed' } : null;
    case 'canceled':
      // Final: orders give the held stock back only now (a failed attempt may still be paid).
      if (NOT_YET_PAID.includes(state.status)) return { status: 'CANCELED', refundedCents: 0, outcomes: ['canceled'], failureReason: change.reason ?? 'canceled' };
      return null;
    case 'refunded':
      return refundTransition(state, change.refundedCents);
  }
}

function refundTransition(state: PaymentState, cumulative: number): Transition | null {
  const refundedCents = Math.min(cumulative, state.amountCents);
  if (refundedCents <= state.refundedCents) return null;
  const status: PaymentStatus = refundedCents >= state.amountCents ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
  if (CAPTURED.includes(state.status)) return { status, refundedCents, outcomes: ['refunded'] };
  if (NOT_YET_PAID.includes(state.status)) return { status, refundedCents, outcomes: ['succeeded', 'refunded'] };
  return null;
}

/** Statuses from which money can be given back. */
export function isRefundable(status: PaymentStatus): boolean {
  return status === 'SUCCEEDED' || status === 'PARTIALLY_REFUNDED';
}
