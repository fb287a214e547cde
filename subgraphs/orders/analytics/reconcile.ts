import { Queue } from 'bullmq';
import type { Model } from 'mongoose';
import { QUEUES, bullPrefix } from '../../lib/queues';
import { ORDER_STATUSES, type OrderDoc } from '../model';
import type { AnalyticsModels, PeriodRollupDoc } from './model';
import { addPeriodFigures, orderFigures, PERIOD_COUNTERS, zeroPeriodFigures, type CustomerFigures, type PeriodFigures, type ProductFigures } from './order-figures';
import { addUtcMonths, alignRange, coverRange, periodStart, startOfUtcMonth, type DateRange } from './periods';
import { addSafely } from './safe-integers';
import { createAnalyticsService, figuresOf } from './service';

/**
 * Reconciliation: payments (the money), orders (the facts) and rollups (the figures) checked
 * against each other. classify() and recompute() are pure; loadReconciliationData() gathers
 * their input, with the payments supplied by the caller (the script reads the payments database,
 * the orders subgraph asks the payments subgraph), so the running services keep one database each.
 */
export const RECONCILIATION_KINDS = [
  'MATCHED',
  'PAID_WITHOUT_ORDER',
  'ORDER_WITHOUT_PAYMENT',
  'DUPLICATE_EVENT_SUPPRESSED',
  'AMOUNT_OR_CURRENCY_MISMATCH',
  'OVERSOLD_AND_REFUNDED',
  'STUCK_IN_FAILED_JOBS',
] as const;
export type ReconciliationKind = (typeof RECONCILIATION_KINDS)[number];
const UNMATCHED: ReconciliationKind[] = ['PAID_WITHOUT_ORDER', 'ORDER_WITHOUT_PAYMENT', 'AMOUNT_OR_CURRENCY_MISMATCH'];
const CAPTURED = new Set(['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED']);
const NOT_CAPTURED = new Set(['FAILED', 'CANCELED']);
const MAX_IDS = 100;

export interface PaymentFact {
  id: string;
  status: string;
  amountCents: number;
  refundedCents: number;
  currency: string;
}

export type OrderFact = Pick<OrderDoc, '_id' | 'paymentId' | 'customerId' | 'status' | 'lines' | 'amountCents' | 'refundedCents' | 'currency' | 'createdAt' | 'placedAt'>;

export interface RollupDrift {
  currency: string;
  figure: string;
  rollup: number;
  recomputed: number;
}

export interface ReconciliationInput {
  range: DateRange;
  /** Whether the range is "all time" (then lifetime customer figures are compared too). */
  allTime: boolean;
  payments: PaymentFact[];
  orders: OrderFact[];
  duplicateEventIds: string[];
  failedJobIds: string[];
  /** Rollup totals over the range, per currency. */
  rollupPeriods: Map<string, PeriodFigures>;
  /** `${currency}:${productId}` → units and revenue over the range. */
  rollupProducts: Map<string, ProductFigures>;
  /** `${customerId}:${currency}` → lifetime figures (compared when allTime). */
  rollupCustomers: Map<string, CustomerFigures>;
  /** MONTH buckets that differ from the sum of their DAY buckets. */
  bucketDrift: RollupDrift[];
}

export interface ReconciliationReport {
  from: Date;
  to: Date;
  classes: Array<{ kind: ReconciliationKind; count: number; ids: string[] }>;
  drift: RollupDrift[];
  driftCount: number;
  unmatchedCount: number;
}

/**
 * When an order was placed: its first payment outcome (`placedAt`), else (an order stored before
 * placedAt existed) its creation. Every analytics event of the order carries the same time
 * (orders/events.ts), so both sides put the order in the same period.
 */
export function orderFactTime(o: Pick<OrderFact, 'placedAt' | 'createdAt'>): Date {
  return new Date(o.placedAt ?? o.createdAt);
}

