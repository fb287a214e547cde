import { ConflictError } from '../lib/errors';
import type { OrderStatus } from './model';

/**
 * The order state machine, in one table. Each allowed move names who may make it:
 * a customer (their own order), an admin, or the payment pipeline (payment results).
 * Anything not listed is refused with CONFLICT and changes nothing.
 */
export type Actor = 'customer' | 'admin' | 'payments';

export const TRANSITIONS: Readonly<Record<OrderStatus, Partial<Record<OrderStatus, readonly Actor[]>>>> = {
  PAID: {
    PROCESSING: ['admin'],
    SHIPPED: ['admin'],
    CANCELED: ['customer', 'admin'],
    REFUNDED: ['payments'],
    PARTIALLY_REFUNDED: ['payments'],
  },
  PROCESSING: {
    SHIPPED: ['admin'],
    CANCELED: ['customer', 'admin'],
    REFUNDED: ['payments'],
    PARTIALLY_REFUNDED: ['payments'],
  },
  SHIPPED: { DELIVERED: ['admin'], REFUNDED: ['payments'], PARTIALLY_REFUNDED: ['payments'] },
  DELIVERED: { REFUNDED: ['payments'], PARTIALLY_REFUNDED: ['payments'] },
  PARTIALLY_REFUNDED: { REFUNDED: ['payments'] },
  // A payment that failed once and then succeeded (Stripe allows retries on one intent) is not lost.
  FAILED: { PAID: ['payments'], OVERSOLD_REFUNDED: ['payments'] },
  // Terminal: refunds arriving later only raise refundedCents.
  CANCELED: {},
  REFUNDED: {},
  OVERSOLD_REFUNDED: {},
};

export type TransitionCheck = { ok: true } | { ok: false; why: string };

export function checkTransition(from: OrderStatus, to: OrderStatus, actor: Actor): TransitionCheck {
  const allowed = TRANSITIONS[from]?.[to];
  if (!allowed) return { ok: false, why: `an order cannot move from ${from} to ${to}` };
  if (!allowed.includes(actor)) return { ok: false, why: `${to} is set by ${allowed.join(' or ')}, not by ${actor}` };
  return { ok: true };
}

export function canTransition(from: OrderStatus, to: OrderStatus, actor: Actor): boolean {
  return checkTransition(from, to, actor).ok;
}

/** Throws CONFLICT with `from` and `to` in extensions when the move is not allowed. */
export function assertTransition(from: OrderStatus, to: OrderStatus, actor: Actor): void {
  const check = checkTransition(from, to, actor);
  if (!check.ok) throw new ConflictError(`Cannot change order status from ${from} to ${to}: ${check.why}`, { from, to });
}

/** Statuses from which `actor` may cancel. */
export function isCancelable(status: OrderStatus, actor: Actor = 'customer'): boolean {
  return canTransition(status, 'CANCELED', actor);
}

/** Where a (cumulative) refund puts an order. */
export function refundTarget(amountCents: number, refundedCents: number): 'REFUNDED' | 'PARTIALLY_REFUNDED' {
  return refundedCents >= amountCents ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
}

/** Adding tracking ships an order that is not yet shipped; on a SHIPPED order it only corrects the tracking. */
export function trackingTarget(status: OrderStatus): { to: OrderStatus; moves: boolean } | null {
  if (status === 'SHIPPED') return { to: 'SHIPPED', moves: false };
  return canTransition(status, 'SHIPPED', 'admin') ? { to: 'SHIPPED', moves: true } : null;
}
