import { claimStaleMarker, finishEvent } from './apply';
import { rollupModels, type AnalyticsModels } from './model';

/**
 * Finishes what stopped workers left, from the stored documents alone (run by every analytics
 * worker at start and every SWEEP_INTERVAL_MS; safe to run anywhere, any number of times):
 * - markers still `applying` whose claim ran out: taken over and finished (skipping the targets
 *   that already hold the event), so even a job that exhausted its retries is counted once;
 * - ids of `done` events left in a rollup's `pending` (a crash between the flip and the pulls):
 *   pulled. Ids of events still applying are left alone.
 */
export interface SweepResult {
  resumed: number;
  released: number;
  /** Events whose finishing failed this time (retried by a later sweep once their new claim runs out). */
  failed: string[];
}

export async function sweepUnfinished(m: AnalyticsModels, limit = 100): Promise<SweepResult> {
  const { resumed, failed } = await resumeStaleEvents(m, limit);
  return { resumed, failed, released: await releaseFinishedEvents(m, limit) };
}

async function resumeStaleEvents(m: AnalyticsModels, limit: number): Promise<{ resumed: number; failed: string[] }> {
  let resumed = 0;
  const failed: string[] = [];
  for (let i = 0; i < limit; i++) {
    // Each claim gives the marker a fresh claimedUntil, so the loop never meets the same one twice.
    const marker = await claimStaleMarker(m, new Date());
    if (!marker) break;
    try {
      await finishEvent(m, marker);
      resumed++;
    } catch {
      failed.push(marker._id);
    }
  }
  return { resumed, failed };
}

/** Pulls the ids of done events from the `pending` of the rollup documents that still hold them. */
async function releaseFinishedEvents(m: AnalyticsModels, limit: number): Promise<number> {
  const collections = rollupModels(m).map((model) => model.collection);
  const holders = await Promise.all(
    collections.map((c) => c.find({ pending: { $type: 'string' } }, { projection: { pending: 1 } }).limit(limit).toArray()),
  );
  const ids = [...new Set(holders.flat().flatMap((d) => d.pending as string[]))];
  if (!ids.length) return 0;
  const markers = await m.appliedEvents.collection.find({ _id: { $in: ids as never[] }, state: 'done' }, { projection: { _id: 1 } }).toArray();
  const done = new Set(markers.map((d) => String(d._id)));
  await Promise.all(
    collections.map((c, i) => {
      const pulls = holders[i]
        .map((d) => ({ _id: d._id, finished: (d.pending as string[]).filter((id) => done.has(id)) }))
        .filter((d) => d.finished.length)
        .map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $pull: { pending: { $in: d.finished } } } } }));
      return pulls.length ? c.bulkWrite(pulls as never[], { ordered: false }) : undefined;
    }),
  );
  return done.size;
}
