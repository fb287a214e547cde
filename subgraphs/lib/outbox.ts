import type { Redis } from 'ioredis';
import { Schema, type Model } from 'mongoose';
import type { Logger } from './logger';
import { runEvery } from './periodic';
import type { QueueDefinition, TypedQueue } from './queues';
import type { z } from 'zod';

/**
 * The transactional outbox, one implementation for every domain (payments, orders). A state change
 * and the messages it causes are written in ONE single-document update: the entries go into the
 * document's `outbox` and `outboxPending` counts them. Publishing happens afterwards, under each
 * entry's deterministic job id (adding an existing job id is a no-op), and only then is the entry
 * recorded in `outboxDone`. A crash or a Redis outage between the write and the publish leaves the
 * entry pending, and the relay (or the job's retry) publishes it later: nothing lost, nothing doubled.
 */
export interface OutboxEntry {
  /** The BullMQ job id: deterministic, so publishing twice is one job. */
  id: string;
  /** The queue definition's name. */
  queue: string;
  /** The validated payload as JSON (a string, so no payload key ever becomes a stored key). */
  payload: string;
}

export interface OutboxFields {
  _id: string;
  /** Every message this document ever owed, in order (history). */
  outbox: OutboxEntry[];
  /** Ids of entries already published. */
  outboxDone: string[];
  /** outbox.length - outboxDone.length, kept by $inc so the relay finds unfinished documents by index. */
  outboxPending: number;
  updatedAt?: Date;
}

/** The Mongoose fields of an outbox, to spread into a document's schema; index it with outboxIndex(). */
export const outboxSchemaFields = {
  outbox: { type: [new Schema<OutboxEntry>({ id: String, queue: String, payload: String }, { _id: false })], default: [] },
  outboxDone: { type: [String], default: [] },
  outboxPending: { type: Number, default: 0 },
};

/** The relay's query: `{outboxPending: {$gt: 0}, updatedAt: {$lt}}` sorted by updatedAt. */
export function outboxIndex(schema: Schema): void {
  schema.index({ outboxPending: 1, updatedAt: 1 });
}

/** An entry for `definition`, validated now and keyed by the definition's job id. */
export function outboxEntry<S extends QueueDefinition['schema']>(definition: QueueDefinition<S>, payload: z.input<S>): OutboxEntry {
  const data = definition.schema.parse(payload);
  return { id: definition.jobId(data), queue: definition.name, payload: JSON.stringify(data) };
}

/** The part of an update that adds entries: goes into the same update as the change that causes them. */
export function addToOutbox(entries: OutboxEntry[]): { $push: { outbox: { $each: OutboxEntry[] } }; $inc: { outboxPending: number } } | Record<string, never> {
  return entries.length ? { $push: { outbox: { $each: entries } }, $inc: { outboxPending: entries.length } } : {};
}

type OutboxView = Pick<OutboxFields, '_id' | 'outbox' | 'outboxDone'>;

export function pendingEntries(doc: OutboxView): OutboxEntry[] {
  const done = new Set(doc.outboxDone ?? []);
  return (doc.outbox ?? []).filter((e) => !done.has(e.id));
}

/** Puts one entry on its queue; throws when it cannot (the entry stays pending). */
export interface OutboxPublisher {
  publish(entry: OutboxEntry): Promise<void>;
}

/**
 * Publishes entries onto the given queues. Payloads are not parsed with zod again here: every
 * entry was validated when outboxEntry() made it, and the consuming worker validates every job at
 * its edge (an invalid one fails at once, visibly, on a money queue alerted on), so a third parse
 * per message bought nothing.
 * With `redis`, fails fast while it is not connected, and gives up after `timeoutMs`: a request
 * path never hangs on Redis (the relay finishes the work).
 */
