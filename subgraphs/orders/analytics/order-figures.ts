import type { LineSnapshot } from '../../lib/queues';
import { addSafely, safeInteger } from './safe-integers';

/**
 * What ONE order contributes to the analytics figures, as a pure function of its facts (which
 * never change: total, lines) and its state (status, cumulative refunded amount). Everything is
 * built on it: the worker adds, per event, the figures of the state after it minus those of the
 * state before it (plan.ts); reconciliation sums the figures of each order's final state
 * (reconcile.ts). So the events of an order always add up to the figures of its current state,
 * whatever the order of delivery, and the two sides cannot disagree by construction.
 *
 * The definitions (docs/analytics.md, "What each figure means"):
 * - attempted: 1 for every order (an order exists once a payment attempt had an outcome);
 * - succeeded: 1 if its payment succeeded and the stock was ours (every status but FAILED and
 *   OVERSOLD_REFUNDED; a canceled or refunded order was paid first);
 * - failed: 1 while its payment has failed and not (yet) succeeded; oversold: 1 if OVERSOLD_REFUNDED;
 * - canceled: 1 if CANCELED; refunded: 1 if it was paid and has money refunded;
 * - revenueCents: its total if paid; refundsCents: its refunded amount if paid (an oversold order
 *   never brought revenue, so its automatic refund takes none back);
 * - byStatus: 1 for its current status;
 * - per product (if paid): units and gross revenue of its lines;
 * - its customer (if paid): one order, and total − refunded as lifetime value.
 */
export const PERIOD_COUNTERS = ['attempted', 'succeeded', 'failed', 'canceled', 'refunded', 'oversold', 'revenueCents', 'refundsCents'] as const;
export type PeriodCounter = (typeof PERIOD_COUNTERS)[number];

/** A period's counters and how many of its orders are in each status now (status → count). */
export type PeriodFigures = Record<PeriodCounter, number> & { byStatus: Record<string, number> };

export interface ProductFigures {
  unitsSold: number;
  revenueCents: number;
}

export interface CustomerFigures {
  orderCount: number;
  lifetimeValueCents: number;
}

export interface OrderFigures {
  period: PeriodFigures;
  /** productId → figures (empty unless paid). */
  products: Map<string, ProductFigures>;
  customer: CustomerFigures;
}

/** The facts of an order that never change. */
export interface OrderFacts {
  amountCents: number;
  lines: LineSnapshot[];
}

/** The state of an order that its figures depend on; null: the order does not exist (yet). */
export interface OrderState {
  status: string;
  refundedCents: number;
}

/** Statuses of orders whose payment never became a sale. */
const NEVER_PAID = new Set(['FAILED', 'OVERSOLD_REFUNDED']);

export function zeroPeriodFigures(): PeriodFigures {
  return { attempted: 0, succeeded: 0, failed: 0, canceled: 0, refunded: 0, oversold: 0, revenueCents: 0, refundsCents: 0, byStatus: {} };
}

export function orderFigures(order: OrderFacts, state: OrderState | null): OrderFigures {
  const figures: OrderFigures = { period: zeroPeriodFigures(), products: new Map(), customer: { orderCount: 0, lifetimeValueCents: 0 } };
  if (!state) return figures;
  const paid = !NEVER_PAID.has(state.status);
  const refunded = paid ? state.refundedCents : 0;
  Object.assign(figures.period, {
    attempted: 1,
    succeeded: paid ? 1 : 0,
    failed: state.status === 'FAILED' ? 1 : 0,
    oversold: state.status === 'OVERSOLD_REFUNDED' ? 1 : 0,
    canceled: state.status === 'CANCELED' ? 1 : 0,
    refunded: refunded > 0 ? 1 : 0,
    revenueCents: paid ? order.amountCents : 0,
    refundsCents: refunded,
    byStatus: { [state.status]: 1 },
  });
  if (!paid) return figures;
  figures.customer = { orderCount: 1, lifetimeValueCents: order.amountCents - refunded };
  for (const line of order.lines) {
    const p = figures.products.get(line.productId) ?? { unitsSold: 0, revenueCents: 0 };
    figures.products.set(line.productId, { unitsSold: p.unitsSold + line.quantity, revenueCents: p.revenueCents + line.unitPriceCents * line.quantity });
  }
  return figures;
}

/** What moving an order from `before` to `after` adds to every figure (negative where it takes away). */
export function figuresChange(order: OrderFacts, before: OrderState | null, after: OrderState): OrderFigures {
  const [was, now] = [orderFigures(order, before), orderFigures(order, after)];
  const change: OrderFigures = { period: zeroPeriodFigures(), products: new Map(), customer: { orderCount: 0, lifetimeValueCents: 0 } };
  for (const k of PERIOD_COUNTERS) change.period[k] = now.period[k] - was.period[k];
  for (const s of new Set([...Object.keys(was.period.byStatus), ...Object.keys(now.period.byStatus)])) {
    change.period.byStatus[s] = (now.period.byStatus[s] ?? 0) - (was.period.byStatus[s] ?? 0);
  }
  for (const id of new Set([...was.products.keys(), ...now.products.keys()])) {
    const [a, b] = [was.products.get(id), now.products.get(id)];
    change.products.set(id, { unitsSold: (b?.unitsSold ?? 0) - (a?.unitsSold ?? 0), revenueCents: (b?.revenueCents ?? 0) - (a?.revenueCents ?? 0) });
  }
  change.customer = { orderCount: now.customer.orderCount - was.customer.orderCount, lifetimeValueCents: now.customer.lifetimeValueCents - was.customer.lifetimeValueCents };
  return change;
}

/** a + b for period figures (status counts included), refusing any sum JavaScript cannot hold exactly. */
export function addPeriodFigures(a: PeriodFigures, b: PeriodFigures): PeriodFigures {
  const sum = zeroPeriodFigures();
  for (const k of PERIOD_COUNTERS) sum[k] = addSafely(a[k], b[k], k);
  for (const s of new Set([...Object.keys(a.byStatus), ...Object.keys(b.byStatus)])) sum.byStatus[s] = addSafely(a.byStatus[s] ?? 0, b.byStatus[s] ?? 0, `byStatus.${s}`);
  return sum;
}

/** Units and revenue of one product in one period's `products` map (stored counters, checked when read). */
export type ProductTotals = { unitsSold?: unknown; revenueCents?: unknown };

/**
 * Several periods' product maps summed per map key (checked sums) and ranked: revenue, then units,
 * descending, then the key in byte order, so equal figures always come out in the same order.
 */
export function rankProducts(maps: Array<Record<string, ProductTotals>>, limit?: number): Array<{ key: string; unitsSold: number; revenueCents: number }> {
  const totals = new Map<string, { unitsSold: number; revenueCents: number }>();
  for (const map of maps) {
    for (const [key, f] of Object.entries(map)) {
      const t = totals.get(key) ?? { unitsSold: 0, revenueCents: 0 };
      totals.set(key, { unitsSold: addSafely(t.unitsSold, safeInteger(f.unitsSold, 'unitsSold'), 'unitsSold'), revenueCents: addSafely(t.revenueCents, safeInteger(f.revenueCents, 'revenueCents'), 'revenueCents') });
    }
  }
  const ranked = [...totals].map(([key, t]) => ({ key, ...t })).sort((a, b) => b.revenueCents - a.revenueCents || b.unitsSold - a.unitsSold || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return limit === undefined ? ranked : ranked.slice(0, limit);
}
