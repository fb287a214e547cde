/**
 * `npm run bench:pipeline`: how fast payment results become orders, end to end, next to what bare
 * BullMQ does on the same Redis. Starts its own backing services and, as child processes in
 * production mode, the products and payments subgraphs and the four workers. For each N
 * (BENCH_SIZES, default 1000,10000) it prepares N checkouts the way checkout leaves them (a real
 * stock reservation and a PENDING payment), then, timed, sends N signed payment_intent.succeeded
 * webhooks and waits until every order exists and analytics has applied every event.
 * Prints orders/s, p50/p95 webhook → order and webhook → analytics rollup, CPU seconds per 1,000
 * orders by process (scripts/bench/pipeline-probes.ts), MongoDB commands per order (counted on the
 * wire unless BENCH_ROUND_TRIPS=0), bare no-op jobs/s and the ratio; the last line is one JSON
 * object for the last N. BENCH_CPU_PROF=<dir> BENCH_CPU_PROF_PROCESS=<name,...> runs those children with
 * a CPU profiler (bench/cpu-profile-preload.cjs; summarise with scripts/bench/profile-summary.ts).
 */
import path from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { newId } from '../subgraphs/lib/ids';
import { createLogger } from '../subgraphs/lib/logger';
import { bullPrefix, openQueue, reservationExpiryQueue } from '../subgraphs/lib/queues';
import { catalogModels, productModel } from '../subgraphs/products/model';
import { createStock } from '../subgraphs/products/stock';
import { createInventory } from '../subgraphs/products/inventory';
import { paymentModel } from '../subgraphs/payments/model';
import { pendingPayment } from '../subgraphs/payments/pending-payment';
import { orderModel } from '../subgraphs/orders/model';
import { PAYMENT_RESULTS_CONCURRENCY } from '../subgraphs/orders/worker';
import { analyticsModels } from '../subgraphs/orders/analytics/model';
import { buildIntentEvent, signEvent } from '../subgraphs/payments/simulated-webhooks';
import { startBenchStack, type BenchStack } from './backing/bench-stack';
import { percentile } from './bench/measure';
import { commandsPerOrder, cpuPerThousand, cpuSnapshot, redisCommandCounts, startWireCounter, type WireCounter } from './bench/pipeline-probes';
import { recentOutput } from './backing/processes';
import { SUBGRAPH_PROCESSES, WORKER_PROCESSES, type StackProcess } from './stack-processes';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const SEND_CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const COUNT_ROUND_TRIPS = process.env.BENCH_ROUND_TRIPS !== '0';
const PRODUCTS = 100;
const log = (m: string) => process.stdout.write(`[bench] ${m}\n`);

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/**
 * Polls `probe` every PROBE_INTERVAL_MS. Probes are cheap on purpose: the server also serves the
 * pipeline, and a filtered count scans the whole collection on the local server.
 */
const PROBE_INTERVAL_MS = 100;
async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
  }
  return Date.now();
}

/** What a webhook for a prepared payment must say (the webhook checks intent, amount and currency). */
type PreparedPayment = { _id: string; intentId: string; amountCents: number; currency: string };

