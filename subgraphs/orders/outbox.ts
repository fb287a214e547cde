import type { Queue } from 'bullmq';
import type { Model } from 'mongoose';
import type { Logger } from '../lib/logger';
import type { QueueName } from '../lib/queues';
import type { OrderDoc, OutboxEntry } from './model';
import { withOrderLock } from './order-lock';

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

/** Publish every pending entry, in order; throws (so a job retries) if any publish fails. */
export async function publishOutbox(orders: Model<OrderDoc>, queues: OutboxQueues, order: OutboxView): Promise<number> {
  let published = 0;
  for (const entry of pendingEntries(order)) {
    const queue = queues[entry.queue];
    if (!queue) throw new Error(`no queue ${entry.queue} to publish outbox entry ${entry.id}`);
    await queue.add(entry.name, JSON.parse(entry.payload), { jobId: entry.id });
    // Under the order's lease, and only if not yet done: the counter moves once per entry even if
    // two relays race, and never overwrites a concurrent status change.
    await withOrderLock(orders, order._id, async () => {
      const now = await orders.findById(order._id).lean<OrderDoc>();
      if (!now || now.outboxDone?.includes(entry.id)) return;
      await orders.updateOne({ _id: order._id }, { $addToSet: { outboxDone: entry.id }, $inc: { outboxPending: -1 } });
    });
    published += 1;
  }
  return published;
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
    .find({ outboxPending: { $gt: 0 }, updatedAt: { $lt: before } })
    .sort({ updatedAt: 1 })
    .limit(opts.batch ?? 100)
    .lean<OrderDoc[]>();
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
