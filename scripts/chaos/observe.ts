import { Queue } from 'bullmq';
import mongoose, { type Connection } from 'mongoose';
import { QUEUE_DEFINITIONS, QUEUES, bullPrefix } from '../../subgraphs/lib/queues';
import { analyticsModels, type AnalyticsModels } from '../../subgraphs/orders/analytics/model';
import { orderModel, type OrderDoc } from '../../subgraphs/orders/model';
import { paymentModel, type PaymentDoc } from '../../subgraphs/payments/model';
import { productModel, reservationModel } from '../../subgraphs/products/model';
import type { PaymentFate } from './deliveries';
import { sleep } from './random';
import type { ChaosProcess, ChaosStack } from './stack';

/**
 * Read-only views of the run's databases and queues (an operator's tool, like `npm run reconcile`,
 * so it reads every database directly), and the wait until the system is quiet.
 */
export interface Observer {
  payments: ReturnType<typeof paymentModel>;
  orders: ReturnType<typeof orderModel>;
  analytics: AnalyticsModels;
  products: ReturnType<typeof productModel>;
  reservations: ReturnType<typeof reservationModel>;
  paymentsDb: Connection;
  queues: Queue[];
  close(): Promise<void>;
}

export async function observe(stack: ChaosStack): Promise<Observer> {
  const conn = (name: string) => mongoose.createConnection(stack.mongoUri, { dbName: `${stack.dbPrefix}${name}` }).asPromise();
  const [paymentsDb, ordersDb, productsDb] = await Promise.all([conn('payments'), conn('orders'), conn('products')]);
  const connection = { url: stack.redis.url, maxRetriesPerRequest: null };
  const queues = QUEUE_DEFINITIONS.map((d) => new Queue(d.name, { connection, prefix: bullPrefix(stack.queuePrefix, d.name) }));
  for (const q of queues) q.on('error', () => undefined); // Redis restarts during the run: reconnects on its own.
  return {
    payments: paymentModel(paymentsDb),
    orders: orderModel(ordersDb),
    analytics: analyticsModels(ordersDb),
    products: productModel(productsDb),
    reservations: reservationModel(productsDb),
    paymentsDb,
    queues,
    async close() {
      await Promise.all(queues.map((q) => q.close()));
      await Promise.all([paymentsDb.close(), ordersDb.close(), productsDb.close()]);
    },
  };
}

export const expectedStatus = (fate: PaymentFate) => (fate === 'failed' ? 'FAILED' : 'SUCCEEDED');
export const expectedOrderStatus = (fate: PaymentFate) => (fate === 'failed' ? 'FAILED' : 'PAID');

/** The queues money and figures travel on; the others (notifications) only delay "quiet". */
const PIPELINE = new Set<string>([QUEUES.paymentResults, QUEUES.analytics, QUEUES.inventory, QUEUES.refunds]);

/** Jobs still to run, by queue and state (reservation expiries wait 15 minutes by design: not counted). */
export async function jobsOutstanding(o: Observer, pipeline: boolean): Promise<{ total: number; where: string }> {
  let total = 0;
  const where: string[] = [];
  for (const q of o.queues.filter((q) => q.name !== QUEUES.reservationExpiry && PIPELINE.has(q.name) === pipeline)) {
    const counts = Object.entries(await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused')).filter(([, n]) => n > 0);
    total += counts.reduce((sum, [, n]) => sum + n, 0);
    if (counts.length) where.push(`${q.name}: ${counts.map(([state, n]) => `${n} ${state}`).join(', ')}`);
  }
  return { total, where: where.join('; ') };
}

/** A worker's count of messages its safety net republished since it started (from its /metrics). */
export async function republishedBy(stack: ChaosStack, p: ChaosProcess): Promise<number> {
  if (p.role !== 'worker') return 0;
  const res = await fetch(`http://127.0.0.1:${p.port}/metrics`, { headers: { authorization: `Bearer ${stack.metricsToken}` }, signal: AbortSignal.timeout(2_000) }).catch(() => null);
  const text = res?.ok ? await res.text() : '';
  return text
    .split('\n')
    .filter((line) => line.startsWith('safety_net_republished_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** What is not yet as the plan says, or still moving: in the money pipeline, and elsewhere (notifications). */
export async function unfinished(o: Observer, fates: Map<string, PaymentFate>): Promise<{ pipeline: string[]; other: string[] }> {
  const ids = [...fates.keys()];
  const [payments, orders, pendingPayments, pendingOrders, applying, outstanding, otherJobs] = await Promise.all([
    o.payments.find({ _id: { $in: ids } }, { status: 1 }).lean<Pick<PaymentDoc, '_id' | 'status'>[]>(),
    o.orders.find({ paymentId: { $in: ids } }, { paymentId: 1, status: 1, outbox: 1 }).lean<Pick<OrderDoc, 'paymentId' | 'status' | 'outbox'>[]>(),
    o.payments.countDocuments({ outboxPending: { $gt: 0 } }),
    o.orders.countDocuments({ outboxPending: { $gt: 0 } }),
    o.analytics.appliedEvents.countDocuments({ state: 'applying' }),
    jobsOutstanding(o, true),
    jobsOutstanding(o, false),
  ]);
  const wrongPayments = payments.filter((p) => p.status !== expectedStatus(fates.get(p._id)!)).length + (ids.length - payments.length);
  const orderOf = new Map(orders.map((x) => [x.paymentId, x]));
  const wrongOrders = ids.filter((id) => orderOf.get(id)?.status !== expectedOrderStatus(fates.get(id)!)).length;
  const events = orders.flatMap((x) => x.outbox.filter((e) => e.queue === QUEUES.analytics).map((e) => e.id));
  const applied = await o.analytics.appliedEvents.countDocuments({ _id: { $in: events }, state: 'done' });
  const left: Array<[string, number]> = [
    ['payments not in their final status', wrongPayments],
    ['payments without their order in its final status', wrongOrders],
    ['outbox entries unpublished', pendingPayments + pendingOrders],
    ['analytics events not applied', events.length - applied + applying],
    [`queued jobs (${outstanding.where})`, outstanding.total],
  ];
  return { pipeline: left.filter(([, n]) => n > 0).map(([what, n]) => `${n} ${what}`), other: otherJobs.total ? [`${otherJobs.total} other queued jobs (${otherJobs.where})`] : [] };
}

export interface Quiet {
  /** Until nothing at all was left (twice in a row). */
  seconds: number;
  /** Until the money pipeline was done: payments, orders, outboxes, analytics, their queues. */
  pipelineSeconds: number | null;
  left: string[];
}

/** Polls every second until nothing is left twice in a row, or `timeoutMs`. */
export async function waitUntilQuiet(o: Observer, fates: Map<string, PaymentFate>, timeoutMs: number, log: (m: string) => void): Promise<Quiet> {
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  let calm = 0;
  let pipelineSeconds: number | null = null;
  let left: string[] = ['not checked yet'];
  let lastReport = 0;
  while (Date.now() - started < timeoutMs) {
    const found = await unfinished(o, fates).catch((err) => ({ pipeline: [`could not check: ${String(err)}`], other: [] }));
    if (!found.pipeline.length) pipelineSeconds ??= elapsed();
    left = [...found.pipeline, ...found.other];
    calm = left.length ? 0 : calm + 1;
    if (calm >= 2) return { seconds: elapsed(), pipelineSeconds, left };
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      log(`waiting until quiet: ${left.join(', ') || 'quiet, confirming'}`);
    }
    await sleep(1_000);
  }
  return { seconds: elapsed(), pipelineSeconds, left };
}
