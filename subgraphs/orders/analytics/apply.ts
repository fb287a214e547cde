import { randomUUID } from 'node:crypto';
import { isDuplicateKeyError } from '../../lib/errors';
import type { AnalyticsEvent } from '../../lib/queues';
import type { AnalyticsModels, AppliedEventDoc } from './model';
import { planIncrements } from './plan';
import { incrementTargets, releasePending } from './rollup-writes';

/**
 * Applies one analytics event to the rollups exactly once, whatever is redelivered, duplicated
 * concurrently or cut off by a crash (the proof is in docs/analytics.md, "Idempotency"). Four
 * round trips when all goes well:
 *
 * 1. Insert the marker {_id: eventId, targets (the planned $inc's), state: applying, claim}. A
 *    duplicate key means the event was seen before: done → suppressed; applying → resumed once its
 *    claim has run out (its worker died), else retried later (its worker is on it).
 * 2. The increments (rollup-writes.ts): each target `$inc`'d and marked with the event id in its
 *    `pending`, atomically, unless it already holds the id.
 * 3. Flip the marker to done, only while we still hold the claim: the fence that stops a worker
 *    whose claim was taken over from finishing (and releasing) an event someone else now owns.
 * 4. Pull the event id from the targets' `pending`. A crash before this leaves ids of done events
 *    behind; the sweep (sweep.ts) pulls them.
 */
export const CLAIM_MS = 60_000;

export type ApplyOutcome = 'applied' | 'resumed' | 'duplicate';

/** Another worker holds this event's claim (or took it from us); BullMQ retries the job later (by then it is done). */
export class EventInProgressError extends Error {
  constructor(eventId: string, why = 'is being applied by another worker') {
    super(`analytics event ${eventId} ${why}`);
  }
}

/** What a worker needs to finish an event it holds the claim of. */
export type ClaimedMarker = Pick<AppliedEventDoc, '_id' | 'targets' | 'claim' | 'claimedUntil'>;

function newMarker(event: AnalyticsEvent, now: Date): AppliedEventDoc {
  return {
    _id: event.eventId,
    kind: event.kind,
    orderId: event.orderId,
    paymentId: event.paymentId,
    customerId: event.customerId,
    currency: event.currency,
    amountCents: event.amountCents,
    refundCents: event.refundCents,
    occurredAt: new Date(event.occurredAt),
    targets: planIncrements(event),
    state: 'applying',
    claim: randomUUID(),
    claimedUntil: new Date(now.getTime() + CLAIM_MS),
    duplicates: 0,
    createdAt: now,
    updatedAt: now,
  };
}

export async function applyAnalyticsEvent(m: AnalyticsModels, event: AnalyticsEvent, now = new Date()): Promise<ApplyOutcome> {
  const marker = newMarker(event, now);
  try {
    await m.appliedEvents.collection.insertOne(marker as never);
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    return seenBefore(m, event.eventId, now);
  }
  await finishEvent(m, marker);
  return 'applied';
}

async function seenBefore(m: AnalyticsModels, eventId: string, now: Date): Promise<ApplyOutcome> {
  const done = await m.appliedEvents.collection.updateOne({ _id: eventId as never, state: 'done' }, { $inc: { duplicates: 1 } });
  if (done.matchedCount) return 'duplicate';
  const claimed = await claimStaleMarker(m, now, eventId);
  if (!claimed) throw new EventInProgressError(eventId);
  await finishEvent(m, claimed);
  return 'resumed';
}

/**
 * Takes over an unfinished marker whose claim has run out (its worker died or stalled): the given
 * event's, or any (the sweep). One atomic findOneAndUpdate, so two takers never both win.
 */
export async function claimStaleMarker(m: AnalyticsModels, now: Date, eventId?: string): Promise<ClaimedMarker | null> {
  const doc = await m.appliedEvents.collection.findOneAndUpdate(
    { ...(eventId ? { _id: eventId as never } : {}), state: 'applying', claimedUntil: { $lte: now } },
    { $set: { claim: randomUUID(), claimedUntil: new Date(now.getTime() + CLAIM_MS), updatedAt: now } },
    { returnDocument: 'after', projection: { targets: 1, claim: 1, claimedUntil: 1 } },
  );
  return doc as unknown as ClaimedMarker | null;
}

/** Steps 2–4 for a marker we hold the claim of (fresh, or taken over from a dead worker). */
export async function finishEvent(m: AnalyticsModels, marker: ClaimedMarker): Promise<void> {
  // The flip below fences a worker that lost its claim, but not its increments already on the way:
  // so increments are only sent while half the claim is still left (a paused worker gives up here).
  if (Date.now() > marker.claimedUntil.getTime() - CLAIM_MS / 2) throw new EventInProgressError(marker._id, 'was not applied: our claim on it is running out');
  await incrementTargets(m, marker._id, marker.targets);
  const flipped = await m.appliedEvents.collection.updateOne(
    { _id: marker._id as never, state: 'applying', claim: marker.claim },
    { $set: { state: 'done', updatedAt: new Date() } },
  );
  // Our claim ran out and someone took the event over: it is theirs to finish and release.
  if (!flipped.matchedCount) throw new EventInProgressError(marker._id, 'was taken over by another worker');
  await releasePending(m, marker._id, marker.targets);
}