/** N checkouts as checkout leaves them: stock held by a real reservation, a PENDING payment. Not timed. */
async function prepareCheckouts(stack: BenchStack, n: number, run: number): Promise<PreparedPayment[]> {
  const conn = (name: string) => mongoose.createConnection(stack.mongoUri, { dbName: `${stack.dbPrefix}${name}` }).asPromise();
  const [productsDb, paymentsDb] = await Promise.all([conn('products'), conn('payments')]);
  const expiryQueue = openQueue(reservationExpiryQueue, { connection: { url: stack.redisUrl, maxRetriesPerRequest: null }, prefix: stack.queuePrefix });
  try {
    const models = catalogModels(productsDb);
    const inventory = createInventory({ models, stock: createStock(models), expiryQueue, logger: createLogger('bench', 'warn') });
    const productIds = Array.from({ length: PRODUCTS }, () => newId('product'));
    await productModel(productsDb).insertMany(productIds.map((_id, i) => ({ _id, sku: `BENCH-${run}-${i}`, name: `Bench item ${i}`, priceCents: 500 + i, currency: 'USD', onHand: n, available: n })));
    const customerId = newId('customer');
    const paymentIds = Array.from({ length: n }, () => newId('payment'));
    const docs: Array<ReturnType<typeof pendingPayment> & PreparedPayment> = [];
    let done = 0;
    await pool(paymentIds, 16, async (paymentId) => {
      const reservationId = newId('reservation');
      const r = await inventory.reserve({ reservationId, lines: [{ productId: productIds[done % PRODUCTS], quantity: 1 }], ttlSeconds: 3600 });
      const line = r.lines[0];
      const shippingAddress = { line1: '1 Bench St', city: 'Testville', postalCode: '00000', country: 'US' };
      const intentId = `pi_bench_${paymentId.slice(-12)}`;
      docs.push({ ...pendingPayment({ paymentId, customerId, idempotencyKey: `bench-${paymentId}`, lines: [line], currency: 'USD', reservationId, intentId, shippingAddress }), intentId });
      if (++done % 1000 === 0) log(`  prepared ${done}/${n} checkouts`);
    });
    for (let i = 0; i < docs.length; i += 1000) await paymentModel(paymentsDb).insertMany(docs.slice(i, i + 1000));
    return docs;
  } finally {
    await expiryQueue.close();
    await Promise.all([productsDb.close(), paymentsDb.close()]);
  }
}

/** Timed: N signed webhooks in, until every order exists and analytics has applied every event. */
async function drivePipeline(stack: BenchStack, payments: PreparedPayment[], webhookSecret: string, probes: Probes) {
  const paymentIds = payments.map((p) => p._id);
  const [ordersDb] = await Promise.all([mongoose.createConnection(stack.mongoUri, { dbName: `${stack.dbPrefix}orders` }).asPromise()]);
  const orders = orderModel(ordersDb);
  const applied = analyticsModels(ordersDb).appliedEvents;
  const [baseOrders, baseApplied, baseDone] = await Promise.all([orders.estimatedDocumentCount(), applied.estimatedDocumentCount(), applied.countDocuments({ state: 'done' })]);
  const url = `http://127.0.0.1:${stack.ports.payments}/webhooks/stripe`;
  const sentAt = new Map<string, number>();
  let redeliveries = 0;
  const cpuBefore = cpuSnapshot(probes.named());
  const wireBefore = probes.wire?.counts() ?? new Map<string, number>();
  const redisBefore = await redisCommandCounts(probes.redis);
  const started = Date.now();
  try {
    await pool(payments, SEND_CONCURRENCY, async (payment) => {
      const paymentId = payment._id;
      const { payload, signature } = signEvent(buildIntentEvent({ payment, outcome: 'succeeded' }), webhookSecret);
      sentAt.set(paymentId, Date.now());
      // Like Stripe: a non-2xx answer is delivered again, with backoff.
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
        if (res.status === 200) break;
        const body = await res.text();
        if (attempt >= 5) throw new Error(`webhook answered ${res.status} five times: ${body}`);
        redeliveries++;
        await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
      }
    });
    const sentAll = Date.now();
    const target = baseOrders + paymentIds.length;
    const ordersDone = await waitUntil('every order', async () => (await orders.estimatedDocumentCount()) >= target, 30 * 60_000);
    // Every marker inserted (a count without a filter is cheap), then every marker done.
    const everyMarker = async () => (await applied.estimatedDocumentCount()) >= baseApplied + paymentIds.length;
    const analyticsDone = await waitUntil('analytics', async () => (await everyMarker()) && (await applied.countDocuments({ state: 'done' })) >= baseDone + paymentIds.length, 30 * 60_000);
    const cpu = cpuPerThousand(cpuBefore, cpuSnapshot(probes.named()), paymentIds.length);
    const commands = commandsPerOrder(wireBefore, probes.wire?.counts() ?? new Map(), paymentIds.length);
    const redisCommands = commandsPerOrder(redisBefore, await redisCommandCounts(probes.redis), paymentIds.length);
    // By time, not `paymentId: {$in: N ids}`: the local server checks every document against the whole list (N² at N=10,000).
    const since = new Date(started);
    const created = (await orders.find({ createdAt: { $gte: since } }, { paymentId: 1, createdAt: 1, status: 1 }).lean()).filter((o) => sentAt.has(o.paymentId));
    const paid = created.filter((o) => o.status === 'PAID').length;
    const latencies = created.map((o) => o.createdAt.getTime() - sentAt.get(o.paymentId)!).sort((a, b) => a - b);
    const rollups = await rollupLatencies(applied, sentAt, since);
    return {
      redeliveries, sendMs: sentAll - started, ordersMs: ordersDone - started, endToEndMs: analyticsDone - started, created: created.length, paid,
      p50: percentile(latencies, 50), p95: percentile(latencies, 95), rollupP50: percentile(rollups, 50), rollupP95: percentile(rollups, 95), cpu, commands, redisCommands,
    };
  } finally {
    await ordersDb.close();
  }
}