export function queuesPublisher(queues: TypedQueue[], opts: { redis?: Redis; timeoutMs?: number } = {}): OutboxPublisher {
  const byName = new Map(queues.map((q) => [q.definition.name, q]));
  return {
    async publish(entry) {
      const target = byName.get(entry.queue);
      if (!target) throw new Error(`no queue ${entry.queue} open to publish outbox entry ${entry.id}`);
      if (opts.redis && opts.redis.status !== 'ready') throw new Error(`Redis not connected (${opts.redis.status})`);
      const data: unknown = JSON.parse(entry.payload);
      await withTimeout(target.queue.add(target.definition.jobName, data, { jobId: entry.id }), opts.timeoutMs ?? 5_000);
    },
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`publishing took over ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

// The outbox fields are the same on every model; its own fields do not matter here.
type AnyOutboxModel = Model<any>;

/**
 * Publishes every pending entry, in order, then records the published ones as done; throws (so a
 * job retries) if a publish fails, after recording those that made it.
 */
export async function publishOutbox(model: AnyOutboxModel, publisher: OutboxPublisher, doc: OutboxView): Promise<number> {
  const published: string[] = [];
  try {
    for (const entry of pendingEntries(doc)) {
      await publisher.publish(entry);
      published.push(entry.id);
    }
  } finally {
    if (published.length) await markPublished(model, doc._id, published);
  }
  return published.length;
}

/**
 * Records entries as published. Each write matches only while its ids are not yet in outboxDone
 * and adds them in the same write, so however many relays race, the counter moves once per entry
 * (never below zero); it touches no other field, so it never undoes a concurrent change. Usually
 * none is marked yet: one write for all; if a racing relay marked some first, each is marked alone.
 */
export async function markPublished(model: AnyOutboxModel, id: string, entryIds: string[]): Promise<void> {
  if (entryIds.length > 1) {
    const all = await model.updateOne({ _id: id, outboxDone: { $nin: entryIds } }, { $push: { outboxDone: { $each: entryIds } }, $inc: { outboxPending: -entryIds.length } });
    if (all.matchedCount === 1) return;
  }
  for (const entryId of entryIds) await model.updateOne({ _id: id, outboxDone: { $ne: entryId } }, { $push: { outboxDone: entryId }, $inc: { outboxPending: -1 } });
}

/** Publishes without letting a failure reach the caller (a request path): the relay finishes the work. */
export async function publishOutboxSoon(model: AnyOutboxModel, publisher: OutboxPublisher, doc: OutboxView, logger: Logger): Promise<number> {
  try {
    return await publishOutbox(model, publisher, doc);
  } catch (err) {
    logger.warn('outbox publish deferred to the relay', { id: doc._id, collection: model.collection.collectionName, error: String(err) });
    return 0;
  }
}

/**
 * One relay pass: documents with pending entries not touched for `minAgeMs` (so it does not race
 * the writer that is publishing right now; racing would be harmless anyway).
 */
export async function relayOutboxOnce(model: AnyOutboxModel, publisher: OutboxPublisher, logger: Logger, opts: { minAgeMs?: number; batch?: number } = {}): Promise<number> {
  const before = new Date(Date.now() - (opts.minAgeMs ?? 2000));
  const stuck = await model
    .find({ outboxPending: { $gt: 0 }, updatedAt: { $lt: before } }, { outbox: 1, outboxDone: 1 })
    .sort({ updatedAt: 1 })
    .limit(opts.batch ?? 100)
    .lean<OutboxView[]>();
  let published = 0;
  for (const doc of stuck) {
    try {
      published += await publishOutbox(model, publisher, doc);
    } catch (err) {
      logger.warn('outbox relay could not publish', { id: doc._id, collection: model.collection.collectionName, error: String(err) });
      break; // Redis is likely down: try again next pass.
    }
  }
  if (published) logger.info('outbox relay published', { collection: model.collection.collectionName, published });
  return published;
}

/** Runs relayOutboxOnce every `intervalMs` until stopped; a pass still running makes the next one skip. */
export function startOutboxRelay(model: AnyOutboxModel, publisher: OutboxPublisher, logger: Logger, opts: { intervalMs?: number; minAgeMs?: number } = {}): { stop(): Promise<void> } {
  const relay = runEvery(opts.intervalMs ?? 3000, () =>
    relayOutboxOnce(model, publisher, logger, { minAgeMs: opts.minAgeMs }).catch((err) => logger.warn('outbox relay failed', { error: String(err) })),
  );
  return { stop: relay.stop };
}
