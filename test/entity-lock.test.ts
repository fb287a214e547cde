import mongoose, { type Connection } from 'mongoose';
import { lockModel, withEntityLock } from '../subgraphs/lib/entity-lock';
import { testConfig } from './support/stack';

/** The write lease that makes read-modify-write safe on FerretDB, whose updates are not atomic. */
describe('writers of one entity take turns', () => {
  let conn: Connection;
  const counters = () => conn.db!.collection<{ _id: string; n: number }>('counters');

  beforeAll(async () => {
    const config = testConfig();
    conn = await mongoose.createConnection(config.mongoUri, { dbName: `${config.dbPrefix}locks` }).asPromise();
    await lockModel(conn).createCollection();
    await lockModel(conn).init();
  });
  afterAll(() => conn?.close());

  it('loses no update when 40 read-modify-write cycles of one document run at once', async () => {
    await counters().insertOne({ _id: 'with-lock', n: 0 });
    const locks = lockModel(conn);
    await Promise.all(
      Array.from({ length: 40 }, () =>
        withEntityLock(locks, 'counter:with-lock', async () => {
          const doc = await counters().findOne({ _id: 'with-lock' });
          await counters().updateOne({ _id: 'with-lock' }, { $set: { n: doc!.n + 1 } });
        }),
      ),
    );
    expect((await counters().findOne({ _id: 'with-lock' }))!.n).toBe(40);
    expect(await locks.countDocuments()).toBe(0);
  });

  it('takes over a lease whose holder died', async () => {
    const locks = lockModel(conn);
    await locks.create({ _id: 'order:abandoned', owner: 'dead-process', expiresAt: new Date(Date.now() - 1000) });
    await expect(withEntityLock(locks, 'order:abandoned', async () => 'done')).resolves.toBe('done');
  });

  it('gives up with a clear error when the entity stays busy', async () => {
    const locks = lockModel(conn);
    await locks.create({ _id: 'order:busy', owner: 'someone', expiresAt: new Date(Date.now() + 60_000) });
    await expect(withEntityLock(locks, 'order:busy', async () => 'never', { waitMs: 200 })).rejects.toThrow('timed out waiting for the lock on order:busy');
  });
});
