import { randomBytes } from 'node:crypto';
import type { Queue, Worker } from 'bullmq';
import mongoose, { type Connection } from 'mongoose';
import { createLogger } from '../subgraphs/lib/logger';
import { ensureIndexes } from '../subgraphs/lib/mongo';
import { analyticsEventsQueue, openQueue, type AnalyticsEvent } from '../subgraphs/lib/queues';
import { applyAnalyticsEvent, claimStaleMarker, EventInProgressError, finishEvent } from '../subgraphs/orders/analytics/apply';
import { allAnalyticsModels, analyticsModels, rollupModel, rollupModels, type AnalyticsModels } from '../subgraphs/orders/analytics/model';
import { incrementsOf, planIncrements } from '../subgraphs/orders/analytics/plan';
import { sweepUnfinished } from '../subgraphs/orders/analytics/sweep';
import { createAnalyticsWorker, DEFAULT_ANALYTICS_CONCURRENCY } from '../subgraphs/orders/analytics/worker';
import { expectedRollups, manyEvents, rollupsIn, seededShuffle } from './support/analytics-events';
import { waitFor } from './support/wait';

/** What a worker leaves when it stops after some of an event's increments: the marker (claim run out) and those targets. */
async function crashedMidway(m: AnalyticsModels, event: AnalyticsEvent, appliedTargets: number, state: 'applying' | 'done' = 'applying') {
  const targets = planIncrements(event);
  await m.appliedEvents.collection.insertOne({
    _id: event.eventId as never, kind: event.kind, orderId: event.orderId, paymentId: event.paymentId, customerId: event.customerId, currency: event.currency,
    amountCents: event.amountCents, refundCents: event.refundCents, occurredAt: new Date(event.occurredAt), targets, state, claim: 'dead-worker',
    claimedUntil: new Date(Date.now() - 1000), duplicates: 0, createdAt: new Date(), updatedAt: new Date(),
  });
  for (const t of targets.slice(0, appliedTargets)) {
    await rollupModel(m, t.kind).collection.updateOne({ _id: t.key as never }, { $inc: incrementsOf(t), $push: { pending: event.eventId } as never, $setOnInsert: t.meta }, { upsert: true });
  }
}

const pendingIds = async (m: AnalyticsModels) => (await Promise.all(rollupModels(m).map((model) => model.find({ pending: { $type: 'string' } }, { pending: 1 }).lean()))).flat().flatMap((d) => d.pending as string[]);

