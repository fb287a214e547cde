/**
 * bench:analytics: the proof that the bulk seed (analytics-data.ts) writes exactly what the worker
 * writes. One sample of events is applied through applyAnalyticsEvent (the function the analytics
 * worker runs per job, with the worker's concurrency; timed: the write path's events/s and database
 * commands per event) into one database, and folded and bulk-written into another. Every rollup
 * document of the two must be equal, field for field and BSON type for type (key order aside), or
 * the bench stops.
 */
import type mongoose from 'mongoose';
import type { AnalyticsEvent } from '../../subgraphs/lib/queues';
import { ensureIndexes } from '../../subgraphs/lib/mongo';
import { allAnalyticsModels, analyticsModels, rollupModels, type AnalyticsModels } from '../../subgraphs/orders/analytics/model';
import { applyAnalyticsEvent } from '../../subgraphs/orders/analytics/apply';
import { RollupFold } from './analytics-data';

export interface ApplyFigures {
  applyEvents: number;
  applyConcurrency: number;
  applyEventsPerSecond: number;
  applyCommandsPerEvent: number;
  /** Rollup documents found equal in both databases. */
  proofDocuments: number;
}

async function freshModels(conn: mongoose.Connection, dbName: string): Promise<AnalyticsModels> {
  const db = conn.useDb(dbName, { useCache: false });
  await db.dropDatabase();
  const models = analyticsModels(db);
  await ensureIndexes(allAnalyticsModels(models));
  return models;
}

/** The events applied by `concurrency` appliers pulling from one list, as one worker process would. */
async function applyAll(models: AnalyticsModels, events: AnalyticsEvent[], concurrency: number, client: mongoose.mongo.MongoClient) {
  let commands = 0;
  const count = () => commands++;
  client.on('commandStarted', count);
  const started = process.hrtime.bigint();
  let next = 0;
  try {
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < events.length) {
        const outcome = await applyAnalyticsEvent(models, events[next++]);
        if (outcome !== 'applied') throw new Error(`proof: an event was ${outcome}, not applied`);
      }
    }));
  } finally {
    client.off('commandStarted', count);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { eventsPerSecond: Math.round(events.length / seconds), commandsPerEvent: Math.round((commands / events.length) * 100) / 100 };
}

/** A stored value with its BSON type spelled out (promoteValues: false keeps Int32/Double/Long wrappers) and keys sorted. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const bsonType = (value as { _bsontype?: string })._bsontype;
    if (bsonType) return `${bsonType}(${String(value)})`;
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

async function storedRollups(models: AnalyticsModels): Promise<Map<string, string>> {
  const docs = new Map<string, string>();
  for (const model of rollupModels(models)) {
    const found = await model.collection.find({}, { promoteValues: false }).toArray();
    for (const d of found) docs.set(`${model.collection.collectionName}/${String(d._id)}`, JSON.stringify(canonical(d)));
  }
  return docs;
}

/** Throws, naming the first few differences, unless both databases hold the same rollup documents. */
function assertSame(applied: Map<string, string>, bulk: Map<string, string>): void {
  const differences: string[] = [];
  for (const key of new Set([...applied.keys(), ...bulk.keys()])) {
    if (applied.get(key) !== bulk.get(key)) differences.push(`${key}\n  apply path: ${applied.get(key) ?? '(missing)'}\n  bulk seed:  ${bulk.get(key) ?? '(missing)'}`);
  }
  if (differences.length) throw new Error(`bulk-seeded rollups differ from the apply path's in ${differences.length} documents:\n${differences.slice(0, 3).join('\n')}`);
}

export async function proveBulkSeed(conn: mongoose.Connection, sample: AnalyticsEvent[], concurrency: number): Promise<ApplyFigures> {
  const applied = await freshModels(conn, `${conn.name}_proof_applied`);
  const bulk = await freshModels(conn, `${conn.name}_proof_bulk`);
  try {
    const speed = await applyAll(applied, sample, concurrency, conn.getClient());
    const fold = new RollupFold();
    for (const e of sample) fold.add(e);
    await fold.write(bulk);
    const [a, b] = [await storedRollups(applied), await storedRollups(bulk)];
    assertSame(a, b);
    return { applyEvents: sample.length, applyConcurrency: concurrency, applyEventsPerSecond: speed.eventsPerSecond, applyCommandsPerEvent: speed.commandsPerEvent, proofDocuments: a.size };
  } finally {
    await applied.periods.db.dropDatabase();
    await bulk.periods.db.dropDatabase();
  }
}
