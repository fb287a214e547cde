import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startMongoJavaServer } from '../scripts/backing/mongo';

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
