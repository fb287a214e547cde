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

export type RollupKind = 'period' | 'product' | 'customer';

export interface RollupTarget {
  kind: RollupKind;
  /** The rollup document's _id. */
  key: string;
  /** Fields written only when the document is created (what the key means, for queries). */
  meta: Record<string, string>;
  inc: Record<string, number>;
}

export const GRANULARITIES: Granularity[] = ['DAY', 'MONTH'];

export const periodRollupId = (g: Granularity, period: string, currency: string) => `${g}:${period}:${currency}`;
export const productRollupId = (g: Granularity, period: string, currency: string, productId: string) => `${g}:${period}:${currency}:${productId}`;
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

export function planIncrements(e: AnalyticsEvent): RollupTarget[] {
  const at = new Date(e.occurredAt);
  const currency = e.currency;
  const targets: RollupTarget[] = [];
  const periodInc = nonZero(periodIncrements(e));
  for (const g of GRANULARITIES) {
    const period = periodKey(at, g);
    if (Object.keys(periodInc).length) targets.push({ kind: 'period', key: periodRollupId(g, period, currency), meta: { granularity: g, period, currency }, inc: periodInc });
    for (const [productId, inc] of productIncrements(e)) {
      targets.push({ kind: 'product', key: productRollupId(g, period, currency, productId), meta: { granularity: g, period, currency, productId }, inc: { ...inc } });
    }
  }
  const customerInc = customerIncrements(e);
  if (customerInc) targets.push({ kind: 'customer', key: customerRollupId(e.customerId, currency), meta: { customerId: e.customerId, currency }, inc: customerInc });
  return targets;
}

function nonZero(inc: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(inc).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] !== 0));
}
