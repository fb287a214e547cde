import mongoose, { type Connection } from 'mongoose';
import { testConfig } from './support/stack';

/**
 * What the code relies on from MongoDB, proven against whatever server this run uses (MongoDB 7,
 * or mongo-java-server here). Every write in the services is ONE single-document atomic update
 * or a unique insert; if any property below fails, the server is not fit for this code: stock,
 * orders and rollups would be silently wrong on it.
 */
const WRITERS = 50;

function unfit(property: string): string {
  return `store property "${property}" does not hold: this MongoDB-compatible server is not fit for this code`;
}

async function expectProperty(property: string, check: () => void): Promise<void> {
  try {
    check();
  } catch (err) {
    throw new Error(`${unfit(property)}\n${String(err)}`);
  }
}

describe('the MongoDB-compatible server gives the guarantees the code relies on', () => {
  let conn: Connection;
  // Untyped documents: the probe writes whatever shape each property needs.
  const coll = (name: string) => conn.db!.collection<any>(name);
  const parallel = <T>(n: number, fn: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));

  beforeAll(async () => {
    const config = testConfig();
    conn = await mongoose.createConnection(config.mongoUri, { dbName: `${config.dbPrefix}semantics`, maxPoolSize: WRITERS }).asPromise();
  });
  afterAll(async () => {
    await conn?.dropDatabase().catch(() => undefined);
    await conn?.close();
  });

  it('applies every one of 50 parallel $inc of one field', async () => {
    await coll('inc').insertOne({ _id: 'counter', n: 0, pad: 'x'.repeat(1024) });
    await parallel(WRITERS, () => coll('inc').updateOne({ _id: 'counter' }, { $inc: { n: 1 } }));
    const doc = await coll('inc').findOne({ _id: 'counter' });
    await expectProperty('parallel $inc loses no update', () => expect(doc?.n).toBe(WRITERS));
  });

  it('lets exactly 10 of 50 racing conditional decrements through when 10 are in stock', async () => {
    await coll('stock').insertOne({ _id: 'p1', stock: 10 });
    const results = await parallel(WRITERS, () => coll('stock').updateOne({ _id: 'p1', stock: { $gte: 1 } }, { $inc: { stock: -1 } }));
    const won = results.filter((r) => r.modifiedCount === 1).length;
    const doc = await coll('stock').findOne({ _id: 'p1' });
    await expectProperty('a conditional updateOne is atomic (filter and update together)', () => {
      expect(won).toBe(10);
      expect(doc?.stock).toBe(0);
    });
  });

  it('moves a state machine once when 50 findOneAndUpdate race on the expected status', async () => {
    await coll('states').insertOne({ _id: 'pay1', status: 'PENDING', winner: null });
    const results = await parallel(WRITERS, (i) =>
      coll('states').findOneAndUpdate({ _id: 'pay1', status: 'PENDING' }, { $set: { status: 'SUCCEEDED', winner: i } }, { returnDocument: 'after' }),
    );
    const winners = results.filter((r) => r !== null);
    const doc = await coll('states').findOne({ _id: 'pay1' });
    await expectProperty('a conditional findOneAndUpdate matches for one writer only', () => {
      expect(winners).toHaveLength(1);
      expect(doc?.winner).toBe(winners[0]!.winner);
    });
  });

  it('keeps all of 50 racing $push onto one array', async () => {
    await coll('push').insertOne({ _id: 'order1', history: [] });
    await parallel(WRITERS, (i) => coll('push').updateOne({ _id: 'order1' }, { $push: { history: i } } as never));
    const doc = await coll('push').findOne({ _id: 'order1' });
    await expectProperty('parallel $push keeps every element', () => expect([...(doc?.history as number[])].sort((a, b) => a - b)).toEqual(Array.from({ length: WRITERS }, (_, i) => i)));
  });

  it('admits one of 50 racing inserts of the same key into a unique index', async () => {
    await coll('unique').createIndex({ key: 1 }, { unique: true });
    const results = await Promise.allSettled(Array.from({ length: WRITERS }, (_, i) => coll('unique').insertOne({ _id: `doc-${i}`, key: 'same' })));
    const inserted = results.filter((r) => r.status === 'fulfilled').length;
    const codes = new Set(results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code?: number }).code] : [])));
    await expectProperty('a unique secondary index admits one racing insert and rejects the rest with E11000', () => {
      expect(inserted).toBe(1);
      expect([...codes]).toEqual([11000]);
    });
    const stored = await coll('unique').countDocuments({ key: 'same' });
    await expectProperty('a unique secondary index stores one document for the key', () => expect(stored).toBe(1));
  });

  it('creates one document and keeps its first $setOnInsert when 50 upserts race', async () => {
    await coll('upsert').createIndex({ eventKey: 1 }, { unique: true });
    // An upsert that loses the insert race gets E11000 on MongoDB; retrying it once then updates.
    const upsert = async (i: number) => {
      const run = () => coll('upsert').updateOne({ eventKey: 'e1' }, { $setOnInsert: { _id: `first-${i}`, first: i }, $inc: { seen: 1 } }, { upsert: true });
      try {
        return await run();
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
        return run();
      }
    };
    await parallel(WRITERS, upsert);
    const docs = await coll('upsert').find({ eventKey: 'e1' }).toArray();
    await expectProperty('an upsert under races creates one document; $setOnInsert applies once; $inc counts every writer', () => {
      expect(docs).toHaveLength(1);
      expect(docs[0]!._id).toBe(`first-${docs[0]!.first as number}`);
      expect(docs[0]!.seen).toBe(WRITERS);
    });
  });

  it('upserts many counters in one unordered bulkWrite without losing increments across 8 parallel writers', async () => {
    const ops = (i: number) => [
      { updateOne: { filter: { _id: 'day' }, update: { $inc: { orders: 1, revenue: 100 + i } }, upsert: true } },
      { updateOne: { filter: { _id: `product-${i % 4}` }, update: { $inc: { units: 1 } }, upsert: true } },
    ];
    // Upserts by _id: MongoDB (4.2+) retries a lost insert race itself, so no writer sees E11000.
    const run = (i: number) => coll('rollups').bulkWrite(ops(i), { ordered: false });
    const writers = 8;
    const each = WRITERS / 5;
    await parallel(writers, async (w) => {
      for (let k = 0; k < each; k++) await run(w * each + k);
    });
    const day = await coll('rollups').findOne({ _id: 'day' });
    const units = await coll('rollups').find({ _id: { $in: ['product-0', 'product-1', 'product-2', 'product-3'] } }).toArray();
    const n = writers * each;
    await expectProperty('bulkWrite upserts with $inc are each atomic', () => {
      expect(day?.orders).toBe(n);
      expect(day?.revenue).toBe(100 * n + (n * (n - 1)) / 2);
      expect(units.reduce((s, u) => s + (u.units as number), 0)).toBe(n);
    });
  });

  // The array writes of stock.ts (holds), lib/outbox.ts (outboxDone), customers (addresses) and the analytics `pending` lists.

  it('places a hold under one key once and ends it once when 50 writers race each ($push and $pull guarded by the array)', async () => {
    await coll('holds').insertOne({ _id: 'prod1', reserved: 0, holds: [] });
    const held = await parallel(WRITERS, (i) => coll('holds').updateOne({ _id: 'prod1', 'holds.k': { $ne: 'res1' } }, { $inc: { reserved: 2 }, $push: { holds: { k: 'res1', t: `t${i}` } } } as never));
    const afterHold = await coll('holds').findOne({ _id: 'prod1' });
    const token = afterHold?.holds[0]?.t as string;
    const ended = await parallel(WRITERS, () => coll('holds').updateOne({ _id: 'prod1', holds: { $elemMatch: { k: 'res1', t: token } } }, { $inc: { reserved: -2 }, $pull: { holds: { k: 'res1', t: token } } } as never));
    const afterEnd = await coll('holds').findOne({ _id: 'prod1' });
    await expectProperty('a $push whose filter excludes its key, and a $pull whose filter $elemMatch-es its entry, each apply once under races', () => {
      expect(held.filter((r) => r.modifiedCount === 1)).toHaveLength(1);
      expect(afterHold).toMatchObject({ reserved: 2, holds: [{ k: 'res1', t: token }] });
      expect(ended.filter((r) => r.modifiedCount === 1)).toHaveLength(1);
      expect(afterEnd).toMatchObject({ reserved: 0, holds: [] });
    });
  });

  it('records a batch of outbox entries once when 50 relays race ($push $each guarded by $nin)', async () => {
    await coll('outbox').insertOne({ _id: 'pay1', outboxDone: ['e0'], outboxPending: 2 });
    const ids = ['e1', 'e2'];
    const marked = await parallel(WRITERS, () => coll('outbox').updateOne({ _id: 'pay1', outboxDone: { $nin: ids } }, { $push: { outboxDone: { $each: ids } }, $inc: { outboxPending: -ids.length } } as never));
    const doc = await coll('outbox').findOne({ _id: 'pay1' });
    await expectProperty('$nin on an array field and $push $each apply together, once', () => {
      expect(marked.filter((r) => r.modifiedCount === 1)).toHaveLength(1);
      expect(doc).toMatchObject({ outboxDone: ['e0', 'e1', 'e2'], outboxPending: 0 });
    });
  });

  it('admits exactly 5 of 50 racing $push when the filter requires room at index 4', async () => {
    await coll('bounded').insertOne({ _id: 'cus1', addresses: [] });
    const pushed = await parallel(WRITERS, (i) => coll('bounded').updateOne({ _id: 'cus1', 'addresses.4': { $exists: false } }, { $push: { addresses: { _id: `a${i}` } } } as never));
    const doc = await coll('bounded').findOne({ _id: 'cus1' });
    await expectProperty('a filter on an array position bounds the array under racing $push', () => {
      expect(pushed.filter((r) => r.modifiedCount === 1)).toHaveLength(5);
      expect(doc?.addresses).toHaveLength(5);
    });
  });

  it('updates the matched array element by the positional $, and $pull by $in removes exactly the listed values', async () => {
    await coll('arrays').insertOne({ _id: 'cus1', addresses: [{ _id: 'a1', city: 'Oslo' }, { _id: 'a2', city: 'Lima' }], pending: ['ev1', 'ev2', 'ev3'] });
    await coll('arrays').insertOne({ _id: 'empty', addresses: [], pending: [] });
    await coll('arrays').updateOne({ _id: 'cus1', 'addresses._id': 'a2' }, { $set: { 'addresses.$.city': 'Quito' } });
    await coll('arrays').updateOne({ _id: 'cus1' }, { $pull: { pending: { $in: ['ev1', 'ev3', 'gone'] } } } as never);
    const doc = await coll('arrays').findOne({ _id: 'cus1' });
    const holders = await coll('arrays').find({ pending: { $type: 'string' } }, { projection: { _id: 1 } }).toArray();
    await expectProperty('the positional $ update, $pull with $in, and $type on array elements', () => {
      expect(doc?.addresses).toEqual([{ _id: 'a1', city: 'Oslo' }, { _id: 'a2', city: 'Quito' }]);
      expect(doc?.pending).toEqual(['ev2']);
      expect(holders.map((h) => h._id)).toEqual(['cus1']);
    });
  });

  it('returns only the projected fields: of the updated document from findOneAndUpdate, and the matched element by $elemMatch', async () => {
    await coll('projections').insertOne({ _id: 'ev1', state: 'applying', claim: 'old', targets: [1, 2], big: 'x'.repeat(512), holds: [{ k: 'r1', t: 'a' }, { k: 'r2', t: 'b' }] });
    const claimed = await coll('projections').findOneAndUpdate({ _id: 'ev1', state: 'applying' }, { $set: { claim: 'new' } }, { returnDocument: 'after', projection: { targets: 1, claim: 1 } });
    const hold = await coll('projections').findOne({ _id: 'ev1', 'holds.k': 'r2' }, { projection: { holds: { $elemMatch: { k: 'r2' } } } });
    await expectProperty('projections on findOneAndUpdate (after the update) and $elemMatch projections', () => {
      expect(claimed).toEqual({ _id: 'ev1', targets: [1, 2], claim: 'new' });
      expect(hold).toEqual({ _id: 'ev1', holds: [{ k: 'r2', t: 'b' }] });
    });
  });

  it('keeps the largest of 50 racing $max upserts by _id (the search index entries)', async () => {
    await parallel(WRITERS, (i) => coll('prefixes').bulkWrite([{ updateOne: { filter: { _id: 'sho' }, update: { $max: { 'e.prod1': i }, $inc: { n: 1 } }, upsert: true } }], { ordered: false }));
    const doc = await coll('prefixes').findOne({ _id: 'sho' });
    await expectProperty('$max under races keeps the maximum; upserts by _id create one document', () => expect(doc).toEqual({ _id: 'sho', e: { prod1: WRITERS - 1 }, n: WRITERS }));
  });
});
