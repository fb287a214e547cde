import type { Queue } from 'bullmq';
import { z } from 'zod';
import { AppError, BadUserInputError, ConflictError, NotFoundError, isDuplicateKeyError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { JOBS, enqueue, reservationExpirySchema } from '../lib/queues';
import { currentRequestScope } from '../lib/request-context';
import type { CatalogModels, ReservationDoc, ReservationLine, ReservationOutcome, ReservationStatus } from './model';
import type { Stock } from './stock';

/**
 * Stock reservations for checkout (contract: docs/contracts.md, state machine: docs/catalog.md).
 *
 * Nothing here relies on an update being atomic (FerretDB v1's are not, see stock.ts). Facts are
 * claimed by unique inserts, and every effect is keyed so that repeating it changes nothing:
 *   - the Reservation (unique _id = reservationId) is inserted first with the priced snapshot,
 *     and its expiry job is scheduled before any stock is touched, so even a reservation
 *     abandoned by a crash gives its stock back;
 *   - each line holds stock under the marker `<reservationId>:<generation>` (stock ledger: a
 *     marker is held at most once, and never again once settled);
 *   - how a generation ends (COMMITTED, RELEASED, EXPIRED, FAILED) is decided once, by inserting
 *     `<reservationId>:<g>:decision`; whoever acts afterwards reads the decision and (re)applies
 *     its effect: sell the holds, or give them back. A retry after a crash completes the work.
 *   - a commit after expiry or release starts generation g+1 and takes the stock again, all
 *     lines or none.
 */
export const DEFAULT_RESERVATION_TTL_SECONDS = 15 * 60;
const MAX_COMMIT_ROUNDS = 5;

export const reserveStockInputSchema = z.object({
  reservationId: z.string().regex(/^[A-Za-z0-9_:-]{1,100}$/, 'must be 1-100 letters, digits, _ : -'),
  lines: z
    .array(z.object({ productId: z.string().min(1).max(100), quantity: z.number().int('must be a whole number').positive().max(10_000) }))
    .min(1, 'at least one line')
    .max(100)
    .refine((lines) => new Set(lines.map((l) => l.productId)).size === lines.length, { message: 'each product may appear on one line only' }),
  ttlSeconds: z.number().int().min(1).max(24 * 3600).nullish(),
});
export type ReserveStockInput = z.infer<typeof reserveStockInputSchema>;

export interface InventoryDeps {
  models: CatalogModels;
  stock: Stock;
  /** Where delayed `expire-<reservationId>` jobs go (QUEUES.reservationExpiry). */
  expiryQueue: Queue;
  logger: Logger;
}

/** A reservation as callers see it: the stored snapshot plus its current public status. */
export type ReservationView = ReservationDoc & { publicStatus: 'HELD' | 'COMMITTED' | 'RELEASED' | 'EXPIRED' };
export type CommitOutcome = { ok: true; reservation: ReservationView } | { ok: false; reason: string; productId?: string };

interface Decision {
  outcome: ReservationOutcome;
  productId: string | null;
}

export const holdMarker = (reservationId: string, generation: number) => `${reservationId}:${generation}`;
const restockStep = (reservationId: string) => `${reservationId}:restock`;

function insufficientStock(productId: string | null | undefined): ConflictError {
  return new ConflictError('Not enough stock for this product', { reason: 'INSUFFICIENT_STOCK', productId: productId ?? null });
}

/** NOT_FOUND for an unknown or inactive product, naming the line (contract: docs/contracts.md). */
function productNotFound(productId: string, index: number): AppError {
  return new AppError('NOT_FOUND', 'Product not found', { productId, field: `input.lines.${index}.productId` });
}

export function createInventory(deps: InventoryDeps) {
  const { products, reservations, reservationSteps } = deps.models;
  const { stock } = deps;

  // ---- facts about a reservation ----

  async function currentGeneration(id: string): Promise<number> {
    let g = 1;
    while (await reservationSteps.exists({ _id: `${id}:${g + 1}:start` })) g++;
    return g;
  }

  async function decisionOf(id: string, g: number): Promise<Decision | null> {
    const d = await reservationSteps.findById(`${id}:${g}:decision`).lean();
    return d ? { outcome: d.outcome!, productId: d.productId } : null;
  }

  /** The first decision for generation g wins; returns whichever that is. */
  async function decide(id: string, g: number, outcome: ReservationOutcome, productId: string | null = null): Promise<Decision> {
    try {
      await reservationSteps.create({ _id: `${id}:${g}:decision`, reservationId: id, generation: g, kind: 'decision', outcome, productId });
      return { outcome, productId };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return (await decisionOf(id, g))!;
    }
  }

  async function startGeneration(id: string, g: number): Promise<void> {
    await reservationSteps.create({ _id: `${id}:${g}:start`, reservationId: id, generation: g, kind: 'start' }).catch((err: unknown) => {
      if (!isDuplicateKeyError(err)) throw err;
    });
  }

  // ---- stock effects (each repeatable) ----

  /**
   * Holds every line under generation g's marker, stopping at the first short line. The caller
   * then decides FAILED *before* giving anything back, so a concurrent driver of the same
   * generation can never commit a half-held reservation.
   */
  async function holdAll(r: ReservationDoc, g: number, requireActive: boolean): Promise<{ ok: true } | { ok: false; productId: string }> {
    const marker = holdMarker(r._id, g);
    for (const line of r.lines) {
      const res = await stock.apply(line.productId, { kind: 'hold', marker, qty: line.quantity }, { requireActive });
      const held = res.result === 'applied' || (res.result === 'noop' && res.state.holds.includes(marker));
      if (!held) return { ok: false, productId: line.productId };
    }
    return { ok: true };
  }

  /** Applies a decision's effect to every line: COMMITTED sells the holds, anything else gives them back. */
  async function settle(r: ReservationDoc, g: number, outcome: ReservationOutcome): Promise<void> {
    const marker = holdMarker(r._id, g);
    for (const line of r.lines) {
      await stock.apply(line.productId, { kind: outcome === 'COMMITTED' ? 'sell' : 'undo', marker, qty: line.quantity });
    }
  }

  async function view(r: ReservationDoc): Promise<ReservationView> {
    const g = await currentGeneration(r._id);
    const status = await statusOf(r, g);
    if (status !== r.status) await reservations.updateOne({ _id: r._id }, { $set: { status } });
    return { ...r, status, publicStatus: publicStatus(status) };
  }

  async function statusOf(r: ReservationDoc, g: number): Promise<ReservationStatus> {
    const d = await decisionOf(r._id, g);
    if (d?.outcome === 'COMMITTED' && (await reservationSteps.exists({ _id: restockStep(r._id) }))) return 'RELEASED';
    if (d) return d.outcome;
    if (g > 1) return 'RETAKING';
    return r.status === 'HELD' ? 'HELD' : 'PENDING';
  }

  // ---- reserve ----

  /** PENDING → HELD on the cached status (decisions are the truth); `{_id}` filter for FerretDB's fast path. */
  async function markHeld(id: string): Promise<void> {
    const now = await reservations.findById(id).lean();
    if (now?.status === 'PENDING') await reservations.updateOne({ _id: id }, { $set: { status: 'HELD' } });
  }

  async function scheduleExpiry(r: Pick<ReservationDoc, '_id' | 'expiresAt'>): Promise<void> {
    const requestId = currentRequestScope()?.requestId ?? `expire-${r._id}`;
    const delay = Math.max(0, new Date(r.expiresAt).getTime() - Date.now());
    await enqueue(deps.expiryQueue, JOBS.expireReservation, reservationExpirySchema, { reservationId: r._id, requestId }, `expire-${r._id}`, { delay });
  }

  async function snapshotLines(input: ReserveStockInput): Promise<ReservationLine[]> {
    const found = await products.find({ _id: { $in: input.lines.map((l) => l.productId) } }).lean();
    const byId = new Map(found.map((p) => [p._id, p]));
    const lines = input.lines.map((l, i) => {
      const p = byId.get(l.productId);
      if (!p || !p.active) throw productNotFound(l.productId, i);
      return { productId: p._id, name: p.name, sku: p.sku, unitPriceCents: p.priceCents, currency: p.currency, quantity: l.quantity };
    });
    if (new Set(lines.map((l) => l.currency)).size > 1) throw new BadUserInputError('input.lines: all lines of a reservation must share one currency', ['input', 'lines']);
    return lines;
  }

  function sameLines(r: ReservationDoc, input: ReserveStockInput): boolean {
    const key = (ls: Array<{ productId: string; quantity: number }>) => ls.map((l) => `${l.productId}*${l.quantity}`).sort().join(',');
    return key(r.lines) === key(input.lines);
  }

  async function findOrCreate(input: ReserveStockInput): Promise<ReservationDoc> {
    const existing = await reservations.findById(input.reservationId).lean();
    if (existing) return existing;
    const lines = await snapshotLines(input);
    const ttl = input.ttlSeconds ?? DEFAULT_RESERVATION_TTL_SECONDS;
    try {
      return (await reservations.create({ _id: input.reservationId, status: 'PENDING', lines, expiresAt: new Date(Date.now() + ttl * 1000) })).toObject();
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return (await reservations.findById(input.reservationId).lean())!;
    }
  }

  /** Holds all lines (or none). Repeating it, concurrently or after a crash, completes the same reservation. */
  async function reserve(input: ReserveStockInput): Promise<ReservationView> {
    const r = await findOrCreate(input);
    if (!sameLines(r, input)) throw new ConflictError('This reservation id was already used for different lines', { reason: 'RESERVATION_ID_REUSED' });
    await scheduleExpiry(r);
    const decided = (await currentGeneration(r._id)) > 1 ? 'later' : await decisionOf(r._id, 1);
    if (decided === null) {
      const held = await holdAll(r, 1, true);
      // Ended meanwhile (released, expired, or a line was short)? Our holds must not outlive it.
      const d = held.ok ? await decisionOf(r._id, 1) : await decide(r._id, 1, 'FAILED', held.productId);
      if (d) await settle(r, 1, d.outcome);
      else await markHeld(r._id);
    }
    const v = await view((await reservations.findById(r._id).lean())!);
    if (v.status === 'FAILED') throw insufficientStock((await decisionOf(r._id, 1))?.productId);
    return v;
  }

  // ---- release / expire ----

  async function end(reservationId: string, outcome: 'RELEASED' | 'EXPIRED'): Promise<ReservationView | null> {
    const r = await reservations.findById(reservationId).lean();
    if (!r) return null;
    const g = await currentGeneration(reservationId);
    // Expiry concerns the original hold only; a retake in progress belongs to a paid commit.
    if (outcome === 'EXPIRED' && g > 1) return view(r);
    const d = await decide(reservationId, g, outcome);
    await settle(r, g, d.outcome);
    if (d.outcome === 'COMMITTED' && outcome === 'RELEASED') await restock(r, g);
    else if (d.outcome === outcome) deps.logger.info('reservation ended', { reservationId, outcome });
    return view(r);
  }

  /**
   * Releasing a sold reservation (its order was cancelled) puts the sold units back on hand, once:
   * the return is claimed by a unique step, and each line's restock is keyed by a marker the stock
   * ledger applies at most once, so a retry after a crash finishes it without doubling it.
   */
  async function restock(r: ReservationDoc, g: number): Promise<void> {
    await reservationSteps.create({ _id: restockStep(r._id), reservationId: r._id, generation: g, kind: 'restock' }).catch((err: unknown) => {
      if (!isDuplicateKeyError(err)) throw err;
    });
    for (const line of r.lines) await stock.apply(line.productId, { kind: 'restock', marker: restockStep(r._id), qty: line.quantity });
    deps.logger.info('sold reservation returned to stock', { reservationId: r._id });
  }

  // ---- commit ----

  /**
   * Reserved becomes sold. Repeating is a no-op (and finishes a crashed commit). After expiry or
   * release it succeeds only if every line can be taken again; otherwise `{ ok: false }`.
   */
  async function tryCommit(reservationId: string): Promise<CommitOutcome> {
    const r = await reservations.findById(reservationId).lean();
    if (!r) return { ok: false, reason: 'NOT_FOUND' };
    for (let round = 0; round < MAX_COMMIT_ROUNDS; round++) {
      const g = await currentGeneration(reservationId);
      const d = await decisionOf(reservationId, g);
      if (d?.outcome === 'COMMITTED') {
        await settle(r, g, 'COMMITTED');
        return { ok: true, reservation: await view(r) };
      }
      if (d) {
        // Ended without a sale: make sure that generation's holds are back, then try a new one.
        await settle(r, g, d.outcome);
        if (d.outcome === 'FAILED' && g === 1) return { ok: false, reason: 'INSUFFICIENT_STOCK', productId: d.productId ?? undefined };
        await startGeneration(reservationId, g + 1);
        continue;
      }
      if (g === 1 && (await reservations.findById(reservationId).lean())?.status !== 'HELD') return { ok: false, reason: 'RESERVATION_PENDING' };
      if (g > 1) {
        const held = await holdAll(r, g, false);
        if (!held.ok) {
          const failed = await decide(reservationId, g, 'FAILED', held.productId);
          await settle(r, g, failed.outcome);
          if (failed.outcome !== 'COMMITTED') return { ok: false, reason: 'INSUFFICIENT_STOCK', productId: failed.productId ?? held.productId };
          return { ok: true, reservation: await view(r) };
        }
      }
      const won = await decide(reservationId, g, 'COMMITTED');
      await settle(r, g, won.outcome);
      if (won.outcome === 'COMMITTED') return { ok: true, reservation: await view(r) };
    }
    return { ok: false, reason: 'CONTENDED' };
  }

  /** The synchronous form for GraphQL: failures become typed errors. */
  async function commit(reservationId: string): Promise<ReservationView> {
    const outcome = await tryCommit(reservationId);
    if (outcome.ok) return outcome.reservation;
    if (outcome.reason === 'NOT_FOUND') throw new NotFoundError('Reservation');
    if (outcome.reason === 'INSUFFICIENT_STOCK') throw insufficientStock(outcome.productId);
    throw new ConflictError(outcome.reason === 'RESERVATION_PENDING' ? 'The reservation is still being placed' : 'The reservation is changing; try again', { reason: outcome.reason });
  }

  return {
    reserve,
    release: (reservationId: string) => end(reservationId, 'RELEASED'),
    expire: (reservationId: string) => end(reservationId, 'EXPIRED'),
    tryCommit,
    commit,
  };
}
export type Inventory = ReturnType<typeof createInventory>;

/** What clients see: internal statuses map onto the public four. */
export function publicStatus(status: ReservationStatus): 'HELD' | 'COMMITTED' | 'RELEASED' | 'EXPIRED' {
  switch (status) {
    case 'PENDING':
      return 'HELD';
    case 'RETAKING':
      return 'EXPIRED';
    case 'FAILED':
      return 'RELEASED';
    default:
      return status;
  }
}
