/**
 * `npm run bench:analytics`: do the admin dashboard's analytics stay flat as orders grow, and how
 * much faster are they than aggregating the orders on the fly? Starts its own backing services
 * (mongo-java-server in memory, temp data dir). Not a test: it prints figures, and stops with an
 * error if a check fails.
 *
 * 1. Proof and write path: a sample of orders' events (BENCH_PROOF_ORDERS orders, every lifecycle)
 *    applied through applyAnalyticsEvent with the worker's concurrency (events/s, commands/event),
 *    and bulk-seeded into another database: the rollups must be identical (bench/analytics-proof.ts).
 * 2. Seed: for each size (BENCH_SIZES, default 10,000, 100,000 and 1,000,000 orders) one database.
 *    Orders and their events are generated in order; every event is folded into the rollups with
 *    the worker's own pure increment function (planIncrements + incrementsOf) and, at each size,
 *    written as ONE bulk `$inc` upsert per rollup document: applying a million orders' events one by
 *    one would take hours, and `$inc` sums make the same documents (bench/analytics-data.ts). The
 *    raw orders, needed only for the on-the-fly comparison, go into the databases of sizes up to
 *    BENCH_ORDERS_UP_TO (default 100,000), so the in-memory server never holds a million orders.
 *    Each size's statistics are checked against the on-the-fly aggregation where orders exist.
 * 3. Time: every dashboard read (bench/analytics-queries.ts) at every size, interleaved, BENCH_RUNS
 *    runs (default 100; on the fly BENCH_ON_THE_FLY_RUNS, default 40).
 *    BENCH_QUERIES=<names> times only those reads.
 *
 * Last stdout line, one JSON object: `growth` = dashboard p95 at the largest size ÷ at the one
 * before (1M ÷ 100k; goal ≤ 1.2), `speedup` = on-the-fly p95 ÷ orderStatistics p95 for the same
 * year at the largest size with orders (100k; goal ≥ 50), and the figures behind them. The line
 * before it: every (size, query) p50/p95.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose, { type Model } from 'mongoose';
import { ensureBackingServices } from './backing';
import { ensureIndexes } from '../subgraphs/lib/mongo';
import { analyticsEventSchema } from '../subgraphs/lib/queues';
import { ORDER_STATUSES, orderModel, type OrderDoc } from '../subgraphs/orders/model';
import { allAnalyticsModels, analyticsModels, type AnalyticsModels } from '../subgraphs/orders/analytics/model';
import { createAnalyticsService, type AnalyticsService } from '../subgraphs/orders/analytics/service';
import { DEFAULT_ANALYTICS_CONCURRENCY } from '../subgraphs/orders/analytics/worker';
import { makeOrder, RollupFold, type BenchOrder } from './bench/analytics-data';
import { proveBulkSeed } from './bench/analytics-proof';
import { QUERY_NAMES, assertSameStatistics, benchRanges, dashboardQueries, onTheFlyGroups, statisticsFromGroups, timeInterleaved, type Cell, type Ranges, type Timing } from './bench/analytics-queries';

const SIZES = [...new Set((process.env.BENCH_SIZES ?? '10000,100000,1000000').split(',').map(Number))].sort((a, b) => a - b);
const ORDERS_UP_TO = Number(process.env.BENCH_ORDERS_UP_TO ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const ON_THE_FLY_RUNS = Number(process.env.BENCH_ON_THE_FLY_RUNS ?? 40);
/** Which dashboard reads to time (default all): e.g. without the current `dashboard,topProductsYear` to see the proposed shapes alone. */
const QUERIES = process.env.BENCH_QUERIES ? QUERY_NAMES.filter((q) => process.env.BENCH_QUERIES!.split(',').includes(q)) : [...QUERY_NAMES];
const PROOF_ORDERS = Number(process.env.BENCH_PROOF_ORDERS ?? 2000);
const NOW = new Date();
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const seconds = (fromMs: number) => Math.round((Date.now() - fromMs) / 100) / 10;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

