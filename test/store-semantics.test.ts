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
    expect(await coll('unique').countDocuments({ key: 'same' })).toBe(1);
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
});