describe('analytics counts every event exactly once', () => {
  const prefix = `t${randomBytes(4).toString('hex')}_`;
  const connections: Connection[] = [];
  let dbCount = 0;

  /** A fresh database (one per story), opened `processes` times as separate worker processes would. */
  async function freshDatabase(processes = 1): Promise<AnalyticsModels[]> {
    const dbName = `${prefix}orders${dbCount++}`;
    const models: AnalyticsModels[] = [];
    for (let i = 0; i < processes; i++) {
      const conn = await mongoose.createConnection(process.env.MONGODB_URI!, { dbName }).asPromise();
      connections.push(conn);
      models.push(analyticsModels(conn));
    }
    await ensureIndexes(allAnalyticsModels(models[0]));
    return models;
  }

  afterAll(async () => {
    for (const conn of connections) await conn.dropDatabase().catch(() => undefined);
    for (const conn of connections) await conn.close();
  });

  // At 8, the concurrency the exactly-once design was specified at, and at the default the worker now runs with.
  const concurrencies = [...new Set([8, DEFAULT_ANALYTICS_CONCURRENCY])];

  it.each(concurrencies)('200 events delivered twice, shuffled, to two workers at concurrency %i each: the rollups of a single pass', async (concurrency) => {
    const [first, second] = await freshDatabase(2);
    const events = manyEvents(200, '2023-03-01T00:00:00Z');
    const deps = { connection: { url: process.env.REDIS_URL!, maxRetriesPerRequest: null }, prefix: `test-${prefix}c${concurrency}`, logger: createLogger('analytics-test', 'error') };
    const queue: Queue = openQueue(analyticsEventsQueue, deps).queue;
    const workers: Worker[] = [createAnalyticsWorker(first, deps, concurrency), createAnalyticsWorker(second, deps, concurrency)];
    try {
      expect(workers.map((w) => w.opts.concurrency)).toEqual([concurrency, concurrency]);
      const deliveries = seededShuffle([...events.map((e) => ({ e, jobId: `${e.eventId}-1` })), ...events.map((e) => ({ e, jobId: `${e.eventId}-2` }))], 42);
      await queue.addBulk(deliveries.map(({ e, jobId }) => ({ name: analyticsEventsQueue.jobName, data: e, opts: { jobId } })));
      await waitFor('400 analytics jobs', async () => {
        const c = await queue.getJobCounts('completed', 'failed');
        if (c.failed) throw new Error(`jobs failed: ${JSON.stringify((await queue.getFailed()).map((j) => j.failedReason))}`);
        return c.completed === 400;
      }, 120_000);
      expect(await rollupsIn(first)).toEqual(expectedRollups(events));
      const outcomes = (await queue.getCompleted(0, -1)).map((j) => j.returnvalue);
      expect(outcomes.filter((o) => o === 'applied')).toHaveLength(200);
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(200);
      const markers = await first.appliedEvents.find({}, { state: 1, duplicates: 1 }).lean();
      expect(markers).toHaveLength(200);
      expect(markers.every((mk) => mk.state === 'done' && mk.duplicates === 1)).toBe(true);
      expect(await pendingIds(first)).toEqual([]);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }, 180_000);

  it('applies an event delivered to 8 workers at the same instant once; the others suppress it or retry', async () => {
    const [a, b] = await freshDatabase(2);
    const [event] = manyEvents(1, '2023-06-01T00:00:00Z');
    const settled = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => applyAnalyticsEvent(i % 2 ? a : b, event)));
    const outcomes = settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason instanceof EventInProgressError ? 'retry later' : String(s.reason)));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.every((o) => ['applied', 'duplicate', 'retry later'].includes(o))).toBe(true);
    // The retries BullMQ would make find the event done.
    for (const o of outcomes.filter((x) => x === 'retry later')) expect(await applyAnalyticsEvent(a, event)).toBe('duplicate');
    expect(await rollupsIn(a)).toEqual(expectedRollups([event]));
    expect(await pendingIds(a)).toEqual([]);
  });

  it('the sweep finishes an event a worker left half-applied, counting each part once', async () => {
    const [m] = await freshDatabase();
    const [event] = manyEvents(1, '2023-07-01T00:00:00Z');
    expect(planIncrements(event)).toHaveLength(5);
    await crashedMidway(m, event, 2);
    expect(await sweepUnfinished(m)).toEqual({ resumed: 1, released: 0, failed: [] });
    expect(await rollupsIn(m)).toEqual(expectedRollups([event]));
    expect(await m.appliedEvents.findById(event.eventId).lean()).toMatchObject({ state: 'done' });
    expect(await pendingIds(m)).toEqual([]);
    // Again, and then the job's own retry: nothing more changes.
    expect(await sweepUnfinished(m)).toEqual({ resumed: 0, released: 0, failed: [] });
    expect(await applyAnalyticsEvent(m, event)).toBe('duplicate');
    expect(await rollupsIn(m)).toEqual(expectedRollups([event]));
  });

  it('a redelivery also finishes a half-applied event once its claim has run out', async () => {
    const [m] = await freshDatabase();
    const [event] = manyEvents(1, '2023-07-02T00:00:00Z');
    await crashedMidway(m, event, 3);
    expect(await applyAnalyticsEvent(m, event)).toBe('resumed');
    expect(await rollupsIn(m)).toEqual(expectedRollups([event]));
    expect(await pendingIds(m)).toEqual([]);
  });

  it('the sweep releases the ids a worker left after marking its event done, and leaves events in flight alone', async () => {
    const [m] = await freshDatabase();
    const [done, inFlight] = manyEvents(2, '2023-08-01T00:00:00Z');
    await crashedMidway(m, done, 5, 'done');
    await crashedMidway(m, inFlight, 1);
    await m.appliedEvents.updateOne({ _id: inFlight.eventId }, { $set: { claimedUntil: new Date(Date.now() + 60_000) } });
    expect(await sweepUnfinished(m)).toEqual({ resumed: 0, released: 1, failed: [] });
    expect(await pendingIds(m)).toEqual([inFlight.eventId]);
    const counted = await rollupsIn(m);
    await expect(applyAnalyticsEvent(m, inFlight)).rejects.toThrow(EventInProgressError);
    expect(await rollupsIn(m)).toEqual(counted);
  });

  it('a worker whose claim was taken over can neither finish nor release the event: the new holder counts it once', async () => {
    const [m] = await freshDatabase();
    const [event] = manyEvents(1, '2023-09-01T00:00:00Z');
    // The stalled worker sent all its increments, then paused past its claim; another worker takes the event over.
    await crashedMidway(m, event, 5);
    const stalled = { _id: event.eventId, targets: planIncrements(event), claim: 'dead-worker', claimedUntil: new Date(Date.now() + 60_000) };
    const taker = await claimStaleMarker(m, new Date());
    expect(taker).toMatchObject({ _id: event.eventId });
    expect(await claimStaleMarker(m, new Date())).toBeNull();
    await expect(finishEvent(m, stalled)).rejects.toThrow('taken over');
    expect(await pendingIds(m)).toHaveLength(5);
    await finishEvent(m, taker!);
    expect(await rollupsIn(m)).toEqual(expectedRollups([event]));
    expect(await pendingIds(m)).toEqual([]);
  });
});