interface SizeDb {
  size: number;
  models: AnalyticsModels;
  service: AnalyticsService;
  /** Only for sizes up to ORDERS_UP_TO. */
  orders?: Model<OrderDoc>;
  rollupDocuments: number;
  seed: { generateSeconds: number; ordersInsertSeconds: number; rollupWriteSeconds: number };
}

async function openSizeDb(conn: mongoose.Connection, size: number): Promise<SizeDb> {
  const db = conn.useDb(`bench_analytics_${size}`, { useCache: false });
  await db.dropDatabase();
  const models = analyticsModels(db);
  const orders = size <= ORDERS_UP_TO ? orderModel(db) : undefined;
  await ensureIndexes([...(orders ? [orders] : []), ...allAnalyticsModels(models)]);
  return { size, models, service: createAnalyticsService(models), orders, rollupDocuments: 0, seed: { generateSeconds: 0, ordersInsertSeconds: 0, rollupWriteSeconds: 0 } };
}

/** Generates orders 0..largest once, folding their events; writes each size's orders and, at its boundary, its rollups. */
async function seed(dbs: SizeDb[]): Promise<void> {
  const fold = new RollupFold();
  let batch: BenchOrder['order'][] = [];
  let generateMs = 0;
  let insertMs = 0;
  const flushOrders = async (upTo: number) => {
    const started = Date.now();
    for (const db of dbs) if (db.orders && db.size >= upTo) await db.orders.collection.insertMany(batch as never[], { ordered: false });
    insertMs += Date.now() - started;
    batch = [];
  };
  const largest = dbs[dbs.length - 1].size;
  let started = Date.now();
  for (let i = 0; i < largest; i++) {
    const { events, order } = makeOrder(i, NOW);
    for (const e of events) fold.add(e);
    if (i < ORDERS_UP_TO) batch.push(order);
    const db = dbs.find((d) => d.size === i + 1);
    if (batch.length < 1000 && !db) continue;
    generateMs += Date.now() - started;
    if (batch.length) await flushOrders(i + 1);
    if (db) {
      const written = Date.now();
      db.rollupDocuments = await fold.write(db.models);
      db.seed = { generateSeconds: round(generateMs / 1000, 1), ordersInsertSeconds: db.orders ? round(insertMs / 1000, 1) : 0, rollupWriteSeconds: seconds(written) };
      log(`size ${db.size}: ${fold.events} events folded into ${db.rollupDocuments} rollup documents; ${JSON.stringify(db.seed)} (generate and insert are cumulative)`);
    }
    started = Date.now();
  }
}

/** Each size's statistics from the rollups must equal the ones from its orders, for every range. */
async function checkAgainstOrders(dbs: SizeDb[], ranges: Ranges): Promise<void> {
  for (const db of dbs) {
    if (!db.orders) continue;
    for (const [name, range] of Object.entries(ranges)) {
      const fromOrders = statisticsFromGroups(await onTheFlyGroups(db.orders, range), ORDER_STATUSES);
      assertSameStatistics(await db.service.orderStatistics(range, 'USD'), fromOrders, `size ${db.size}, ${name}`);
    }
    log(`size ${db.size}: rollup statistics equal the on-the-fly aggregation for ${Object.keys(ranges).join(', ')}`);
  }
}

function cellsFor(dbs: SizeDb[], ranges: Ranges): Cell[] {
  const cells: Cell[] = [];
  for (const db of dbs) {
    const queries = dashboardQueries(db.service, ranges);
    for (const name of QUERIES) cells.push({ key: `${db.size}/${name}`, run: queries[name], runs: RUNS });
    const orders = db.orders;
    if (orders) cells.push({ key: `${db.size}/onTheFly`, run: () => onTheFlyGroups(orders, ranges.year), runs: ON_THE_FLY_RUNS });
  }
  return cells;
}

