import { Queue } from 'bullmq';
import type { Model } from 'mongoose';
import { QUEUES } from '../../lib/queues';
import type { OrderDoc } from '../model';
import type { AnalyticsModels, PeriodRollupDoc } from './model';
import { zeroPeriodFigures, type PeriodFigures } from './plan';
import { addUtcDays, addUtcMonths, alignRange, coverRange, startOfUtcMonth, type DateRange } from './periods';
import { analyticsService, figuresOf, addFigures } from './service';

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

export type OrderFact = Pick<OrderDoc, '_id' | 'paymentId' | 'customerId' | 'status' | 'items' | 'totalCents' | 'refundedCents' | 'currency' | 'createdAt' | 'placedAt'> & {
  statusHistory?: Array<{ to: string; at: Date | string }>;
};

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
  rollupProducts: Map<string, { unitsSold: number; revenueCents: number }>;
  /** `${customerId}:${currency}` → lifetime figures (compared when allTime). */
  rollupCustomers: Map<string, { orderCount: number; lifetimeValueCents: number }>;
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
 * When an order's fact happened: the payment outcome's time (`placedAt`, which the analytics event
 * carried too, so both sides bucket it identically), else its first status, else its creation.
 */
export function orderFactTime(o: OrderFact): Date {
  return new Date(o.placedAt ?? o.statusHistory?.[0]?.at ?? o.createdAt);
}

const hadStatus = (o: OrderFact, status: string) => o.status === status || (o.statusHistory ?? []).some((h) => h.to === status);

