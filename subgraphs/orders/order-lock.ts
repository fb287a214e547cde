import type { Model } from 'mongoose';
import { lockModel, withEntityLock } from '../lib/entity-lock';
import type { OrderDoc } from './model';

/**
 * Every change to an existing order (status moves, refunds, tracking, outbox bookkeeping) runs
 * under the order's write lease, so the worker, the relay and admin mutations never overwrite
 * each other's writes on FerretDB (see lib/entity-lock.ts). Reads inside see the latest state.
 */
export function withOrderLock<T>(orders: Model<OrderDoc>, orderId: string, fn: () => Promise<T>): Promise<T> {
  return withEntityLock(lockModel(orders.db), `order:${orderId}`, fn);
}