export function classify(input: Pick<ReconciliationInput, 'payments' | 'orders' | 'duplicateEventIds' | 'failedJobIds'>): Map<ReconciliationKind, string[]> {
  const classes = new Map<ReconciliationKind, string[]>(RECONCILIATION_KINDS.map((k) => [k, []]));
  const add = (kind: ReconciliationKind, id: string) => classes.get(kind)!.push(id);
  const orderByPayment = new Map(input.orders.map((o) => [o.paymentId, o]));
  const paymentIds = new Set(input.payments.map((p) => p.id));
  for (const p of input.payments) {
    const order = orderByPayment.get(p.id);
    if (CAPTURED.has(p.status)) {
      if (!order || order.status === 'FAILED') add('PAID_WITHOUT_ORDER', p.id);
      else if (order.amountCents !== p.amountCents || order.currency !== p.currency || (order.refundedCents ?? 0) !== p.refundedCents) add('AMOUNT_OR_CURRENCY_MISMATCH', p.id);
      else {
        add('MATCHED', p.id);
        // OVERSOLD_REFUNDED is terminal: the current status says it all.
        if (order.status === 'OVERSOLD_REFUNDED' && p.refundedCents === p.amountCents) add('OVERSOLD_AND_REFUNDED', p.id);
      }
    } else if (NOT_CAPTURED.has(p.status)) {
      if (order && order.status !== 'FAILED') add('ORDER_WITHOUT_PAYMENT', order._id);
      else add('MATCHED', p.id);
    }
  }
  for (const o of input.orders) if (!paymentIds.has(o.paymentId)) add('ORDER_WITHOUT_PAYMENT', o._id);
  for (const id of input.duplicateEventIds) add('DUPLICATE_EVENT_SUPPRESSED', id);
  for (const id of input.failedJobIds) add('STUCK_IN_FAILED_JOBS', id);
  return classes;
}

/**
 * The rollup figures recomputed from the orders themselves: the sum of each order's figures in its
 * current state, by the same function the worker's increments are built on (order-figures.ts).
 */
export function recompute(orders: OrderFact[]) {
  const periods = new Map<string, PeriodFigures>();
  const products = new Map<string, ProductFigures>();
  const customers = new Map<string, CustomerFigures>();
  for (const o of orders) {
    const figures = orderFigures({ amountCents: o.amountCents, lines: o.lines }, { status: o.status, refundedCents: o.refundedCents ?? 0 });
    periods.set(o.currency, addPeriodFigures(periods.get(o.currency) ?? zeroPeriodFigures(), figures.period));
    for (const [productId, f] of figures.products) {
      const key = `${o.currency}:${productId}`;
      const p = products.get(key) ?? { unitsSold: 0, revenueCents: 0 };
      products.set(key, { unitsSold: addSafely(p.unitsSold, f.unitsSold, key), revenueCents: addSafely(p.revenueCents, f.revenueCents, key) });
    }
    if (!figures.customer.orderCount) continue;
    const key = `${o.customerId}:${o.currency}`;
    const c = customers.get(key) ?? { orderCount: 0, lifetimeValueCents: 0 };
    customers.set(key, { orderCount: c.orderCount + 1, lifetimeValueCents: addSafely(c.lifetimeValueCents, figures.customer.lifetimeValueCents, key) });
  }
  return { periods, products, customers };
}

/** Every period figure by name: the counters, then `byStatus.<status>` for each order status. */
export function comparedFigures(f: PeriodFigures): Array<[string, number]> {
  return [...PERIOD_COUNTERS.map((k): [string, number] => [k, f[k]]), ...ORDER_STATUSES.map((s): [string, number] => [`byStatus.${s}`, f.byStatus[s] ?? 0])];
}