export function classify(input: Pick<ReconciliationInput, 'payments' | 'orders' | 'duplicateEventIds' | 'failedJobIds'>): Map<ReconciliationKind, string[]> {
  const classes = new Map<ReconciliationKind, string[]>(RECONCILIATION_KINDS.map((k) => [k, []]));
  const add = (kind: ReconciliationKind, id: string) => classes.get(kind)!.push(id);
  const orderByPayment = new Map(input.orders.map((o) => [o.paymentId, o]));
  const paymentIds = new Set(input.payments.map((p) => p.id));
  for (const p of input.payments) {
    const order = orderByPayment.get(p.id);
    if (CAPTURED.has(p.status)) {
      if (!order || order.status === 'FAILED') add('PAID_WITHOUT_ORDER', p.id);
      else if (order.totalCents !== p.amountCents || order.currency !== p.currency || (order.refundedCents ?? 0) !== p.refundedCents) add('AMOUNT_OR_CURRENCY_MISMATCH', p.id);
      else {
        add('MATCHED', p.id);
        if (hadStatus(order, 'OVERSOLD_REFUNDED') && p.refundedCents === p.amountCents) add('OVERSOLD_AND_REFUNDED', p.id);
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

/** The rollup figures recomputed from the orders themselves (refund steps are not countable from orders, so `refunded` is not compared). */
export function recompute(orders: OrderFact[]) {
  const periods = new Map<string, PeriodFigures>();
  const products = new Map<string, { unitsSold: number; revenueCents: number }>();
  const customers = new Map<string, { orderCount: number; lifetimeValueCents: number }>();
  for (const o of orders) {
    const f = periods.get(o.currency) ?? zeroPeriodFigures();
    f.attempted++;
    const refunded = o.refundedCents ?? 0;
    f.refundsCents += refunded;
    if (hadStatus(o, 'CANCELLED')) f.cancelled++;
    if (hadStatus(o, 'OVERSOLD_REFUNDED')) f.oversold++;
    if (o.status === 'FAILED') f.failed++;
    else {
      f.succeeded++;
      f.revenueCents += o.totalCents;
      for (const line of o.items) {
        const key = `${o.currency}:${line.productId}`;
        const p = products.get(key) ?? { unitsSold: 0, revenueCents: 0 };
        p.unitsSold += line.quantity;
        p.revenueCents += line.quantity * line.unitPriceCents;
        products.set(key, p);
      }
      const ckey = `${o.customerId}:${o.currency}`;
      const c = customers.get(ckey) ?? { orderCount: 0, lifetimeValueCents: 0 };
      c.orderCount++;
      c.lifetimeValueCents += o.totalCents - refunded;
      customers.set(ckey, c);
    }
    periods.set(o.currency, f);
  }
  return { periods, products, customers };
}

const COMPARED: Array<keyof PeriodFigures> = ['attempted', 'succeeded', 'failed', 'cancelled', 'oversold', 'revenueCents', 'refundsCents'];

export function driftOf(input: ReconciliationInput): RollupDrift[] {
  const expected = recompute(input.orders.filter((o) => within(orderFactTime(o), input.range)));
  const drift: RollupDrift[] = [...input.bucketDrift];
  const push = (currency: string, figure: string, rollup: number, recomputed: number) => rollup !== recomputed && drift.push({ currency, figure, rollup, recomputed });
  for (const currency of new Set([...expected.periods.keys(), ...input.rollupPeriods.keys()])) {
    const r = input.rollupPeriods.get(currency) ?? zeroPeriodFigures();
    const e = expected.periods.get(currency) ?? zeroPeriodFigures();
    for (const k of COMPARED) push(currency, k, r[k], e[k]);
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

/** [from, to) as given, or all time: from the month of the first fact to the end of the current month. */
export async function resolveRange(src: ReconciliationSources, from?: Date, to?: Date): Promise<{ range: DateRange; allTime: boolean }> {
  if (from && to) return { range: alignRange({ from, to }, 'DAY'), allTime: false };
  const [firstOrder, firstEvent] = await Promise.all([
    src.orders.findOne({}, { createdAt: 1, placedAt: 1, statusHistory: 1 }).sort({ createdAt: 1 }).lean(),
    src.analytics.appliedEvents.findOne({}, { occurredAt: 1 }).sort({ occurredAt: 1 }).lean(),
  ]);
  const candidates = [firstOrder ? orderFactTime(firstOrder as OrderFact) : null, firstEvent?.occurredAt ?? null, new Date()].filter((d): d is Date => !!d);
  const earliest = new Date(Math.min(...candidates.map((d) => d.getTime())));
  return { range: { from: from ?? startOfUtcMonth(earliest), to: to ?? addUtcMonths(startOfUtcMonth(new Date()), 1) }, allTime: !from && !to };
}

export async function failedJobIds(redis: { url: string; prefix: string }): Promise<string[]> {
  const ids: string[] = [];
  for (const name of [QUEUES.paymentResults, QUEUES.analytics, QUEUES.refunds, QUEUES.inventory]) {
    const queue = new Queue(name, { connection: { url: redis.url, maxRetriesPerRequest: null }, prefix: redis.prefix });
    try {
      for (const job of await queue.getFailed(0, MAX_IDS - 1)) ids.push(`${name}:${job.id}`);
    } finally {
      await queue.close();
    }
  }
  return ids;
}

export async function loadReconciliationData(src: ReconciliationSources, range: DateRange, allTime: boolean): Promise<ReconciliationInput> {
  // Orders are selected by fact time; creation follows the payment outcome closely, so a day of slack suffices.
  const near = { $gte: addUtcDays(range.from, -1), $lt: addUtcDays(range.to, 1) };
  const candidates = (await src.orders.find({ $or: [{ placedAt: { $gte: range.from, $lt: range.to } }, { createdAt: near }] }).lean()) as OrderFact[];
  const orders = candidates.filter((o) => within(orderFactTime(o), range));
  const payments = await src.payments(range, orders.map((o) => o.paymentId));
  const paymentIds = new Set(payments.map((p) => p.id));
  // Payments in the range whose orders were created outside it still belong to this check.
  const known = new Set(orders.map((o) => o.paymentId));
  const outside = [...paymentIds].filter((id) => !known.has(id));
  const extraOrders = outside.length ? ((await src.orders.find({ paymentId: { $in: outside } }).lean()) as OrderFact[]) : [];
  const duplicates = await src.analytics.appliedEvents.find({ duplicates: { $gt: 0 }, occurredAt: { $gte: range.from, $lt: range.to } }, { _id: 1 }).lean();
  const service = analyticsService(src.analytics);
  const { months } = coverRange(range);
  const buckets = await monthsWithTheirDays(src.analytics, months);
  const currencies = new Set<string>([...orders.map((o) => o.currency), ...buckets.map((d) => d.currency)]);
  const rollupPeriods = new Map<string, PeriodFigures>();
  const rollupProducts = new Map<string, { unitsSold: number; revenueCents: number }>();
  const rollupCustomers = new Map<string, { orderCount: number; lifetimeValueCents: number }>();
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
      const fromMonth = figuresOf(ofCurrency.find((d) => d.granularity === 'MONTH' && d.period === month));
      const fromDays = ofCurrency.filter((d) => d.granularity === 'DAY' && d.period.startsWith(`${month}-`)).map(figuresOf).reduce(addFigures, zeroPeriodFigures());
      for (const k of COMPARED) if (fromMonth[k] !== fromDays[k]) drift.push({ currency, figure: `month-vs-days:${month}:${k}`, rollup: fromMonth[k], recomputed: fromDays[k] });
    }
  }
  return drift;
}

export async function reconciliationReport(src: ReconciliationSources, from?: Date, to?: Date): Promise<ReconciliationReport> {
  const { range, allTime } = await resolveRange(src, from, to);
  return reconcile(await loadReconciliationData(src, range, allTime));
}