/** stderr: one table row per query, p95 (p50) per size. */
function printTable(dbs: SizeDb[], timings: Map<string, Timing>): void {
  const show = (t?: Timing) => (t ? `${t.p95.toFixed(2)} (${t.p50.toFixed(2)})`.padStart(18) : '—'.padStart(18));
  log(`p95 (p50) ms   ${dbs.map((d) => `${d.size} orders`.padStart(18)).join('')}`);
  for (const name of [...QUERY_NAMES, 'onTheFly']) log(`${name.padEnd(15)}${dbs.map((d) => show(timings.get(`${d.size}/${name}`))).join('')}`);
}

function summary(dbs: SizeDb[], timings: Map<string, Timing>, apply: object) {
  const p95 = (size: number, name: string) => timings.get(`${size}/${name}`)?.p95 ?? NaN;
  const [before, last] = dbs.slice(-2).map((d) => d.size);
  const withOrders = [...dbs].reverse().find((d) => d.orders)?.size ?? NaN;
  const growthByQuery = Object.fromEntries(QUERY_NAMES.map((q) => [q, round(p95(last, q) / p95(before, q))]));
  const worst = Object.entries(growthByQuery).filter(([, ratio]) => Number.isFinite(ratio)).sort((a, b) => b[1] - a[1])[0];
  return {
    growth: growthByQuery.dashboard,
    speedup: round(p95(withOrders, 'onTheFly') / p95(withOrders, 'statsYear'), 1),
    growthFrom: before,
    growthTo: last,
    dashboardP95Ms: Object.fromEntries(dbs.map((d) => [d.size, p95(d.size, 'dashboard')])),
    speedupAt: withOrders,
    onTheFlyP95Ms: p95(withOrders, 'onTheFly'),
    statsYearP95Ms: p95(withOrders, 'statsYear'),
    growthByQuery,
    worstQueryGrowth: worst ? { query: worst[0], ratio: worst[1] } : null,
    rollupDocuments: Object.fromEntries(dbs.map((d) => [d.size, d.rollupDocuments])),
    seed: Object.fromEntries(dbs.map((d) => [d.size, d.seed])),
    runs: RUNS,
    ...apply,
  };
}

async function main() {
  const startedAt = Date.now();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-analytics-'));
  const backing = await ensureBackingServices({ dataDir, log, mongoStore: 'memory' });
  log(backing.description);
  const conn = await mongoose.createConnection(backing.env.MONGODB_URI, { dbName: 'bench_analytics', monitorCommands: true }).asPromise();
  try {
    const sample = Array.from({ length: PROOF_ORDERS }, (_, i) => makeOrder(i, NOW).events.map((e) => analyticsEventSchema.parse(e))).flat();
    const apply = await proveBulkSeed(conn, sample, DEFAULT_ANALYTICS_CONCURRENCY);
    log(`proof: ${apply.proofDocuments} rollup documents from ${sample.length} events are identical through applyAnalyticsEvent and the bulk seed; ${JSON.stringify(apply)}`);
    const dbs: SizeDb[] = [];
    for (const size of SIZES) dbs.push(await openSizeDb(conn, size));
    const seedStarted = Date.now();
    await seed(dbs);
    log(`seeded every size in ${seconds(seedStarted)} s`);
    const ranges = benchRanges(NOW);
    await checkAgainstOrders(dbs, ranges);
    const timingStarted = Date.now();
    const timings = await timeInterleaved(cellsFor(dbs, ranges), RUNS);
    log(`timed ${RUNS} interleaved runs in ${seconds(timingStarted)} s; whole bench ${seconds(startedAt)} s`);
    printTable(dbs, timings);
    process.stdout.write(`${JSON.stringify(Object.fromEntries(timings))}\n`);
    process.stdout.write(`${JSON.stringify({ ...summary(dbs, timings, apply), totalSeconds: seconds(startedAt) })}\n`);
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
