import type { Queue } from 'bullmq';
import type { Model } from 'mongoose';
import type { Logger } from '../lib/logger';
import type { QueueName } from '../lib/queues';
import type { OrderDoc, OutboxEntry } from './model';

/**
 * The transactional outbox on the order document. A state change and the messages it causes are
 * written in ONE single-document update; publishing happens afterwards under each entry's
 * deterministic job id (adding an existing job id is a no-op), and only then is the entry marked
 * done. A crash or Redis outage between the write and the publish leaves the entry pending, and
 * the relay sweep (or the job's retry) publishes it later: nothing lost, nothing doubled.
 */
export type OutboxQueues = Partial<Record<QueueName, Queue>>;

type OutboxView = Pick<OrderDoc, '_id' | 'outbox' | 'outboxDone'>;

export function pendingEntries(order: OutboxView): OutboxEntry[] {
  const done = new Set(order.outboxDone ?? []);
  return (order.outbox ?? []).filter((e) => !done.has(e.id));
}

/**
 * Publish every pending entry, in order, then record the published ones as done; throws (so a job
 * retries) if a publish fails, after recording those that made it.
 */
export async function publishOutbox(orders: Model<OrderDoc>, queues: OutboxQueues, order: OutboxView): Promise<number> {
  const published: string[] = [];
  try {
    for (const entry of pendingEntries(order)) {
      const queue = queues[entry.queue];
      if (!queue) throw new Error(`no queue ${entry.queue} to publish outbox entry ${entry.id}`);
      await queue.add(entry.name, JSON.parse(entry.payload), { jobId: entry.id });
      published.push(entry.id);
    }
  } finally {
    if (published.length) await markPublished(orders, order._id, published);
  }
  return published.length;
}

/**
 * Records entries as published. Each write matches only while its ids are not yet in outboxDone
 * and adds them in the same write, so however many relays race, the counter moves once per entry
 * (never below zero); it touches no other field, so it never undoes a concurrent status change.
 * Usually none is marked yet: one write for all. If a racing relay marked some first, that write
 * matches nothing and each entry is marked on its own.
 */
export async function markPublished(orders: Model<OrderDoc>, orderId: string, entryIds: string[]): Promise<void> {
  if (entryIds.length > 1) {
    const all = await orders.updateOne({ _id: orderId, outboxDone: { $nin: entryIds } }, { $push: { outboxDone: { $each: entryIds } }, $inc: { outboxPending: -entryIds.length } });
    if (all.matchedCount === 1) return;
  }
  for (const id of entryIds) await orders.updateOne({ _id: orderId, outboxDone: { $ne: id } }, { $push: { outboxDone: id }, $inc: { outboxPending: -1 } });
}

/** Publish in a request path without letting a Redis outage hang the request: the relay finishes the job. */
export async function publishOutboxSoon(orders: Model<OrderDoc>, queues: OutboxQueues, order: OutboxView, logger: Logger, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`outbox publish took over ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([publishOutbox(orders, queues, order), timeout]);
  } catch (err) {
    logger.warn('outbox publish deferred to the relay', { orderId: order._id, error: String(err) });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One relay pass: orders with pending entries not touched for `minAgeMs` (so it does not race the
 * writer that is publishing right now; racing would be harmless anyway).
 */
export async function relayOutboxOnce(orders: Model<OrderDoc>, queues: OutboxQueues, logger: Logger, opts: { minAgeMs?: number; batch?: number } = {}): Promise<number> {
  const before = new Date(Date.now() - (opts.minAgeMs ?? 2000));
  const stuck = await orders
    .find({ outboxPending: { $gt: 0 }, updatedAt: { $lt: before } }, { outbox: 1, outboxDone: 1 })
    .sort({ updatedAt: 1 })
    .limit(opts.batch ?? 100)
    .lean<OutboxView[]>();
  let published = 0;
  for (const order of stuck) {
    try {
      published += await publishOutbox(orders, queues, order);
    } catch (err) {
      logger.warn('outbox relay could not publish', { orderId: order._id, error: String(err) });
      break; // Redis is likely down: try again next sweep.
    }
  }
  if (published) logger.info('outbox relay published', { published });
  return published;
}

/** Runs relayOutboxOnce every `intervalMs` until stopped; a pass still running makes the next one skip. */
export function startOutboxRelay(orders: Model<OrderDoc>, queues: OutboxQueues, logger: Logger, intervalMs = 3000): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = relayOutboxOnce(orders, queues, logger)
      .catch((err) => logger.warn('outbox relay failed', { error: String(err) }))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
