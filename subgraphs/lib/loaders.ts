import DataLoader from 'dataloader';
import type { Model } from 'mongoose';

/**
 * Batches every by-id lookup made while resolving one request into a single `$in` query.
 * Federation's __resolveReference calls this once per representation; DataLoader turns those
 * calls into one database round trip per entity type per request.
 */
export function byIdLoader<T extends { _id: string }>(model: Model<any>): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const docs = (await model.find({ _id: { $in: ids as string[] } }).lean()) as unknown as T[];
    const byId = new Map(docs.map((d) => [d._id, d]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Same, keyed by another unique field (e.g. an order's paymentId). */
export function byFieldLoader<T extends Record<string, unknown>>(model: Model<any>, field: string): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (keys) => {
    const docs = (await model.find({ [field]: { $in: keys as string[] } }).lean()) as unknown as T[];
    const byKey = new Map(docs.map((d) => [String(d[field]), d]));
    return keys.map((k) => byKey.get(k) ?? null);
  });
}
