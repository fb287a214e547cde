import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '../../lib/errors';
import type { AnalyticsEvent } from '../../lib/queues';
import type { AnalyticsModels, AppliedEventDoc } from './model';
import { incrementsOf, planIncrements, type RollupKind, type RollupTarget } from './plan';

/**
 * Applies one analytics event to the rollups exactly once, whatever is redelivered, reordered or
 * cut off by a crash (the argument is in docs/analytics.md, "Idempotency"):
 *
 * 1. Insert the marker {_id: eventId, targets (the planned $inc's), state: applying, lease}.
 *    A duplicate key means the event was seen before: done → suppressed; unfinished → resume it
 *    once its lease has run out (a crashed worker's), else retry later.
 * 2. For each target, one atomic upsert: `$inc` + `$push pending: eventId`, matched only while
 *    the document's `pending` does not hold the event id. A retry can therefore never add the
 *    same event to the same document twice, and it needs no per-document history of all events.
 * 3. Flip the marker to applied (only while we still hold the lease: the fence against a
 *    taken-over worker), then `$pull` the event id from each document's `pending`, then mark done.
 *    A retry after step 3 started only repeats the (idempotent) pulls, never an $inc.
 *
 * `pending` stays tiny: it holds only events in flight at this moment (or whose worker crashed
 * and whose lease has not yet run out).
 */
export const LEASE_MS = 60_000;

export type ApplyOutcome = 'applied' | 'resumed' | 'duplicate';

/** Another worker holds this event's lease; BullMQ retries the job later (by then it is done). */
export class EventInProgressError extends Error {
  constructor(eventId: string) {
    super(`analytics event ${eventId} is being applied by another worker`);
  }
}

export function rollupModel(m: AnalyticsModels, kind: RollupKind): Model<any> {
  return kind === 'period' ? m.periods : kind === 'periodProducts' ? m.periodProducts : m.customers;
}

export async function applyAnalyticsEvent(m: AnalyticsModels, event: AnalyticsEvent, now = new Date()): Promise<ApplyOutcome> {
  const marker = {
    _id: event.eventId,
    kind: event.kind,
    orderId: event.orderId,
    paymentId: event.paymentId,
    customerId: event.customerId,
    currency: event.currency,
    totalCents: event.totalCents,
    refundCents: event.refundCents,
    occurredAt: new Date(event.occurredAt),
    targets: planIncrements(event),
    state: 'applying' as const,
    lease: randomUUID(),
    leaseUntil: new Date(now.getTime() + LEASE_MS),
    duplicates: 0,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await m.appliedEvents.collection.insertOne(marker as never);
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    return resumeOrSuppress(m, event.eventId);
  }
  await finishEvent(m, marker);
  return 'applied';
}

type Marker = Pick<AppliedEventDoc, '_id' | 'targets' | 'state'> & { lease?: string };

async function resumeOrSuppress(m: AnalyticsModels, eventId: string): Promise<ApplyOutcome> {
  const existing = await m.appliedEvents.collection.findOne({ _id: eventId as never });
  if (existing?.state === 'done') {
    await m.appliedEvents.collection.updateOne({ _id: eventId as never }, { $inc: { duplicates: 1 } });
    return 'duplicate';
  }
  const claimed = await claimLease(m, eventId);
  if (!claimed) throw new EventInProgressError(eventId);
  await finishEvent(m, claimed);
  return 'resumed';
}

/** Take over an unfinished event whose lease has run out; null if someone holds it (or it is done). */
async function claimLease(m: AnalyticsModels, eventId: string, now = new Date()): Promise<Marker | null> {
  const lease = randomUUID();
  const res = await m.appliedEvents.collection.updateOne(
    { _id: eventId as never, state: { $ne: 'done' }, leaseUntil: { $lte: now } },
    { $set: { lease, leaseUntil: new Date(now.getTime() + LEASE_MS), updatedAt: now } },
  );
  if (res.matchedCount === 0) return null;
  const doc = await m.appliedEvents.collection.findOne({ _id: eventId as never });
  return doc && doc.lease === lease ? (doc as unknown as Marker) : null;
}

async function finishEvent(m: AnalyticsModels, marker: Marker): Promise<void> {
  const eventId = marker._id;
  if (marker.state === 'applying') {
    await Promise.all(marker.targets.map((t) => incrementOnce(rollupModel(m, t.kind), t, eventId)));
    // Checked on a read by `_id`, then written by `_id` alone: FerretDB uses its `_id` fast path only
    // for a filter that is exactly `{_id}`, and this collection grows with every event.
    const current = await m.appliedEvents.collection.findOne({ _id: eventId as never });
    if (current?.state !== 'applying' || current.lease !== marker.lease) throw new EventInProgressError(eventId);
    await m.appliedEvents.collection.updateOne({ _id: eventId as never }, { $set: { state: 'applied', updatedAt: new Date() } });
  }
  await Promise.all(marker.targets.map((t) => rollupModel(m, t.kind).collection.updateOne({ _id: t.key as never }, { $pull: { pending: eventId } as never })));
  await m.appliedEvents.collection.updateOne({ _id: eventId as never }, { $set: { state: 'done', updatedAt: new Date() } });
}

/**
 * $inc a rollup document for this event unless the document already holds it in `pending`.
 * The check reads by `_id` and the write filters on `_id` alone (FerretDB's fast path); one
 * worker applies a given event at a time (its lease), so check-then-write is safe, and the $inc
 * itself stays atomic on MongoDB when distinct events touch the same document concurrently.
 */
async function incrementOnce(model: Model<any>, target: RollupTarget, eventId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const doc = await model.collection.findOne({ _id: target.key as never }, { projection: { pending: 1 } });
    if ((doc?.pending as string[] | undefined)?.includes(eventId)) return;
    try {
      await model.collection.updateOne({ _id: target.key as never }, { $inc: incrementsOf(target), $push: { pending: eventId } as never, $setOnInsert: target.meta }, { upsert: true });
      return;
    } catch (err) {
      // Another event created the document an instant before us: look again.
      if (!isDuplicateKeyError(err) || attempt >= 5) throw err;
    }
  }
}

/** Finish events whose worker died mid-way (lease run out): run at worker start and periodically. */
export async function resumeUnfinished(m: AnalyticsModels, limit = 100): Promise<number> {
  const stuck = await m.appliedEvents.collection.find({ state: { $ne: 'done' }, leaseUntil: { $lte: new Date() } }, { projection: { _id: 1 } }).limit(limit).toArray();
  let resumed = 0;
  for (const { _id } of stuck) {
    const claimed = await claimLease(m, String(_id));
    if (!claimed) continue;
    await finishEvent(m, claimed);
    resumed++;
  }
  return resumed;
}
