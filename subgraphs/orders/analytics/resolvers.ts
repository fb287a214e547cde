import { z } from 'zod';
import { BadUserInputError, parseInput } from '../../lib/errors';
import { requireAdmin, type AuthContext } from '../../lib/guards';
import { currencySchema } from '../../lib/money';
import { BigIntScalar } from './big-int';
import type { AnalyticsServices } from './module';
import { alignRange, listPeriods, presetRange, type DateRange } from './periods';
import type { OrderStatistics, TopCustomer, TopProduct } from './service';

/** Admin analytics resolvers, merged into the orders subgraph's resolver map (see ../index.ts). */
type Ctx = AuthContext & { services: { analytics: AnalyticsServices } };

const MAX_POINTS = 1100;

const dateInput = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date or date-time').transform((s) => new Date(s));
const limitInput = (fallback: number) => z.number().int().min(1).max(100).default(fallback);

const salesChartArgs = z.object({
  period: z.enum(['LAST_6_MONTHS', 'LAST_YEAR', 'LAST_2_YEARS']).nullish(),
  from: dateInput.nullish(),
  to: dateInput.nullish(),
  granularity: z.enum(['DAY', 'MONTH']).default('MONTH'),
  currency: currencySchema.default('USD'),
});
const rangeArgs = z.object({ from: dateInput, to: dateInput, currency: currencySchema.default('USD') });
const optionalRangeArgs = z.object({ from: dateInput.nullish(), to: dateInput.nullish() });

function checkRange(range: DateRange): DateRange {
  if (range.to <= range.from) throw new BadUserInputError('to: must be after from', ['to']);
  return range;
}

type StatsParent = OrderStatistics & { range: DateRange };

export const analyticsResolvers = {
  BigInt: BigIntScalar,
  Query: {
    salesChart: async (_: unknown, args: unknown, ctx: Ctx) => {
      requireAdmin(ctx);
      const a = parseInput(salesChartArgs, args);
      let range: DateRange;
      if (a.period) range = presetRange(a.period, new Date());
      else if (a.from && a.to) range = checkRange({ from: a.from, to: a.to });
      else throw new BadUserInputError('period: give a period, or both from and to', ['period']);
      range = alignRange(range, a.granularity);
      if (listPeriods(range, a.granularity).length > MAX_POINTS) throw new BadUserInputError(`to: at most ${MAX_POINTS} points per chart`, ['to']);
      const points = await ctx.services.analytics.salesChart(range, a.granularity, a.currency);
      return { granularity: a.granularity, currency: a.currency, from: range.from.toISOString(), to: range.to.toISOString(), points };
    },
    orderStatistics: async (_: unknown, args: unknown, ctx: Ctx): Promise<StatsParent> => {
      requireAdmin(ctx);
      const a = parseInput(rangeArgs, args);
      const range = alignRange(checkRange({ from: a.from, to: a.to }), 'DAY');
      return { ...(await ctx.services.analytics.orderStatistics(range, a.currency)), range };
    },
    topCustomers: async (_: unknown, args: unknown, ctx: Ctx) => {
      requireAdmin(ctx);
      const a = parseInput(z.object({ limit: limitInput(10), currency: currencySchema.default('USD') }), args);
      return ctx.services.analytics.topCustomers(a.currency, a.limit);
    },
    reconciliationReport: async (_: unknown, args: unknown, ctx: Ctx) => {
      requireAdmin(ctx);
      const a = parseInput(optionalRangeArgs, args);
      if (!a.from !== !a.to) throw new BadUserInputError('to: give both from and to, or neither (all time)', [a.from ? 'to' : 'from']);
      if (a.from && a.to) checkRange({ from: a.from, to: a.to });
      const report = await ctx.services.analytics.reconciliation(a.from ?? undefined, a.to ?? undefined);
      return { ...report, from: report.from.toISOString(), to: report.to.toISOString() };
    },
  },
  OrderStatistics: {
    from: (s: StatsParent) => s.range.from.toISOString(),
    to: (s: StatsParent) => s.range.to.toISOString(),
    topProducts: (s: StatsParent, args: unknown, ctx: Ctx) => {
      const a = parseInput(z.object({ limit: limitInput(5) }), args);
      return ctx.services.analytics.topProducts(s.range, s.currency, a.limit);
    },
  },
  TopProduct: {
    product: (p: TopProduct) => ({ __typename: 'Product', id: p.productId }),
  },
  TopCustomer: {
    customer: (c: TopCustomer) => ({ __typename: 'Customer', id: c.customerId }),
  },
};

/** The orders subgraph's resolver map with the analytics fields merged in (Query spread together). */
export function withAnalyticsResolvers<M extends { Query?: object }>(resolvers: M): M {
  const { Query: analyticsQuery, ...types } = analyticsResolvers;
  return { ...resolvers, ...types, Query: { ...(resolvers.Query ?? {}), ...analyticsQuery } } as M;
}
