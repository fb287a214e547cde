import type { AnalyticsEvent } from '../../lib/queues';
import { figuresChange, type OrderState } from './order-figures';
import { periodKey, type Granularity } from './periods';

export { PERIOD_COUNTERS, zeroPeriodFigures, type PeriodCounter, type PeriodFigures } from './order-figures';

/**
 * What one analytics event adds to which rollup document: a pure function of the event, so a
 * retry computes exactly the same plan (it is also stored on the applied-event marker). The
 * increments are the order's figures after the event minus its figures before it
 * (order-figures.ts), in the UTC day and month the order was PLACED in: every figure of an order
 * stays with the period it was placed in, so a later success, refund or delivery moves counts
 * within that period and never leaves a negative count in another one.
 * Keys are fixed field names, status names and escaped product ids; ids are built from our own
 * ids, period keys and ISO currency codes (never `.` or `$`).
 */

export type RollupKind = 'period' | 'periodProducts' | 'customer';

export interface RollupTarget {
  kind: RollupKind;
  /** The rollup document's _id. */
  key: string;
  /** Fields written only when the document is created (what the key means, for queries). */
  meta: Record<string, string>;
  inc: Record<string, number>;
  /**
   * period targets only: the change in orders per status (status → ±1). Kept as a map of plain
   * status names (stored as is on the applied-event marker, where keys may not contain dots) and
   * expanded into `byStatus.<status>` paths only in the update (incrementsOf).
   */
  byStatus?: Record<string, number>;
  /** periodProducts targets only: units and revenue per product; expanded into `products.<key>.<field>` by incrementsOf. */
  productFigures?: Array<{ key: string; unitsSold: number; revenueCents: number }>;
}

export const GRANULARITIES: Granularity[] = ['DAY', 'MONTH'];

export const periodRollupId = (g: Granularity, period: string, currency: string) => `${g}:${period}:${currency}`;
export const customerRollupId = (customerId: string, currency: string) => `${customerId}:${currency}`;

/**
 * Product ids become keys of a period's `products` map: ours never hold `.` or `$`, but a stored
 * key must not, whatever arrives, so those two characters are escaped (and restored on reading).
 */
export const productMapKey = (productId: string) => productId.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
export const productIdFromMapKey = (key: string) => key.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');

/** The `$inc` a target makes: its counters, plus the status and per-product paths of a period's documents. */
export function incrementsOf(target: RollupTarget): Record<string, number> {
  const inc = { ...target.inc };
  for (const [status, n] of Object.entries(target.byStatus ?? {})) inc[`byStatus.${status}`] = n;
  for (const p of target.productFigures ?? []) {
    inc[`products.${p.key}.unitsSold`] = p.unitsSold;
    inc[`products.${p.key}.revenueCents`] = p.revenueCents;
  }
  return inc;
}

/** The order's state just before the event (none: the event created it) and just after it. */
function statesOf(e: AnalyticsEvent): { before: OrderState | null; after: OrderState } {
  const before = e.fromStatus === null ? null : { status: e.fromStatus, refundedCents: e.refundedCents - e.refundCents };
  return { before, after: { status: e.toStatus, refundedCents: e.refundedCents } };
}

export function planIncrements(e: AnalyticsEvent): RollupTarget[] {
  const { before, after } = statesOf(e);
  const change = figuresChange({ amountCents: e.amountCents, lines: e.lines }, before, after);
  const periodInc = nonZero(change.period);
  const byStatus = nonZero(change.period.byStatus);
  const productFigures = [...change.products]
    .map(([productId, f]) => ({ key: productMapKey(productId), ...f }))
    .filter((p) => p.unitsSold || p.revenueCents);
  const currency = e.currency;
  const placedAt = new Date(e.placedAt);
  const targets: RollupTarget[] = [];
  for (const g of GRANULARITIES) {
    const period = periodKey(placedAt, g);
    const key = periodRollupId(g, period, currency);
    const meta = { granularity: g, period, currency };
    if (Object.keys(periodInc).length || Object.keys(byStatus).length) targets.push({ kind: 'period', key, meta, inc: periodInc, ...(Object.keys(byStatus).length ? { byStatus } : {}) });
    if (productFigures.length) targets.push({ kind: 'periodProducts', key, meta, inc: {}, productFigures });
  }
  const customerInc = nonZero(change.customer);
  if (Object.keys(customerInc).length) targets.push({ kind: 'customer', key: customerRollupId(e.customerId, currency), meta: { customerId: e.customerId, currency }, inc: customerInc });
  return targets;
}

/** The numeric entries that are not zero (a target increments only what changes). */
function nonZero(values: object): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] !== 0));
}
