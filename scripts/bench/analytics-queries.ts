/**
 * bench:analytics: what is timed. The admin dashboard's reads (gateway/public/admin/app.js), each
 * alone and as the page load they make together, answered by createAnalyticsService from the rollups;
 * and the same statistics aggregated from the orders on the fly. Timing is interleaved: each run
 * goes once through every (size, query) cell, so the noise of a shared machine falls on every size
 * alike and the ratios between sizes hold even when absolute times wander.
 */
import type { Model } from 'mongoose';
import type { OrderDoc } from '../../subgraphs/orders/model';
import type { AnalyticsService, OrderStatistics } from '../../subgraphs/orders/analytics/service';
import { addUtcDays, alignRange, presetRange, startOfUtcDay, type DateRange } from '../../subgraphs/orders/analytics/periods';
import { percentile } from './measure';


/** A cell whose first (warm-up) run takes long gets fewer runs: about this many ms in all, at least 10 runs. */
const CELL_BUDGET_MS = 15_000;

export interface Timing {
  p50: number;
  p95: number;
  runs: number;
}

export interface Cell {
  /** `<size>/<query>`. */
  key: string;
  run: () => Promise<unknown>;
  /** Fewer runs for the slow on-the-fly aggregation. */
  runs: number;
}

export const QUERY_NAMES = ['dashboard', 'statsYear', 'statsRagged', 'topProductsYear', 'topCustomers', 'chartMonth2y', 'chartDay2y'] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

export interface Ranges {
  year: DateRange;
  twoYears: DateRange;
  /** The last 365 whole days: 11 or 12 months plus ragged days at both ends. */
  ragged: DateRange;
}

export function benchRanges(now: Date): Ranges {
  const today = startOfUtcDay(now);
  return { year: presetRange('LAST_YEAR', now), twoYears: presetRange('LAST_2_YEARS', now), ragged: { from: addUtcDays(today, -364), to: addUtcDays(today, 1) } };
}

/**
 * Every read the dashboard makes, by name. `dashboard` is its heaviest page, "Last 2 years" by
 * day: the chart query, then the statistics query, whose orderStatistics (then its topProducts)
 * and topCustomers the gateway resolves side by side.
 */
export function dashboardQueries(service: AnalyticsService, r: Ranges): Record<QueryName, () => Promise<unknown>> {
  const twoYearsByDay = alignRange(r.twoYears, 'DAY');
  return {
    dashboard: async () => {
      await service.salesChart(twoYearsByDay, 'DAY', 'USD');
      await Promise.all([service.orderStatistics(r.twoYears, 'USD').then(() => service.topProducts(r.twoYears, 'USD', 5)), service.topCustomers('USD', 5)]);
    },
    statsYear: () => service.orderStatistics(r.year, 'USD'),
    statsRagged: () => service.orderStatistics(r.ragged, 'USD'),
    topProductsYear: () => service.topProducts(r.year, 'USD', 5),
    topCustomers: () => service.topCustomers('USD', 5),
    chartMonth2y: () => service.salesChart(r.twoYears, 'MONTH', 'USD'),
    chartDay2y: () => service.salesChart(twoYearsByDay, 'DAY', 'USD'),
  };
}

const NEVER_PAID = new Set(['FAILED', 'OVERSOLD_REFUNDED']);
type StatisticsFigures = Pick<OrderStatistics, 'totalOrders' | 'successfulOrders' | 'totalRevenueCents' | 'refundsCents' | 'ordersByStatus'>;

/** The orders placed in the range, counted and summed per status by the server: one `$match` + `$group`. */
export function onTheFlyGroups(orders: Model<OrderDoc>, range: DateRange) {
  return orders.aggregate<{ _id: string; n: number; amountCents: number; refundedCents: number }>([
    { $match: { currency: 'USD', placedAt: { $gte: range.from, $lt: range.to } } },
    { $group: { _id: '$status', n: { $sum: 1 }, amountCents: { $sum: '$amountCents' }, refundedCents: { $sum: '$refundedCents' } } },
  ]);
}

/** orderStatistics' figures computed from the on-the-fly groups (the definitions of order-figures.ts). */
export function statisticsFromGroups(groups: Awaited<ReturnType<typeof onTheFlyGroups>>, statuses: readonly string[]): StatisticsFigures {
  const paid = groups.filter((g) => !NEVER_PAID.has(g._id));
  const sum = (gs: typeof groups, f: (g: (typeof groups)[number]) => number) => gs.reduce((s, g) => s + f(g), 0);
  return {
    totalOrders: sum(groups, (g) => g.n),
    successfulOrders: sum(paid, (g) => g.n),
    totalRevenueCents: sum(paid, (g) => g.amountCents),
    refundsCents: sum(paid, (g) => g.refundedCents),
    ordersByStatus: statuses.map((status) => ({ status, count: groups.find((g) => g._id === status)?.n ?? 0 })),
  };
}

/** Throws unless the rollups' statistics equal the ones aggregated from the orders. */
export function assertSameStatistics(fromRollups: OrderStatistics, fromOrders: StatisticsFigures, what: string): void {
  const pick = (s: StatisticsFigures) => JSON.stringify([s.totalOrders, s.successfulOrders, s.totalRevenueCents, s.refundsCents, s.ordersByStatus]);
  if (pick(fromRollups) !== pick(fromOrders)) throw new Error(`${what}: rollup statistics ${pick(fromRollups)} differ from the orders' ${pick(fromOrders)}`);
}

/** Warms every cell once (a slow one gets fewer runs), then runs them round-robin (starting one cell later each run) and ranks the times. */
export async function timeInterleaved(cells: Cell[], runs: number): Promise<Map<string, Timing>> {
  const times = new Map<string, number[]>(cells.map((c) => [c.key, []]));
  for (const c of cells) {
    const started = Date.now();
    await c.run();
    c.runs = Math.min(c.runs, Math.max(10, Math.floor(CELL_BUDGET_MS / Math.max(1, Date.now() - started))));
  }
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < cells.length; j++) {
      const cell = cells[(i + j) % cells.length];
      if (i >= cell.runs) continue;
      const started = process.hrtime.bigint();
      await cell.run();
      times.get(cell.key)!.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  const ranked = new Map<string, Timing>();
  for (const [key, ms] of times) {
    ms.sort((a, b) => a - b);
    const at = (p: number) => Math.round(percentile(ms, p) * 100) / 100;
    ranked.set(key, { p50: at(50), p95: at(95), runs: ms.length });
  }
  return ranked;
}
