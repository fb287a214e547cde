import { mongo, type Model } from 'mongoose';
import { rollupModel, type AnalyticsModels } from './model';
import { incrementsOf, type RollupTarget } from './plan';

/**
 * The two writes an event makes to the rollup documents, each ONE unordered bulkWrite per rollup
 * collection (the collections in parallel). The proof that they count each event once is in
 * docs/analytics.md, "Idempotency".
 */
type RollupOp = mongo.AnyBulkWriteOperation<{ _id: string }>;
type Rollups = mongo.Collection<{ _id: string }>;

/** The targets grouped by the collection they live in (an event touches 1 to 3 collections). */
function byCollection(m: AnalyticsModels, targets: RollupTarget[]): Array<[Rollups, RollupTarget[]]> {
  const groups = new Map<Model<any>, RollupTarget[]>();
  for (const t of targets) {
    const model = rollupModel(m, t.kind);
    groups.set(model, [...(groups.get(model) ?? []), t]);
  }
  return [...groups].map(([model, ts]) => [model.collection as unknown as Rollups, ts]);
}

/**
 * `$inc` the target and note the event in its `pending`, in one single-document write that
 * matches only while `pending` does not hold the event yet: a repeat changes nothing.
 */
function incrementOp(target: RollupTarget, eventId: string, upsert: boolean): RollupOp {
  return {
    updateOne: {
      filter: { _id: target.key, pending: { $ne: eventId } },
      update: { $inc: incrementsOf(target), $push: { pending: eventId }, $setOnInsert: target.meta },
      upsert,
    },
  };
}

/** Adds the event's increments to every target document that does not already hold it. */
export async function incrementTargets(m: AnalyticsModels, eventId: string, targets: RollupTarget[]): Promise<void> {
  await Promise.all(byCollection(m, targets).map(([rollups, ts]) => incrementIn(rollups, eventId, ts)));
}

async function incrementIn(rollups: Rollups, eventId: string, targets: RollupTarget[]): Promise<void> {
  const refused = await duplicateKeyRefusals(rollups, targets.map((t) => incrementOp(t, eventId, true)));
  if (!refused.length) return;
  // E11000 proves the document exists and our filter did not match it when the upsert ran: either it
  // already holds the event (a resumed event: nothing to do) or another event's upsert created it an
  // instant before ours (MongoDB retries an upsert's insert by itself only when the filter is pure
  // equality). The same update without upsert settles which, atomically: it matches only if the event
  // is not in the document yet.
  await rollups.bulkWrite(
    refused.map((i) => incrementOp(targets[i], eventId, false)),
    { ordered: false },
  );
}

/** Runs the ops unordered and returns the indexes of those refused with E11000; any other failure is thrown. */
async function duplicateKeyRefusals(rollups: Rollups, ops: RollupOp[]): Promise<number[]> {
  try {
    await rollups.bulkWrite(ops, { ordered: false });
    return [];
  } catch (err) {
    if (!(err instanceof mongo.MongoBulkWriteError) || err.writeConcernError) throw err;
    const refusals = [err.writeErrors].flat();
    if (!refusals.length || refusals.some((e) => e.code !== 11000)) throw err;
    return refusals.map((e) => e.index);
  }
}

/** Pulls a finished event's id from the `pending` of the documents it touched. */
export async function releasePending(m: AnalyticsModels, eventId: string, targets: RollupTarget[]): Promise<void> {
  await Promise.all(
    byCollection(m, targets).map(([rollups, ts]) =>
      rollups.bulkWrite(
        ts.map((t): RollupOp => ({ updateOne: { filter: { _id: t.key, pending: eventId }, update: { $pull: { pending: eventId } } } })),
        { ordered: false },
      ),
    ),
  );
}
