/**
 * `npm run bench:analytics`: how fast the admin analytics answer from rollups, next to the same
 * figures aggregated from the orders on the fly, and how fast the worker's write path applies events.
 * Starts its own backing services (temp data dir). First it applies BENCH_APPLY events through
 * applyAnalyticsEvent, ANALYTICS concurrency 8 (events/s and database commands per event). Then it
 * makes N orders and their analytics events, writes the orders into an orders collection and the
 * events "directly as rollups": folded in memory with the worker's own plan (planIncrements, the
 * same increments applyAnalyticsEvent makes one event at a time) and bulk-inserted, so large sizes
 * seed in seconds. Then it measures p50/p95 at each size. Not a test: it prints figures.
 *
 * BENCH_SIZES (default 10000,100000), BENCH_RUNS (default 40), BENCH_APPLY (default 2000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { ensureBackingServices } from './backing';
import { ensureIndexes } from '../subgraphs/lib/mongo';
import { analyticsEventSchema, type AnalyticsEvent } from '../subgraphs/lib/queues';
import { orderModel } from '../subgraphs/orders/model';
import { incrementsOf, planIncrements, type RollupKind } from '../subgraphs/orders/analytics/plan';
import { allAnalyticsModels, analyticsModels } from '../subgraphs/orders/analytics/model';
import { presetRange } from '../subgraphs/orders/analytics/periods';
import { analyticsService } from '../subgraphs/orders/analytics/service';
import { applyAnalyticsEvent } from '../subgraphs/orders/analytics/apply';
import { DEFAULT_ANALYTICS_CONCURRENCY } from '../subgraphs/orders/analytics/worker';

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const APPLY = Number(process.env.BENCH_APPLY ?? 2000);
const APPLY_CONCURRENCY = DEFAULT_ANALYTICS_CONCURRENCY;
const NOW = new Date();
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

/** Deterministic pseudo-random orders over the last two years: 90% paid, 1–2 lines of 500 products, 5,000 customers. */
function makeOrder(i: number): { event: AnalyticsEvent; order: Record<string, unknown> } {
  const r = (k: number) => ((i * 2654435761 + k * 40503) >>> 0) % 1_000_003;
  const occurredAt = new Date(NOW.getTime() - (r(1) % (730 * 24 * 60)) * 60_000);
  const lines = Array.from({ length: 1 + (r(2) % 2) }, (_, j) => ({ productId: `prod_bench${(r(3 + j) % 500).toString().padStart(4, '0')}`, name: 'Bench item', unitPriceCents: 500 + (r(5 + j) % 20) * 100, quantity: 1 + (r(7 + j) % 3) }));
  const totalCents = lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0);
  const paid = r(9) % 10 !== 0;
  const orderId = `ord_bench${i}`;
  const event = analyticsEventSchema.parse({
    eventId: `${orderId}-${paid ? 'paid' : 'failed'}`, kind: paid ? 'order.paid' : 'order.failed', orderId, paymentId: `pay_bench${i}`, customerId: `cus_bench${r(11) % 5000}`,
    lines, totalCents, refundedCents: 0, fromStatus: null, toStatus: paid ? 'PAID' : 'FAILED', placedAt: occurredAt.toISOString(), currency: 'USD', occurredAt: occurredAt.toISOString(), requestId: 'bench',
  });
  const order = { _id: orderId, paymentId: event.paymentId, customerId: event.customerId, status: paid ? 'PAID' : 'FAILED', items: lines, totalCents, refundedCents: 0, currency: 'USD', reservationId: `res_bench${i}`, placedAt: occurredAt, statusHistory: [], outbox: [], outboxDone: [], outboxPending: 0, createdAt: occurredAt, updatedAt: occurredAt };
  return { event, order };
}

/** `$inc` semantics for a dotted path (products.<id>.unitsSold) on a plain object. */
function addAtPath(doc: Record<string, unknown>, path: string, n: number): void {
  const keys = path.split('.');
  let node = doc;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  const last = keys[keys.length - 1];
  node[last] = ((node[last] as number | undefined) ?? 0) + n;
}

/** Every event's planned increments summed per rollup document: what the worker would have built. */
function foldRollups(events: AnalyticsEvent[]): Map<string, { kind: RollupKind; doc: Record<string, unknown> }> {
  const docs = new Map<string, { kind: RollupKind; doc: Record<string, unknown> }>();
  for (const e of events) {
    for (const t of planIncrements(e)) {
      const entry = docs.get(t.key) ?? { kind: t.kind, doc: { _id: t.key, ...t.meta, pending: [] } };
      for (const [path, n] of Object.entries(incrementsOf(t))) addAtPath(entry.doc, path, n);
      docs.set(t.key, entry);
    }
  }
  return docs;
}

async function timed(runs: number, fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await fn(); // warm up
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] * 100) / 100;
  return { p50: at(0.5), p95: at(0.95) };
}

/**
 * The worker's write path: APPLY events (from 1,000,000 on, so they never collide with the seeded ones)
 * applied by APPLY_CONCURRENCY concurrent appliers, as one worker process would; the rollups are emptied after.
 */
