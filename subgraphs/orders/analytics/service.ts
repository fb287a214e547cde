import type { PipelineStage } from 'mongoose';
import { ORDER_STATUSES } from '../model';
import type { AnalyticsModels, PeriodRollupDoc } from './model';
import { PERIOD_COUNTERS, periodRollupId, productIdFromMapKey, zeroPeriodFigures, type PeriodCounter, type PeriodFigures } from './plan';
import { averageCents, coverRange, listPeriods, rate, zeroFill, type DateRange, type Granularity } from './periods';
import { safeInteger } from './safe-integers';

export interface SalesPoint {
  period: string;
  total: number;
  successful: number;
  failed: number;
  canceled: number;
  refunded: number;
  oversold: number;
  revenueCents: number;
  refundsCents: number;
}

export interface OrderStatistics {
  from: Date;
  to: Date;
  currency: string;
  totalOrders: number;
  successfulOrders: number;
  totalRevenueCents: number;
  refundsCents: number;
  netRevenueCents: number;
  averageOrderValueCents: number;
  successRate: number;
  ordersByStatus: Array<{ status: string; count: number }>;
}

export interface TopProduct {
  productId: string;
  unitsSold: number;
  revenueCents: number;
}

export interface TopCustomer {
  customerId: string;
  orderCount: number;
  lifetimeValueCents: number;
}

/** Figures as stored or summed by the server: numbers, int64 or missing, checked on reading. */
type StoredFigures = { [K in PeriodCounter]?: unknown } & { byStatus?: Record<string, unknown> };

/** A rollup document's (or a sum's) figures, each checked to be an exact safe integer (safe-integers.ts). */
export function figuresOf(doc: StoredFigures | null | undefined): PeriodFigures {
  const figures = zeroPeriodFigures();
  for (const k of PERIOD_COUNTERS) figures[k] = safeInteger(doc?.[k], k);
  for (const [status, n] of Object.entries(doc?.byStatus ?? {})) figures.byStatus[status] = safeInteger(n, `byStatus.${status}`);
  return figures;
}

/** A chart bucket: the orders placed in it and their money (`total` = successful + failed + oversold). */
export function toSalesPoint(f: PeriodFigures): Omit<SalesPoint, 'period'> {
  return { total: f.attempted, successful: f.succeeded, failed: f.failed, canceled: f.canceled, refunded: f.refunded, oversold: f.oversold, revenueCents: f.revenueCents, refundsCents: f.refundsCents };
}

/** How many of the range's orders are in each status now: every status, in the OrderStatus enum's order. */
export function statusCounts(f: PeriodFigures): OrderStatistics['ordersByStatus'] {
  return ORDER_STATUSES.map((status) => ({ status, count: f.byStatus[status] ?? 0 }));
}

/**
 * `$sum` of every period counter and status count over the matched documents: one `$group` with one
 * accumulator each (a `$group` output name may not hold a dot, so `byStatus.PAID` sums into `byStatus_PAID`).
 */
const SUM_FIGURES = {
  ...Object.fromEntries(PERIOD_COUNTERS.map((k) => [k, { $sum: `$${k}` }])),
  ...Object.fromEntries(ORDER_STATUSES.map((s) => [`byStatus_${s}`, { $sum: `$byStatus.${s}` }])),
};

function figuresOfSum(sum: Record<string, unknown> | undefined): PeriodFigures {
  return figuresOf(sum && { ...sum, byStatus: Object.fromEntries(ORDER_STATUSES.map((s) => [s, sum[`byStatus_${s}`]])) });
}

/** Each listed document's `products` map unwound and summed per product, best sellers first. */
function productTotalsPipeline(ids: string[], limit?: number): PipelineStage[] {
  return [
    { $match: { _id: { $in: ids } } },
    { $project: { products: { $objectToArray: { $ifNull: ['$products', {}] } } } },
    { $unwind: '$products' },
    { $group: { _id: '$products.k', unitsSold: { $sum: '$products.v.unitsSold' }, revenueCents: { $sum: '$products.v.revenueCents' } } },
    { $sort: { revenueCents: -1, unitsSold: -1, _id: 1 } },
    ...(limit === undefined ? [] : [{ $limit: limit }]),
  ];
}

