import { randomUUID } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKeyError } from './errors';

/**
 * Serializes the writers of one entity (a payment, an order) across processes.
 *
 * Why: FerretDB v1 applies an update by reading the document, changing it and writing the whole
 * document back, with nothing stopping a concurrent writer in between. Measured here: 50 parallel
 * `$inc`s of one field leave it at 4, and conditional updates (`{_id, status: "PENDING"}`) all
 * "match" when they race. MongoDB makes each update atomic, but code that must run on both cannot
 * lean on that. Inserts into a unique index ARE atomic on both, so a lease is an insert of
 * `{_id: key}`: whoever inserts it holds the entity; everyone else waits and retries.
 *
 * A holder that dies leaves a lease that expires after `leaseMs`; a waiter then removes that
 * exact expired lease (by its owner token) and competes to insert a fresh one. The work done under
 * a lease must itself be idempotent (it is, everywhere we use it), so the rare overlap of a
 * holder slower than its lease with the next one costs nothing but a repeated no-op.
 */
export interface LockDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}

const lockSchema = new Schema<LockDoc>({ _id: String, owner: String, expiresAt: Date }, { versionKey: false });

export function lockModel(conn: Connection): Model<LockDoc> {
  return conn.models.EntityLock ?? conn.model<LockDoc>('EntityLock', lockSchema, 'entity_locks');
}

export class LockTimeoutError extends Error {
  constructor(key: string) {
    super(`timed out waiting for the lock on ${key}`);
    this.name = 'LockTimeoutError';
  }
}

export interface LockOptions {
  leaseMs?: number;
  waitMs?: number;
}

export async function withEntityLock<T>(locks: Model<LockDoc>, key: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const leaseMs = opts.leaseMs ?? 15_000;
  const deadline = Date.now() + (opts.waitMs ?? 10_000);
  const owner = randomUUID();
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    try {
      await locks.create({ _id: key, owner, expiresAt: new Date(Date.now() + leaseMs) });
      break;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const held = await locks.findById(key).lean();
    if (held && held.expiresAt.getTime() < Date.now()) {
      await locks.deleteOne({ _id: key, owner: held.owner });
      continue;
    }
    if (Date.now() > deadline) throw new LockTimeoutError(key);
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
  }
  try {
    return await fn();
  } finally {
    await locks.deleteOne({ _id: key, owner }).catch(() => undefined);
  }
}