async function applyThroughput(models: ReturnType<typeof analyticsModels>, conn: mongoose.Connection) {
  const events = Array.from({ length: APPLY }, (_, i) => makeOrder(1_000_000 + i).event);
  let commands = 0;
  const count = () => commands++;
  const client = conn.getClient();
  client.on('commandStarted', count);
  const started = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: APPLY_CONCURRENCY }, async () => {
    while (next < events.length) await applyAnalyticsEvent(models, events[next++]);
  }));
  const ms = Date.now() - started;
  client.off('commandStarted', count);
  await Promise.all([models.appliedEvents, models.periods, models.periodProducts, models.customers].map((m) => m.collection.deleteMany({})));
  return { applyEvents: APPLY, applyConcurrency: APPLY_CONCURRENCY, applyEventsPerSecond: Math.round((APPLY / ms) * 1000), applyCommandsPerEvent: Math.round((commands / APPLY) * 100) / 100 };
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-analytics-'));
  const backing = await ensureBackingServices({ dataDir, log, mongoStore: 'memory' });
  const conn = await mongoose.createConnection(backing.env.MONGODB_URI, { dbName: 'bench_analytics_orders', monitorCommands: true }).asPromise();
  try {
    await conn.dropDatabase();
    const models = analyticsModels(conn);
    const orders = orderModel(conn);
    await ensureIndexes([orders, ...allAnalyticsModels(models)]);
    const service = analyticsService(models);
    const year = presetRange('LAST_YEAR', NOW);
    const twoYears = presetRange('LAST_2_YEARS', NOW);
    const apply = await applyThroughput(models, conn);
    log(`apply: ${JSON.stringify(apply)}`);
    const results: Array<Record<string, number>> = [];
    const seedStart = Date.now();
    const events: AnalyticsEvent[] = [];
    let seeded = 0;
    for (const size of SIZES) {
      while (seeded < size) {
        const batch = Array.from({ length: Math.min(1000, size - seeded) }, (_, k) => makeOrder(seeded + k));
        await orders.collection.insertMany(batch.map((b) => b.order) as never[], { ordered: false });
        events.push(...batch.map((b) => b.event));
        seeded += batch.length;
        if (seeded % 10000 === 0) log(`inserted ${seeded} orders in ${Math.round((Date.now() - seedStart) / 1000)}s`);
      }
      const collections = { period: models.periods, periodProducts: models.periodProducts, customer: models.customers };
      await Promise.all(Object.values(collections).map((m) => m.collection.deleteMany({})));
      const folded = [...foldRollups(events).values()];
      for (const [kind, model] of Object.entries(collections)) {
        const docs = folded.filter((f) => f.kind === kind).map((f) => f.doc);
        for (let i = 0; i < docs.length; i += 1000) await model.collection.insertMany(docs.slice(i, i + 1000) as never[], { ordered: false });
      }
      log(`size ${seeded}: ${folded.length} rollup documents written (${Math.round((Date.now() - seedStart) / 1000)}s so far)`);
      const stats = await timed(RUNS, () => service.orderStatistics(year, 'USD').then(() => service.topProducts(year, 'USD', 5)));
      const chart = await timed(RUNS, () => service.salesChart(twoYears, 'MONTH', 'USD'));
      // The same statistics straight from the orders: one $match + $group, count and revenue per status.
      const byStatus = () =>
        orders.aggregate<{ _id: string; n: number; revenueCents: number }>([
          { $match: { currency: 'USD', placedAt: { $gte: year.from, $lt: year.to } } },
          { $group: { _id: '$status', n: { $sum: 1 }, revenueCents: { $sum: '$totalCents' } } },
        ]);
      const onTheFly = await timed(Math.min(RUNS, 10), byStatus);
      const check = await service.orderStatistics(year, 'USD');
      const fromOrders = (await byStatus()).reduce((s, g) => s + g.n, 0);
      const row = { orders: seeded, statsP50Ms: stats.p50, statsP95Ms: stats.p95, chartP50Ms: chart.p50, chartP95Ms: chart.p95, onTheFlyP50Ms: onTheFly.p50, onTheFlyP95Ms: onTheFly.p95, seedSeconds: Math.round((Date.now() - seedStart) / 1000) };
      results.push(row);
      log(`size ${seeded}: ${JSON.stringify(row)} (rollup orders in the last year ${check.totalOrders}, on the fly ${fromOrders})`);
    }
    const last = results[results.length - 1];
    const first = results[0];
    process.stdout.write(`${JSON.stringify(results)}\n`);
    process.stdout.write(
      `${JSON.stringify({ orders: last.orders, statsP95Ms: last.statsP95Ms, chartP95Ms: last.chartP95Ms, statsP95MsAt10k: first.statsP95Ms, onTheFlyP95Ms: last.onTheFlyP95Ms, speedup: Math.round((last.onTheFlyP95Ms / last.statsP95Ms) * 10) / 10, ...apply })}\n`,
    );
  } finally {
    await conn.close();
    await backing.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
