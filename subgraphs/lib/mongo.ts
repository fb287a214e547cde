import mongoose, { type Connection, type Model } from 'mongoose';
import type { Logger } from './logger';

/**
 * One Mongoose connection per service, to that service's own database (database-per-service).
 * Each service binds its models to its own connection, so several services can share a process
 * (as the tests do) without sharing a database.
 */
/**
 * Mongoose captures `new Error().stack` on every query, only to enrich a "Query was already
 * executed" error (a programming mistake, found by tests); with source maps (tsx) that capture was
 * about 1-2 % of a busy service's CPU.
 */
mongoose.set('skipOriginalStackTraces', true);

export async function connectMongo(uri: string, dbName: string, logger: Logger): Promise<Connection> {
  const conn = mongoose.createConnection(uri, {
    dbName,
    serverSelectionTimeoutMS: 10_000,
    // Indexes are built explicitly by ensureIndexes() at start, where failures are visible.
    autoIndex: false,
    autoCreate: true,
  });
  await conn.asPromise();
  logger.info('mongo connected', { dbName });
  return conn;
}

/** Build declared indexes (unique ones carry our idempotency guarantees) before serving traffic. */
export async function ensureIndexes(models: Model<any>[]): Promise<void> {
  for (const model of models) {
    await model.createCollection().catch(async (err: { code?: number }) => {
      if (err.code === 48) return; // NamespaceExists
      // Another process on the same database created it a moment before (the local server reports that race as an unknown error).
      if (!(await model.db.db?.listCollections({ name: model.collection.collectionName }).hasNext())) throw err;
    });
    await model.createIndexes();
  }
}

export async function pingMongo(conn: Connection): Promise<boolean> {
  try {
    await conn.db?.admin().ping();
    return conn.readyState === 1;
  } catch {
    return false;
  }
}
