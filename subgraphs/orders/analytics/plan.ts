import type { AnalyticsEvent } from '../../lib/queues';
import { periodKey, type Granularity } from './periods';

/**
 * What one analytics event adds to which rollup document: a pure function of the event, so a
 * retry computes exactly the same plan (it is also stored on the applied-event marker).
 * Keys are fixed field names; ids are built from our own ids, period keys and ISO currency codes
 * (never `.` or `$`).
 */
export const PERIOD_COUNTERS = ['attempted', 'succeeded', 'failed', 'cancelled', 'refunded', 'oversold', 'revenueCents', 'refundsCents'] as const;
export type PeriodCounter = (typeof PERIOD_COUNTERS)[number];
export type PeriodFigures = Record<PeriodCounter, number>;

export const PRODUCT_COUNTERS = ['unitsSold', 'revenueCents'] as const;
export const CUSTOMER_COUNTERS = ['orderCount', 'lifetimeValueCents'] as const;

export type RollupKind = 'period' | 'periodProducts' | 'customer';

export interface RollupTarget {
  kind: RollupKind;
  /** The rollup document's _id. */
  key: string;
  /** Fields written only when the document is created (what the key means, for queries). */
  meta: Record<string, string>;
  inc: Record<string, number>;
  /**
   * periodProducts targets only: units and revenue per product sold in the period. Kept as a list
   * (stored as is on the applied-event marker, where keys may not contain dots) and expanded into
   * `products.<key>.<field>` paths only in the update (incrementsOf).
   */
  productFigures?: Array<{ key: string; unitsSold: number; revenueCents: number }>;
}

export const GRANULARITIES: Granularity[] = ['DAY', 'MONTH'];

export const periodRollupId = (g: Granularity, period: string, currency: string) => `${g}:${period}:${currency}`;
export const customerRollupId = (customerId: string, currency: string) => `${customerId}:${currency}`;

export function zeroPeriodFigures(): PeriodFigures {
  return { attempted: 0, succeeded: 0, failed: 0, cancelled: 0, refunded: 0, oversold: 0, revenueCents: 0, refundsCents: 0 };
}

/** What each kind of fact adds to the per-period counters. Money moves only with paid (in) and refunded (out). */
export function periodIncrements(e: AnalyticsEvent): Partial<PeriodFigures> {
  switch (e.kind) {
    case 'order.paid':
      return { attempted: 1, succeeded: 1, revenueCents: e.totalCents };
    case 'order.failed':
      return { attempted: 1, failed: 1 };
    case 'order.cancelled':
      return { cancelled: 1 };
    case 'order.refunded':
      return { refunded: 1, refundsCents: e.refundCents };
    case 'order.oversold':
      return { oversold: 1 };
  }
}

/** Units and revenue per product of a paid order (lines of the same product merged). */
export function productIncrements(e: AnalyticsEvent): Map<string, { unitsSold: number; revenueCents: number }> {
  const byProduct = new Map<string, { unitsSold: number; revenueCents: number }>();
  if (e.kind !== 'order.paid') return byProduct;
  for (const line of e.lines) {
    const acc = byProduct.get(line.productId) ?? { unitsSold: 0, revenueCents: 0 };
    acc.unitsSold += line.quantity;
    acc.revenueCents += line.unitPriceCents * line.quantity;
    byProduct.set(line.productId, acc);
  }
  return byProduct;
}

/** A paid order adds one order and its total to the customer's lifetime value; a refund takes its amount back. */
export function customerIncrements(e: AnalyticsEvent): Record<string, number> | null {
  if (e.kind === 'order.paid') return { orderCount: 1, lifetimeValueCents: e.totalCents };
  if (e.kind === 'order.refunded' && e.refundCents > 0) return { lifetimeValueCents: -e.refundCents };
  return null;
}

/**
 * Product ids become keys of a period's `products` map: ours never hold `.` or `$`, but a stored
 * key must not, whatever arrives, so those two characters are escaped (and restored on reading).
 */
export const productMapKey = (productId: string) => productId.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
export const productIdFromMapKey = (key: string) => key.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');

/**
 * Each period also has a products document (`analytics_period_products`, same `_id` as the period)
 * with units and revenue per product sold in it (`products.<key>`): top products for a range read
 * the few documents of the periods asked for, not the orders or products in the data, and the
 * period documents the charts read stay small.
 */
function productFiguresOf(e: AnalyticsEvent): RollupTarget['productFigures'] {
  const figures = [...productIncrements(e)].map(([productId, f]) => ({ key: productMapKey(productId), ...f }));
  return figures.length ? figures : undefined;
}

/** The `$inc` a target makes: its counters, plus the per-product paths of a period target. */
export function incrementsOf(target: RollupTarget): Record<string, number> {
  const inc = { ...target.inc };
  for (const p of target.productFigures ?? []) {
    inc[`products.${p.key}.unitsSold`] = p.unitsSold;
    inc[`products.${p.key}.revenueCents`] = p.revenueCents;
  }
  return inc;
}

export function planIncrements(e: AnalyticsEvent): RollupTarget[] {
  const at = new Date(e.occurredAt);
  const currency = e.currency;
  const targets: RollupTarget[] = [];
  const periodInc = nonZero(periodIncrements(e));
  const productFigures = productFiguresOf(e);
  for (const g of GRANULARITIES) {
    const period = periodKey(at, g);
    const key = periodRollupId(g, period, currency);
    const meta = { granularity: g, period, currency };
    if (Object.keys(periodInc).length) targets.push({ kind: 'period', key, meta, inc: periodInc });
    if (productFigures) targets.push({ kind: 'periodProducts', key, meta, inc: {}, productFigures });
  }
  const customerInc = customerIncrements(e);
  if (customerInc) targets.push({ kind: 'customer', key: customerRollupId(e.customerId, currency), meta: { customerId: e.customerId, currency }, inc: customerInc });
  return targets;
}

function nonZero(inc: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(inc).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] !== 0));
}
