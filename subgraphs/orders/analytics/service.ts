import { ORDER_STATUSES } from '../model';
import type { AnalyticsModels, PeriodProductsDoc, PeriodRollupDoc } from './model';
import { addPeriodFigures, rankProducts } from './order-figures';
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
 * Admin analytics answered from the rollups only, one query each: the cost grows with the number
 * of periods asked for, never with the number of orders. The index each read uses is listed in
 * docs/analytics.md, "Indexes".
 */
export function createAnalyticsService(m: AnalyticsModels) {
  /** Totals over a day-aligned range: whole-month documents plus the ragged days, summed by the server. */
  async function rangeFigures(range: DateRange, currency: string): Promise<PeriodFigures> {
    const ids = coveringIds(range, currency);
    if (!ids.length) return zeroPeriodFigures();
    // One read by _id, summed here (checked sums): no $group, whose cost on the local server outweighs a dozen documents.
    const docs = await m.periods.find({ _id: { $in: ids } }, { pending: 0 }).lean<PeriodRollupDoc[]>();
    return docs.reduce((sum, d) => addPeriodFigures(sum, figuresOf(d)), zeroPeriodFigures());
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
      // Summed here, not by $objectToArray + $unwind: mongo-java-server copies the document per unwound
      // element (O(products²) per month document, seconds for a year); this is O(documents × products).
      const docs = await m.periodProducts.find({ _id: { $in: ids } }, { products: 1 }).lean<PeriodProductsDoc[]>();
      return rankProducts(docs.map((d) => d.products ?? {}), limit).map(({ key, ...t }) => ({ productId: productIdFromMapKey(key), ...t }));
    },

    /** By lifetime value; every customer of the currency when no limit is given. */
    async topCustomers(currency: string, limit?: number): Promise<TopCustomer[]> {
      const query = m.customers.find({ currency }, { customerId: 1, orderCount: 1, lifetimeValueCents: 1 }).sort({ lifetimeValueCents: -1, _id: 1 });
      const docs = await (limit === undefined ? query : query.limit(limit)).lean();
      return docs.map((d) => ({ customerId: d.customerId, orderCount: safeInteger(d.orderCount, 'orderCount'), lifetimeValueCents: safeInteger(d.lifetimeValueCents, 'lifetimeValueCents') }));
    },
  };
}
export type AnalyticsService = ReturnType<typeof createAnalyticsService>;

/** The ids of the fewest period documents that exactly cover a range (coverRange): whole months plus ragged days. */
function coveringIds(range: DateRange, currency: string): string[] {
  const { months, days } = coverRange(range);
  return [...months.map((p) => periodRollupId('MONTH', p, currency)), ...days.map((p) => periodRollupId('DAY', p, currency))];
}