/**
 * Admin analytics answered from the rollups only, one query each: the cost grows with the number
 * of periods asked for, never with the number of orders. The index each read uses is listed in
 * docs/analytics.md, "Indexes".
 */
export function analyticsService(m: AnalyticsModels) {
  /** Totals over a day-aligned range: whole-month documents plus the ragged days, summed by the server. */
  async function rangeFigures(range: DateRange, currency: string): Promise<PeriodFigures> {
    const ids = coveringIds(range, currency);
    if (!ids.length) return zeroPeriodFigures();
    const [sum] = await m.periods.aggregate<Record<string, unknown>>([{ $match: { _id: { $in: ids } } }, { $group: { _id: null, ...SUM_FIGURES } }]);
    return figuresOfSum(sum);
  }

  return {
    rangeFigures,

    /** One range read on {granularity, currency, period}: the buckets are consecutive keys. */
    async salesChart(range: DateRange, granularity: Granularity, currency: string): Promise<SalesPoint[]> {
      const keys = listPeriods(range, granularity);
      if (!keys.length) return [];
      const docs = await m.periods
        .find({ granularity, currency, period: { $gte: keys[0], $lte: keys[keys.length - 1] } }, { period: 1, byStatus: 1, ...Object.fromEntries(PERIOD_COUNTERS.map((k) => [k, 1])) })
        .lean<PeriodRollupDoc[]>();
      const found = new Map(docs.map((d) => [d.period, toSalesPoint(figuresOf(d))]));
      return zeroFill(keys, found, () => toSalesPoint(zeroPeriodFigures()));
    },

    async orderStatistics(range: DateRange, currency: string): Promise<OrderStatistics> {
      const f = await rangeFigures(range, currency);
      return {
        from: range.from,
        to: range.to,
        currency,
        totalOrders: f.attempted,
        successfulOrders: f.succeeded,
        totalRevenueCents: f.revenueCents,
        refundsCents: f.refundsCents,
        netRevenueCents: f.revenueCents - f.refundsCents,
        averageOrderValueCents: averageCents(f.revenueCents, f.succeeded),
        successRate: rate(f.succeeded, f.attempted),
        ordersByStatus: statusCounts(f),
      };
    },

    /** By revenue, then units, over the range's covering documents; every product when no limit is given. */
    async topProducts(range: DateRange, currency: string, limit?: number): Promise<TopProduct[]> {
      const ids = coveringIds(range, currency);
      if (!ids.length) return [];
      const rows = await m.periodProducts.aggregate<{ _id: string; unitsSold: unknown; revenueCents: unknown }>(productTotalsPipeline(ids, limit));
      return rows.map((r) => ({ productId: productIdFromMapKey(r._id), unitsSold: safeInteger(r.unitsSold, 'unitsSold'), revenueCents: safeInteger(r.revenueCents, 'revenueCents') }));
    },

    /** By lifetime value; every customer of the currency when no limit is given. */
    async topCustomers(currency: string, limit?: number): Promise<TopCustomer[]> {
      const query = m.customers.find({ currency }, { customerId: 1, orderCount: 1, lifetimeValueCents: 1 }).sort({ lifetimeValueCents: -1, _id: 1 });
      const docs = await (limit === undefined ? query : query.limit(limit)).lean();
      return docs.map((d) => ({ customerId: d.customerId, orderCount: safeInteger(d.orderCount, 'orderCount'), lifetimeValueCents: safeInteger(d.lifetimeValueCents, 'lifetimeValueCents') }));
    },
  };
}
export type AnalyticsService = ReturnType<typeof analyticsService>;

/** The ids of the fewest period documents that exactly cover a range (coverRange): whole months plus ragged days. */
function coveringIds(range: DateRange, currency: string): string[] {
  const { months, days } = coverRange(range);
  return [...months.map((p) => periodRollupId('MONTH', p, currency)), ...days.map((p) => periodRollupId('DAY', p, currency))];
}
