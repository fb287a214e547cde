import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { ensureBackingServices } from '../scripts/backing';
import { DOWNLOAD_FAILED, startMongoJavaServer } from '../scripts/backing/mongo';
import { which } from '../scripts/backing/processes';

/** `npm start` runs mongo-java-server on its H2 file store: what a developer saved is there after a restart. */
describe('the local MongoDB server of npm start', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mongo-h2-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function withServer<T>(fn: (db: mongoose.mongo.Db) => Promise<T>): Promise<T> {
    const server = await startMongoJavaServer({ dataDir, log: () => undefined, store: 'file' });
    const conn = await mongoose.createConnection(server.env.MONGODB_URI, { dbName: 'restart_check' }).asPromise();
    try {
      return await fn(conn.db!);
    } finally {
      await conn.close();
      await server.stop();
    }
  }

  it('keeps documents and unique indexes across a stop and a start', async () => {
    await withServer(async (db) => {
      await db.collection('orders').createIndex({ paymentId: 1 }, { unique: true });
      await db.collection('orders').insertOne({ _id: 'o1' as never, paymentId: 'p1', amountCents: 1999 });
    });
    const after = await withServer(async (db) => {
      const doc = await db.collection('orders').findOne({ _id: 'o1' as never });
      const duplicate = await db.collection('orders').insertOne({ _id: 'o2' as never, paymentId: 'p1' }).then(() => null, (err: { code?: number }) => err.code);
      return { doc, duplicate };
    });
    expect(after.doc).toMatchObject({ paymentId: 'p1', amountCents: 1999 });
    expect(after.duplicate).toBe(11000);
  });

  it('moves a document by a conditional write on its _id and state, and only from that state', async () => {
    const moved = await withServer(async (db) => {
      const orders = db.collection('moves');
      await orders.insertOne({ _id: 'o1' as never, status: 'PAID' });
      const fromPaid = await orders.findOneAndUpdate({ _id: 'o1' as never, status: 'PAID' }, { $set: { status: 'SHIPPED' } }, { returnDocument: 'after' });
      const again = await orders.updateOne({ _id: 'o1' as never, status: 'PAID' }, { $set: { status: 'CANCELED' } });
      return { fromPaid: fromPaid?.status, againMatched: again.matchedCount };
    });
    const stored = await withServer((db) => db.collection('moves').findOne({ _id: 'o1' as never }));
    expect(moved).toEqual({ fromPaid: 'SHIPPED', againMatched: 0 });
    expect(stored).toMatchObject({ status: 'SHIPPED' });
  });
});

/**
 * The same chain `npm start` runs (scripts/start.ts: ensureBackingServices with DATA_DIR), on a
 * machine with no MONGODB_URI, no mongod on PATH and no mongod download: it must pick the H2 file
 * store under the data dir, and what was saved must be there after a stop and a start.
 */
describe('npm start without MONGODB_URI or mongod', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'start-chain-'));
  const downloadDir = mkdtempSync(path.join(os.tmpdir(), 'no-mongod-binaries-'));
  const savedEnv = { ...process.env };
  const savedMarker = existsSync(DOWNLOAD_FAILED) ? readFileSync(DOWNLOAD_FAILED, 'utf8') : null;
  const logged: string[] = [];

  beforeAll(() => {
    delete process.env.MONGODB_URI;
    // No mongod on PATH, and mongodb-memory-server finds no cached binary and cannot download one.
    process.env.PATH = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => !existsSync(path.join(dir, 'mongod'))).join(path.delimiter);
    process.env.MONGOMS_DOWNLOAD_DIR = downloadDir;
    process.env.MONGOMS_DOWNLOAD_URL = 'http://127.0.0.1:1/mongodb-linux-x86_64-debian12-7.0.14.tgz'; // refused at once
  });
  afterAll(() => {
    process.env = savedEnv;
    // The chain records a failed download for every later start: put back what was there before this test.
    if (savedMarker === null) rmSync(DOWNLOAD_FAILED, { force: true });
    else writeFileSync(DOWNLOAD_FAILED, savedMarker);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(downloadDir, { recursive: true, force: true });
  });

  /** Starts the backing services as scripts/start.ts does, runs `fn` on the products database, stops them. */
  async function throughStartChain<T>(fn: (db: mongoose.mongo.Db) => Promise<T>): Promise<{ result: T; description: string }> {
    const backing = await ensureBackingServices({ dataDir, log: (m) => logged.push(m), mail: true });
    try {
      const conn = await mongoose.createConnection(backing.env.MONGODB_URI, { dbName: 'start_chain_products' }).asPromise();
      try {
        return { result: await fn(conn.db!), description: backing.description };
      } finally {
        await conn.close();
      }
    } finally {
      await backing.stop();
    }
  }

  it('chooses the H2 file store under the data dir, and keeps what was saved across a stop and a start', async () => {
    expect(which('mongod')).toBeNull();
    const first = await throughStartChain((db) => db.collection('products').insertOne({ _id: 'prod_1' as never, sku: 'SKU-1', priceCents: 1299 }));
    const store = path.join(dataDir, 'mongo', 'store.mv');
    expect(first.description).toContain('mongo-java-server');
    expect(first.description).toContain(`H2 file ${store}`);
    expect(statSync(store).size).toBeGreaterThan(0);

    const second = await throughStartChain((db) => db.collection('products').findOne({ _id: 'prod_1' as never }));
    expect(second.description).toContain(`H2 file ${store}`);
    expect(second.result).toEqual({ _id: 'prod_1', sku: 'SKU-1', priceCents: 1299 });
  }, 120_000);
});
