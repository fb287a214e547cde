import { newId } from '../../subgraphs/lib/ids';
import { analyticsEventSchema, type AnalyticsEvent } from '../../subgraphs/lib/queues';
import { rollupModel, type AnalyticsModels } from '../../subgraphs/orders/analytics/model';
import { incrementsOf, planIncrements, type RollupKind } from '../../subgraphs/orders/analytics/plan';

/**
 * Many analytics events of every kind, and the rollups they must add up to, for the exactly-once
 * stories: the expectation folds the worker's own plan (planIncrements) in memory, once per event.
 */
const KINDS: AnalyticsEvent['kind'][] = ['order.paid', 'order.paid', 'order.paid', 'order.failed', 'order.paid', 'order.refunded', 'order.paid', 'order.canceled', 'order.paid', 'order.oversold'];
/** The status move each kind reports (a refund or a cancellation of an order paid earlier). */
const MOVES: Record<string, [from: string | null, to: string]> = {
  'order.paid': [null, 'PAID'],
  'order.failed': [null, 'FAILED'],
  'order.refunded': ['PAID', 'PARTIALLY_REFUNDED'],
  'order.canceled': ['PAID', 'CANCELED'],
  'order.oversold': [null, 'OVERSOLD_REFUNDED'],
};

/** `n` events, 7 hours apart from `start` (so they spread over days and months), 5 customers, 4 products, USD and some EUR. */
export function manyEvents(n: number, start: string): AnalyticsEvent[] {
  const customers = Array.from({ length: 5 }, () => newId('customer'));
  const products = Array.from({ length: 4 }, () => newId('product'));
  return Array.from({ length: n }, (_, i) => {
    const kind = KINDS[i % KINDS.length];
    const orderId = newId('order');
    const lines = [{ productId: products[i % 4], name: 'p', unitPriceCents: 100 * (1 + (i % 5)), quantity: 1 + (i % 3) }];
    if (i % 2 === 0) lines.push({ productId: products[(i + 1) % 4], name: 'q', unitPriceCents: 250, quantity: 2 });
    const amountCents = lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0);
    const refundCents = kind === 'order.refunded' ? Math.ceil(amountCents / 2) : 0;
    const occurredAt = new Date(Date.parse(start) + i * 7 * 3_600_000).toISOString();
    return analyticsEventSchema.parse({
      eventId: `${orderId}-${kind.slice('order.'.length)}${refundCents ? `-${refundCents}` : ''}`,
      kind,
      orderId,
      paymentId: newId('payment'),
      customerId: customers[i % 5],
      lines,
      amountCents,
      refundCents,
      refundedCents: refundCents,
      fromStatus: MOVES[kind][0],
      toStatus: MOVES[kind][1],
      placedAt: occurredAt,
      currency: i % 7 === 3 ? 'EUR' : 'USD',
      occurredAt,
      requestId: `many-${i}`,
    });
  });
}

export type Rollups = Record<RollupKind, Record<string, Record<string, unknown>>>;

/** `$inc` semantics for a dotted path (products.<key>.unitsSold) on a plain object. */
function addAtPath(doc: Record<string, unknown>, path: string, n: number): void {
  const keys = path.split('.');
  let node = doc;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  const last = keys[keys.length - 1];
  node[last] = ((node[last] as number | undefined) ?? 0) + n;
}

/** Every event's planned increments applied exactly once, per rollup document. */
export function expectedRollups(events: AnalyticsEvent[]): Rollups {
  const rollups: Rollups = { period: {}, periodProducts: {}, customer: {} };
  for (const e of events) {
    for (const t of planIncrements(e)) {
      const doc = (rollups[t.kind][t.key] ??= {});
      for (const [path, n] of Object.entries(incrementsOf(t))) addAtPath(doc, path, n);
    }
  }
  return rollups;
}

const NOT_COUNTERS = ['_id', 'granularity', 'period', 'currency', 'customerId', 'pending'];

/** The counters of every rollup document in the database, in the shape of expectedRollups. */
export async function rollupsIn(m: AnalyticsModels): Promise<Rollups> {
  const rollups: Rollups = { period: {}, periodProducts: {}, customer: {} };
  for (const kind of Object.keys(rollups) as RollupKind[]) {
    for (const doc of await rollupModel(m, kind).find({}).lean<Array<Record<string, unknown>>>()) {
      rollups[kind][String(doc._id)] = Object.fromEntries(Object.entries(doc).filter(([k]) => !NOT_COUNTERS.includes(k)));
    }
  }
  return rollups;
}

/** A deterministic shuffle (Fisher–Yates on a small LCG), so a failing order can be replayed. */
export function seededShuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
