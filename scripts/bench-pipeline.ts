/**
 * `npm run bench:pipeline`: how fast payment results become orders, end to end, next to what bare
 * BullMQ does on the same Redis. Starts its own backing services and, as child processes in
 * production mode, the products and payments subgraphs and the four workers. For each N
 * (BENCH_SIZES, default 1000,10000) it prepares N checkouts the way checkout leaves them (a real
 * stock reservation and a PENDING payment), then, timed, sends N signed payment_intent.succeeded
 * webhooks and waits until every order exists and analytics has applied every event.
 * Prints orders/s, p50/p95 webhook → order, bare no-op jobs/s and the ratio; the last line is one
 * JSON object for the largest N.
 */
import { Queue, QueueEvents, Worker } from 'bullmq';
import mongoose from 'mongoose';
import { newId } from '../subgraphs/lib/ids';
import { createLogger } from '../subgraphs/lib/logger';
import { openQueue, reservationExpiryQueue } from '../subgraphs/lib/queues';
import { catalogModels, productModel } from '../subgraphs/products/model';
import { createStock } from '../subgraphs/products/stock';
import { createInventory } from '../subgraphs/products/inventory';
import { paymentModel } from '../subgraphs/payments/model';
import { orderModel } from '../subgraphs/orders/model';
import { analyticsModels } from '../subgraphs/orders/analytics/model';
import { buildIntentEvent, signEvent } from '../subgraphs/payments/simulated-webhooks';
import { percentile, startBenchStack, type BenchStack } from './backing/bench-stack';
import { recentOutput } from './backing/processes';
import { SUBGRAPH_PROCESSES, WORKER_PROCESSES } from './stack-processes';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const SEND_CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PRODUCTS = 100;
const log = (m: string) => process.stdout.write(`[bench] ${m}\n`);

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
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
    const docs: Array<PreparedPayment & Record<string, unknown>> = [];
    let done = 0;
    await pool(paymentIds, 16, async (paymentId) => {
      const reservationId = newId('reservation');
      const r = await inventory.reserve({ reservationId, lines: [{ productId: productIds[done % PRODUCTS], quantity: 1 }], ttlSeconds: 3600 });
      const line = r.lines[0];
      docs.push({ _id: paymentId, customerId, status: 'PENDING', lines: [line], amountCents: line.unitPriceCents, currency: 'USD', reservationId, intentId: `pi_bench_${paymentId.slice(-12)}`, shippingAddress: { line1: '1 Bench St', city: 'Testville', postalCode: '00000', country: 'US' } });
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
async function drivePipeline(stack: BenchStack, payments: PreparedPayment[], webhookSecret: string) {
  const paymentIds = payments.map((p) => p._id);
  const [ordersDb] = await Promise.all([mongoose.createConnection(stack.mongoUri, { dbName: `${stack.dbPrefix}orders` }).asPromise()]);
  const orders = orderModel(ordersDb);
  const applied = analyticsModels(ordersDb).appliedEvents;
  const [baseOrders, baseApplied] = await Promise.all([orders.countDocuments(), applied.countDocuments()]);
  const url = `http://127.0.0.1:${stack.ports.payments}/webhooks/stripe`;
  const sentAt = new Map<string, number>();
  let redeliveries = 0;
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
    const ordersDone = await waitUntil('every order', async () => (await orders.countDocuments()) >= target, 30 * 60_000);
    const analyticsDone = await waitUntil('analytics', async () => (await applied.countDocuments({ state: 'done' })) >= baseApplied + paymentIds.length, 30 * 60_000);
    const created = await orders.find({ paymentId: { $in: paymentIds } }, { paymentId: 1, createdAt: 1, status: 1 }).lean();
    const paid = created.filter((o) => o.status === 'PAID').length;
    const latencies = created.map((o) => o.createdAt.getTime() - sentAt.get(o.paymentId)!).sort((a, b) => a - b);
    return { redeliveries, sendMs: sentAll - started, ordersMs: ordersDone - started, endToEndMs: analyticsDone - started, created: created.length, paid, p50: percentile(latencies, 50), p95: percentile(latencies, 95) };
  } finally {
    await ordersDb.close();
  }
}

/** The same number of no-op jobs through bare BullMQ on the same Redis, at the orders worker's concurrency. */
async function bareBullmq(stack: BenchStack, n: number): Promise<number> {
  const connection = { url: stack.redisUrl, maxRetriesPerRequest: null };
  const name = `bench-noop-${n}`;
  const queue = new Queue(name, { connection, prefix: stack.queuePrefix });
  const events = new QueueEvents(name, { connection, prefix: stack.queuePrefix });
  await events.waitUntilReady();
  let completed = 0;
  const started = Date.now();
  const worker = new Worker(name, async () => undefined, { connection, prefix: stack.queuePrefix, concurrency: 8 });
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
  let last: Record<string, number> | null = null;
  try {
    for (const p of SUBGRAPH_PROCESSES.filter((s) => s.name === 'products' || s.name === 'payments')) await stack.launch(p);
    // Customer emails are not part of the measured pipeline (and production refuses a worker without SMTP_URL).
    for (const w of WORKER_PROCESSES.filter((p) => p.name !== 'notifications-worker')) await stack.launch(w);
    log(`started ${stack.children.map((c) => c.name).join(', ')} (NODE_ENV=production)`);
    for (const [run, n] of SIZES.entries()) {
      log(`N=${n}: preparing ${n} checkouts (reservations and pending payments; not timed)`);
      const payments = await prepareCheckouts(stack, n, run);
      log(`N=${n}: sending ${n} signed payment_intent.succeeded webhooks (${SEND_CONCURRENCY} at a time)`);
      const r = await drivePipeline(stack, payments, webhookSecret);
      const ordersPerSec = Math.round((r.created / r.endToEndMs) * 1000 * 10) / 10;
      const bareJobsPerSec = Math.round(await bareBullmq(stack, n));
      const ratio = Math.round((ordersPerSec / bareJobsPerSec) * 1000) / 1000;
      if (r.redeliveries) log(`N=${n}: ${r.redeliveries} webhook deliveries answered non-2xx and were delivered again (as Stripe does)`);
      log(`N=${n}: ${r.created} orders (${r.paid} PAID) in ${(r.endToEndMs / 1000).toFixed(1)}s end to end incl. analytics (webhooks sent in ${(r.sendMs / 1000).toFixed(1)}s, last order at ${(r.ordersMs / 1000).toFixed(1)}s)`);
      log(`N=${n}: ${ordersPerSec} orders/s; webhook → order p50 ${r.p50} ms, p95 ${r.p95} ms; bare BullMQ no-op ${bareJobsPerSec} jobs/s; ratio ${ratio}`);
      last = { n, ordersPerSec, p95WebhookToOrderMs: r.p95, bareJobsPerSec, ratio };
    }
  } catch (err) {
    for (const c of stack.children) log(`--- last output of ${c.name} ---\n${recentOutput(c.proc)}`);
    throw err;
  } finally {
    await stack.stop();
  }
  process.stdout.write(`${JSON.stringify(last)}\n`);
}

main().catch((err) => {
  process.stderr.write(`[bench] ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
