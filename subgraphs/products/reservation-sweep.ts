import type { FilterQuery, Model } from 'mongoose';
import type { Logger } from '../lib/logger';
import type { SafetyNetSettings } from '../lib/safety-net';
import type { Inventory } from './inventory';
import type { ReservationDoc } from './model';
import { runEvery } from '../lib/periodic';

/**
 * The safety net under reservation expiry. A checkout hold ends by a delayed BullMQ job
 * (`expire-<id>`), and Redis may lose it (a crash loses its last second of acknowledged writes);
 * a crash may also stop a command between its writes. Either way stock would stay held for good.
 * This sweep reads, from the stored documents, the holds past their expiry by more than `graceMs`
 * and the reservations whose move stopped partway (not settled) for as long, and runs the expire
 * command on each: it ends a checkout hold that is still PENDING or HELD and otherwise only finishes
 * what the stored status owes (reservation-rules.ts), so racing the job, a repeat, or another
 * replica's sweep changes nothing.
 */
export function overdueReservations(now: Date, graceMs: number): FilterQuery<ReservationDoc> {
  const cutoff = new Date(now.getTime() - graceMs);
  // A checkout hold waits for its expiry (a stopped reserve is the checkout's to repeat until then).
  const hold = ['PENDING', 'HELD'];
  return { $or: [{ status: { $in: hold }, expiresAt: { $lt: cutoff } }, { settled: false, status: { $nin: hold }, updatedAt: { $lt: cutoff } }] };
}

export interface SweepResult {
  /** Overdue reservations found (at most `limit`). */
  found: number;
  /** Of those, the ones the sweep ended or finished (EXPIRED, or their owed effect completed). */
  expired: number;
}

export async function sweepReservations(inventory: Inventory, reservations: Model<ReservationDoc>, opts: { now: Date; graceMs: number; limit?: number }): Promise<SweepResult> {
  const overdue = await reservations.find(overdueReservations(opts.now, opts.graceMs), { _id: 1 }).limit(opts.limit ?? 500).lean<Pick<ReservationDoc, '_id'>[]>();
  let expired = 0;
  for (const { _id } of overdue) if (await inventory.expire(_id)) expired++;
  return { found: overdue.length, expired };
}

/** Runs the sweep every `intervalMs` (SAFETY_NET_INTERVAL_MS); stop() waits for a pass in flight. */
export function startReservationSweep(inventory: Inventory, reservations: Model<ReservationDoc>, settings: Pick<SafetyNetSettings, 'graceMs' | 'intervalMs'>, logger: Logger) {
  const pass = () =>
    sweepReservations(inventory, reservations, { now: new Date(), graceMs: settings.graceMs })
      .then((r) => r.found && logger.warn('reservation sweep ended overdue holds (their expiry job was lost or a move stopped partway)', { ...r }))
      .catch((err) => logger.error('reservation sweep failed', { error: String(err) }));
  return { stop: runEvery(settings.intervalMs, pass).stop };
}