/** Webhook sent → the payment's last analytics event applied (its marker flipped to done), sorted. */
async function rollupLatencies(applied: ReturnType<typeof analyticsModels>['appliedEvents'], sentAt: Map<string, number>, since: Date): Promise<number[]> {
  const markers = await applied.find({ createdAt: { $gte: since }, state: 'done' }, { paymentId: 1, updatedAt: 1 }).lean();
  const last = new Map<string, number>();
  for (const m of markers) if (sentAt.has(m.paymentId)) last.set(m.paymentId, Math.max(last.get(m.paymentId) ?? 0, m.updatedAt.getTime()));
  return [...last].map(([paymentId, at]) => at - sentAt.get(paymentId)!).sort((a, b) => a - b);
}

/** The children's names by pid (for CPU by process) and, when counting, the wire counter. */
interface Probes {
  named(): Map<number, string>;
  wire: WireCounter | null;
  /** For INFO commandstats (Redis commands per order). */
  redis: Redis;
}

/** Launches one child, under the CPU profiler when BENCH_CPU_PROF_PROCESS names it (a comma-separated list). */
async function launch(stack: BenchStack, p: StackProcess): Promise<void> {
  const profile = process.env.BENCH_CPU_PROF && (process.env.BENCH_CPU_PROF_PROCESS ?? '').split(',').includes(p.name);
  const previous = { NODE_OPTIONS: stack.env.NODE_OPTIONS, CPU_PROF_DIR: stack.env.CPU_PROF_DIR, CPU_PROF_NAME: stack.env.CPU_PROF_NAME };
  // Node 20 refuses --cpu-prof in NODE_OPTIONS: a preloaded inspector session does the same.
  if (profile) Object.assign(stack.env, { NODE_OPTIONS: `${previous.NODE_OPTIONS ?? ''} --require ${path.join(__dirname, 'bench', 'cpu-profile-preload.cjs')}`.trim(), CPU_PROF_DIR: process.env.BENCH_CPU_PROF, CPU_PROF_NAME: p.name });
  try {
    await stack.launch(p);
  } finally {
    if (profile) Object.assign(stack.env, previous);
  }
}

/** The same number of no-op jobs through bare BullMQ on the same Redis, at the orders worker's concurrency. */
async function bareBullmq(stack: BenchStack, n: number): Promise<number> {
  const connection = { url: stack.redisUrl, maxRetriesPerRequest: null };
  const name = `bench-noop-${n}`;
  // The same key layout as our queues (one hash tag per queue), so the baseline compares like with like.
  const prefix = bullPrefix(stack.queuePrefix, name);
  const queue = new Queue(name, { connection, prefix });
  const events = new QueueEvents(name, { connection, prefix });
  await events.waitUntilReady();
  let completed = 0;
  const started = Date.now();
  const worker = new Worker(name, async () => undefined, { connection, prefix, concurrency: PAYMENT_RESULTS_CONCURRENCY });
  const finished = new Promise<number>((resolve) => worker.on('completed', () => ++completed === n && resolve(Date.now())));
  for (let i = 0; i < n; i += 1000) await queue.addBulk(Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ name: 'noop', data: { i: i + k }, opts: { jobId: `noop-${i + k}` } })));
  const done = await finished;
  await worker.close();
  await Promise.all([queue.obliterate({ force: true }), events.close()]);
  await queue.close();
  return (n / (done - started)) * 1000;
}