export function driftOf(input: ReconciliationInput): RollupDrift[] {
  const expected = recompute(input.orders.filter((o) => within(orderFactTime(o), input.range)));
  const drift: RollupDrift[] = [...input.bucketDrift];
  const push = (currency: string, figure: string, rollup: number, recomputed: number) => rollup !== recomputed && drift.push({ currency, figure, rollup, recomputed });
  for (const currency of new Set([...expected.periods.keys(), ...input.rollupPeriods.keys()])) {
    const recomputed = new Map(comparedFigures(expected.periods.get(currency) ?? zeroPeriodFigures()));
    for (const [figure, value] of comparedFigures(input.rollupPeriods.get(currency) ?? zeroPeriodFigures())) push(currency, figure, value, recomputed.get(figure)!);
  }
  for (const key of new Set([...expected.products.keys(), ...input.rollupProducts.keys()])) {
    const [currency, productId] = splitKey(key, 'first');
    const r = input.rollupProducts.get(key) ?? { unitsSold: 0, revenueCents: 0 };
    const e = expected.products.get(key) ?? { unitsSold: 0, revenueCents: 0 };
    push(currency, `product:${productId}:unitsSold`, r.unitsSold, e.unitsSold);
    push(currency, `product:${productId}:revenueCents`, r.revenueCents, e.revenueCents);
  }
  if (input.allTime) {
    for (const key of new Set([...expected.customers.keys(), ...input.rollupCustomers.keys()])) {
      const [customerId, currency] = splitKey(key, 'last');
      const r = input.rollupCustomers.get(key) ?? { orderCount: 0, lifetimeValueCents: 0 };
      const e = expected.customers.get(key) ?? { orderCount: 0, lifetimeValueCents: 0 };
      push(currency, `customer:${customerId}:orderCount`, r.orderCount, e.orderCount);
      push(currency, `customer:${customerId}:lifetimeValueCents`, r.lifetimeValueCents, e.lifetimeValueCents);
    }
  }
  return drift;
}

export function reconcile(input: ReconciliationInput): ReconciliationReport {
  const classes = classify(input);
  const drift = driftOf(input);
  return {
    from: input.range.from,
    to: input.range.to,
    classes: RECONCILIATION_KINDS.map((kind) => ({ kind, count: classes.get(kind)!.length, ids: classes.get(kind)!.slice(0, MAX_IDS) })),
    drift,
    driftCount: drift.length,
    unmatchedCount: UNMATCHED.reduce((n, k) => n + classes.get(k)!.length, 0),
  };
}

function within(d: Date, r: DateRange): boolean {
  return d >= r.from && d < r.to;
}

function splitKey(key: string, at: 'first' | 'last'): [string, string] {
  const i = at === 'first' ? key.indexOf(':') : key.lastIndexOf(':');
  return [key.slice(0, i), key.slice(i + 1)];
}

// ---------------------------------------------------------------------------------------------
// Gathering the input (I/O)

export interface ReconciliationSources {
  orders: Model<OrderDoc>;
  analytics: AnalyticsModels;
  /** Payments created in the range plus the given ids (the payments of the orders in the range). */
  payments: (range: DateRange, ids: string[]) => Promise<PaymentFact[]>;
  redis?: { url: string; prefix: string };
}

/** [from, to) as given, or all time: from the month of the first order (or rollup) to the end of the current month. */
export async function resolveRange(src: ReconciliationSources, from?: Date, to?: Date): Promise<{ range: DateRange; allTime: boolean }> {
  if (from && to) return { range: alignRange({ from, to }, 'DAY'), allTime: false };
  const [firstPlaced, firstCreated, firstMonth] = await Promise.all([
    src.orders.findOne({ placedAt: { $ne: null } }, { placedAt: 1, createdAt: 1 }).sort({ placedAt: 1 }).lean(),
    src.orders.findOne({}, { placedAt: 1, createdAt: 1 }).sort({ createdAt: 1 }).lean(),
    src.analytics.periods.findOne({ granularity: 'MONTH' }, { period: 1 }).sort({ period: 1 }).lean(),
  ]);
  const candidates = [
    ...[firstPlaced, firstCreated].filter((o) => !!o).map((o) => orderFactTime(o as OrderFact)),
    ...(firstMonth ? [periodStart(firstMonth.period)] : []),
    new Date(),
  ];
  const earliest = new Date(Math.min(...candidates.map((d) => d.getTime())));
  return { range: { from: from ?? startOfUtcMonth(earliest), to: to ?? addUtcMonths(startOfUtcMonth(new Date()), 1) }, allTime: !from && !to };
}

export async function failedJobIds(redis: { url: string; prefix: string }): Promise<string[]> {
  const ids: string[] = [];
  for (const name of [QUEUES.paymentResults, QUEUES.analytics, QUEUES.refunds, QUEUES.inventory]) {
    const queue = new Queue(name, { connection: { url: redis.url, maxRetriesPerRequest: null }, prefix: bullPrefix(redis.prefix, name) });
    try {
      for (const job of await queue.getFailed(0, MAX_IDS - 1)) ids.push(`${name}:${job.id}`);
    } finally {
      await queue.close();
    }
  }
  return ids;
}

