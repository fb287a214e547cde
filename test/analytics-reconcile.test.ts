import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'bullmq';
import mongoose, { type Connection } from 'mongoose';
import { newId } from '../subgraphs/lib/ids';
import { ensureIndexes } from '../subgraphs/lib/mongo';
import { QUEUES, bullPrefix, openQueue, paymentResultsQueue } from '../subgraphs/lib/queues';
import { orderModel } from '../subgraphs/orders/model';
import { applyAnalyticsEvent } from '../subgraphs/orders/analytics/apply';
import { allAnalyticsModels, analyticsModels } from '../subgraphs/orders/analytics/model';
import { reconciliationReport, type ReconciliationSources } from '../subgraphs/orders/analytics/reconcile';
import { newScenarioIds, scenarioEvents, scenarioOrdersAndPayments, type ScenarioIds } from './support/analytics-scenario';
import { paymentsFromDatabase } from '../scripts/reconcile';

describe('npm run reconcile: payments, orders and rollups checked against each other', () => {
  const prefix = `t${randomBytes(4).toString('hex')}_`;
  const queuePrefix = `test-${prefix}`;
  let ordersDb: Connection;
  let paymentsDb: Connection;
  let sources: ReconciliationSources;
  const ids: ScenarioIds = newScenarioIds();
  const events = scenarioEvents(ids);
  const counts = (report: Awaited<ReturnType<typeof reconciliationReport>>) => Object.fromEntries(report.classes.map((c) => [c.kind, c.count]));
  const idsOf = (report: Awaited<ReturnType<typeof reconciliationReport>>, kind: string) => report.classes.find((c) => c.kind === kind)!.ids;
  const FEB = [new Date('2024-02-01T00:00:00Z'), new Date('2024-03-01T00:00:00Z')] as const;
  const tempDirs: string[] = [];
  /** A temporary folder, removed in afterAll. */
  const tempDir = (prefix: string) => {
    tempDirs.push(mkdtempSync(path.join(os.tmpdir(), prefix)));
    return tempDirs[tempDirs.length - 1];
  };

  beforeAll(async () => {
    ordersDb = await mongoose.createConnection(process.env.MONGODB_URI!, { dbName: `${prefix}orders` }).asPromise();
    paymentsDb = await mongoose.createConnection(process.env.MONGODB_URI!, { dbName: `${prefix}payments` }).asPromise();
    const analytics = analyticsModels(ordersDb);
    const orders = orderModel(ordersDb);
    await ensureIndexes([orders, ...allAnalyticsModels(analytics)]);
    sources = { orders, analytics, payments: paymentsFromDatabase(paymentsDb), redis: { url: process.env.REDIS_URL!, prefix: queuePrefix } };
    // Late, out of order and duplicated: everything backwards, then every event again.
    for (const e of [...events].reverse()) await applyAnalyticsEvent(analytics, e);
    for (const e of events) expect(await applyAnalyticsEvent(analytics, e)).toBe('duplicate');
    for (const { order, payment } of scenarioOrdersAndPayments(ids, events)) {
      await orders.collection.insertOne(order as never);
      await paymentsDb.db!.collection('payments').insertOne(payment as never);
    }
  });

  afterAll(async () => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    await ordersDb?.dropDatabase();
    await paymentsDb?.dropDatabase();
    await ordersDb?.close();
    await paymentsDb?.close();
  });

  it('reports zero drift and zero unmatched for a consistent history (an oversold order, a failed-then-paid one), whatever the delivery order', async () => {
    for (const report of [await reconciliationReport(sources, ...FEB), await reconciliationReport(sources)]) {
      expect(report.drift).toEqual([]);
      expect(report.unmatchedCount).toBe(0);
      expect(counts(report)).toMatchObject({ MATCHED: 7, OVERSOLD_AND_REFUNDED: 1, DUPLICATE_EVENT_SUPPRESSED: events.length, STUCK_IN_FAILED_JOBS: 0 });
    }
  });

  it('`npm run reconcile` exits 0 on that history: an oversold order is no revenue, so no false drift', async () => {
    const env = {
      ...process.env,
      MONGODB_URI: process.env.MONGODB_URI!, REDIS_URL: process.env.REDIS_URL!, DB_PREFIX: prefix, QUEUE_PREFIX: queuePrefix,
      // No running `npm start` stack may lend its settings to this run.
      DATA_DIR: tempDir('reconcile-'),
    };
    const script = path.resolve(__dirname, '../scripts/reconcile.ts');
    const tsx = path.resolve(__dirname, '../node_modules/.bin/tsx');
    const run = await promisify(execFile)(tsx, [script, '--from', '2024-02-01', '--to', '2024-03-01'], { env }).catch((err: { code: number; stdout: string }) => err);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(summary).toMatchObject({ driftCount: 0, unmatchedCount: 0, counts: { MATCHED: 7, OVERSOLD_AND_REFUNDED: 1 } });
    expect('code' in run ? run.code : 0).toBe(0);
  }, 60_000);

  it('names a paid payment that never became an order, an amount mismatch and a stuck job', async () => {
    const payments = paymentsDb.db!.collection('payments');
    const lost = newId('payment');
    await payments.insertOne({ _id: lost as never, customerId: ids.customers[0], status: 'SUCCEEDED', amountCents: 900, refundedCents: 0, currency: 'USD', lines: [], createdAt: new Date('2024-02-20T00:00:00Z') });
    await payments.updateOne({ _id: ids.payments[1] as never }, { $set: { currency: 'EUR' } });
    const queue = openQueue(paymentResultsQueue, { connection: { url: process.env.REDIS_URL! }, prefix: queuePrefix }).queue;
    // A consumer that gives up on the job: it ends in the failed set, as after exhausted retries. (Opened on the queue's own keys.)
    const failing = new Worker(QUEUES.paymentResults, async () => { throw new Error('orders worker gave up'); }, { connection: { url: process.env.REDIS_URL!, maxRetriesPerRequest: null }, prefix: bullPrefix(queuePrefix, QUEUES.paymentResults) });
    const failed = new Promise((resolve) => failing.once('failed', resolve));
    await queue.add(paymentResultsQueue.jobName, { paymentId: lost }, { jobId: `${lost}-succeeded`, attempts: 1 });
    await failed;
    await failing.close();
    try {
      const report = await reconciliationReport(sources, ...FEB);
      expect(idsOf(report, 'PAID_WITHOUT_ORDER')).toEqual([lost]);
      expect(idsOf(report, 'AMOUNT_OR_CURRENCY_MISMATCH')).toEqual([ids.payments[1]]);
      expect(idsOf(report, 'STUCK_IN_FAILED_JOBS')).toEqual([`${QUEUES.paymentResults}:${lost}-succeeded`]);
      expect(report.unmatchedCount).toBe(2);
      expect(report.drift).toEqual([]);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      await payments.deleteOne({ _id: lost as never });
      await payments.updateOne({ _id: ids.payments[1] as never }, { $set: { currency: 'USD' } });
    }
  });
});