async function main() {
  const stack = await startBenchStack(log);
  const webhookSecret = stack.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_local_development_secret';
  let last: Record<string, unknown> | null = null;
  // The services reach MongoDB through the counter; the bench's own reads and probes do not.
  const wire = COUNT_ROUND_TRIPS ? await startWireCounter(stack.mongoUri) : null;
  if (wire) stack.env.MONGODB_URI = wire.uri;
  const probes: Probes = { named: () => new Map(stack.children.map((c) => [c.proc.child.pid ?? -1, c.name])), wire, redis: new Redis(stack.redisUrl) };
  try {
    for (const p of SUBGRAPH_PROCESSES.filter((s) => s.name === 'products' || s.name === 'payments')) await launch(stack, p);
    // Customer emails are not part of the measured pipeline (and production refuses a worker without SMTP_URL).
    for (const w of WORKER_PROCESSES.filter((p) => p.name !== 'notifications-worker')) await launch(stack, w);
    log(`started ${stack.children.map((c) => c.name).join(', ')} (NODE_ENV=production)`);
    for (const [run, n] of SIZES.entries()) {
      log(`N=${n}: preparing ${n} checkouts (reservations and pending payments; not timed)`);
      const payments = await prepareCheckouts(stack, n, run);
      log(`N=${n}: sending ${n} signed payment_intent.succeeded webhooks (${SEND_CONCURRENCY} at a time)`);
      const r = await drivePipeline(stack, payments, webhookSecret, probes);
      const ordersPerSec = Math.round((r.created / r.endToEndMs) * 1000 * 10) / 10;
      const bareJobsPerSec = Math.round(await bareBullmq(stack, n));
      const ratio = Math.round((ordersPerSec / bareJobsPerSec) * 1000) / 1000;
      if (r.redeliveries) log(`N=${n}: ${r.redeliveries} webhook deliveries answered non-2xx and were delivered again (as Stripe does)`);
      log(`N=${n}: ${r.created} orders (${r.paid} PAID) in ${(r.endToEndMs / 1000).toFixed(1)}s end to end incl. analytics (webhooks sent in ${(r.sendMs / 1000).toFixed(1)}s, last order at ${(r.ordersMs / 1000).toFixed(1)}s)`);
      log(`N=${n}: ${ordersPerSec} orders/s; webhook → order p50 ${r.p50} ms, p95 ${r.p95} ms; webhook → rollup p50 ${r.rollupP50} ms, p95 ${r.rollupP95} ms; bare BullMQ no-op ${bareJobsPerSec} jobs/s; ratio ${ratio}`);
      log(`N=${n}: CPU s per 1,000 orders: ${r.cpu.map(([name, s]) => `${name} ${s}`).join(', ')}`);
      log(`N=${n}: Redis commands per order: ${r.redisCommands.total} (${r.redisCommands.byCommand.slice(0, 8).map(([c, k]) => `${c} ${k}`).join(', ')})`);
      if (wire) log(`N=${n}: MongoDB commands per order: ${r.commands.total} (${r.commands.byCommand.map(([c, k]) => `${c} ${k}`).join(', ')})`);
      const cpuPer1kOrders = Object.fromEntries(r.cpu);
      last = {
        n, ordersPerSec, orderP50Ms: r.p50, orderP95Ms: r.p95, rollupP50Ms: r.rollupP50, rollupP95Ms: r.rollupP95, bareJobsPerSec, ratio,
        cpuPer1kOrders, redisCommandsPerOrder: r.redisCommands.total, ...(wire ? { mongoCommandsPerOrder: r.commands.total } : {}),
      };
    }
  } catch (err) {
    for (const c of stack.children) log(`--- last output of ${c.name} ---\n${recentOutput(c.proc)}`);
    throw err;
  } finally {
    probes.redis.disconnect();
    await stack.stop();
    await wire?.close();
  }
  process.stdout.write(`${JSON.stringify(last)}\n`);
}

main().catch((err) => {
  process.stderr.write(`[bench] ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