export async function loadReconciliationData(src: ReconciliationSources, range: DateRange, allTime: boolean): Promise<ReconciliationInput> {
  // Exactly the orders placed in the range (orders stored before placedAt existed: by creation).
  const placed = { $gte: range.from, $lt: range.to };
  const orders = (await src.orders.find({ $or: [{ placedAt: placed }, { placedAt: null, createdAt: placed }] }).lean()) as OrderFact[];
  const payments = await src.payments(range, orders.map((o) => o.paymentId));
  const paymentIds = new Set(payments.map((p) => p.id));
  // Payments in the range whose orders were created outside it still belong to this check.
  const known = new Set(orders.map((o) => o.paymentId));
  const outside = [...paymentIds].filter((id) => !known.has(id));
  const extraOrders = outside.length ? ((await src.orders.find({ paymentId: { $in: outside } }).lean()) as OrderFact[]) : [];
  const duplicates = await src.analytics.appliedEvents.find({ duplicates: { $gt: 0 }, occurredAt: { $gte: range.from, $lt: range.to } }, { _id: 1 }).lean();
  const service = createAnalyticsService(src.analytics);
  const { months } = coverRange(range);
  const buckets = await monthsWithTheirDays(src.analytics, months);
  const currencies = new Set<string>([...orders.map((o) => o.currency), ...buckets.map((d) => d.currency)]);
  const rollupPeriods = new Map<string, PeriodFigures>();
  const rollupProducts = new Map<string, ProductFigures>();
  const rollupCustomers = new Map<string, CustomerFigures>();
  for (const currency of currencies) {
    rollupPeriods.set(currency, await service.rangeFigures(range, currency));
    for (const p of await service.topProducts(range, currency)) rollupProducts.set(`${currency}:${p.productId}`, { unitsSold: p.unitsSold, revenueCents: p.revenueCents });
    if (allTime) for (const c of await service.topCustomers(currency)) rollupCustomers.set(`${c.customerId}:${currency}`, c);
  }
  return {
    range,
    allTime,
    payments,
    orders: [...orders, ...extraOrders],
    duplicateEventIds: duplicates.map((d) => String(d._id)),
    failedJobIds: src.redis ? await failedJobIds(src.redis) : [],
    rollupPeriods,
    rollupProducts,
    rollupCustomers,
    bucketDrift: monthsAgainstDays(buckets, months),
  };
}

/** The range's whole-month period documents and every day document of those months, all currencies, in one query. */
async function monthsWithTheirDays(m: AnalyticsModels, months: string[]): Promise<PeriodRollupDoc[]> {
  if (!months.length) return [];
  const days = { $gte: `${months[0]}-01`, $lte: `${months[months.length - 1]}-31` };
  return m.periods.find({ $or: [{ granularity: 'MONTH', period: { $in: months } }, { granularity: 'DAY', period: days }] }, { pending: 0 }).lean<PeriodRollupDoc[]>();
}

/** Each MONTH bucket must equal the sum of its DAY buckets (both are written by the same events). */
export function monthsAgainstDays(buckets: PeriodRollupDoc[], months: string[]): RollupDrift[] {
  const drift: RollupDrift[] = [];
  for (const currency of new Set(buckets.map((d) => d.currency))) {
    const ofCurrency = buckets.filter((d) => d.currency === currency);
    for (const month of months) {
      const fromMonth = comparedFigures(figuresOf(ofCurrency.find((d) => d.granularity === 'MONTH' && d.period === month)));
      const fromDays = new Map(comparedFigures(ofCurrency.filter((d) => d.granularity === 'DAY' && d.period.startsWith(`${month}-`)).map(figuresOf).reduce(addPeriodFigures, zeroPeriodFigures())));
      for (const [figure, value] of fromMonth) if (value !== fromDays.get(figure)) drift.push({ currency, figure: `month-vs-days:${month}:${figure}`, rollup: value, recomputed: fromDays.get(figure)! });
    }
  }
  return drift;
}

export async function reconciliationReport(src: ReconciliationSources, from?: Date, to?: Date): Promise<ReconciliationReport> {
  const { range, allTime } = await resolveRange(src, from, to);
  return reconcile(await loadReconciliationData(src, range, allTime));
}
