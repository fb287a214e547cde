import { z } from 'zod';
import { AppError, BadUserInputError, ConflictError, NotFoundError, isDuplicateKeyError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { TypedQueue, reservationExpiryQueue } from '../lib/queues';
import { currentRequestScope } from '../lib/request-context';
import type { CatalogModels, ReservationDoc, ReservationLine } from './model';
import { createReservationEffects } from './reservation-effects';
import { FIRST_MOVE, nextStep, publicStatus, type Command, type PublicStatus } from './reservation-rules';
import type { Stock } from './stock';

/**
 * Stock reservations for checkout (contract: docs/contracts.md, design: docs/catalog.md).
 *
 * The reservation document is a state machine (reservation-rules.ts) moved only by conditional
 * updates; the winner of a move carries out the stock effect the new status owes, and anyone who
 * later finds the status unsettled (a retry after a crash, the expiry job) finishes it from the
 * stored document. Each command first tries its common case as one conditional write, and
 * otherwise reads the reservation and follows nextStep().
 */
export const DEFAULT_RESERVATION_TTL_SECONDS = 15 * 60;
/** Moves lost to concurrent commands before giving up (each loss means the state changed). */
const MAX_ROUNDS = 5;

export const reserveStockInputSchema = z.object({
  // No '.' or '$': the id is a key in the product's hold list and in movement ids.
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
  expiryQueue: TypedQueue<typeof reservationExpiryQueue.schema>;
  logger: Logger;
}

/** A reservation as callers see it: the stored snapshot plus its public status. */
export type ReservationView = ReservationDoc & { publicStatus: PublicStatus };
type Refused = { ok: false; reason: 'NOT_FOUND' | 'RESERVATION_PENDING' | 'INSUFFICIENT_STOCK' | 'CONTENDED'; productId?: string };
export type CommandOutcome = { ok: true; reservation: ReservationView } | Refused;
export type CommitOutcome = CommandOutcome;

const view = (r: ReservationDoc): ReservationView => ({ ...r, publicStatus: publicStatus(r.status) });

function insufficientStock(productId: string | null | undefined): ConflictError {
  return new ConflictError('Not enough stock for this product', { reason: 'INSUFFICIENT_STOCK', productId: productId ?? null });
}

/** NOT_FOUND for an unknown or inactive product, naming the line (contract: docs/contracts.md). */
function productNotFound(productId: string, index: number): AppError {
  return new AppError('NOT_FOUND', 'Product not found', { productId, field: `input.lines.${index}.productId` });
}

function sameLines(r: ReservationDoc, input: ReserveStockInput): boolean {
  const key = (ls: Array<{ productId: string; quantity: number }>) => ls.map((l) => `${l.productId}*${l.quantity}`).sort().join(',');
  return key(r.lines) === key(input.lines);
}

export function createInventory(deps: InventoryDeps) {
  const { products, reservations } = deps.models;
  const effects = createReservationEffects(deps.models, deps.stock);

  /**
   * Drives a reservation until the command has its answer: finish what the found status owes,
   * then take nextStep (answer, refuse, one conditional move, or place holds).
   */
  async function drive(command: Command, id: string, start: ReservationDoc | null): Promise<CommandOutcome> {
    let r = start;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      r ??= await effects.read(id);
      if (!r) return { ok: false, reason: 'NOT_FOUND' };
      if (!r.settled) r = await effects.finish(r);
      const step = nextStep(command, r.status);
      if (step.kind === 'answer') return { ok: true, reservation: view(r) };
      if (step.kind === 'refuse') return { ok: false, reason: step.reason, productId: r.shortProductId ?? undefined };
      if (step.kind === 'move') {
        r = await effects.move(id, step.move);
        continue;
      }
      if (command === 'reserve') await scheduleExpiry(r);
      // Decided by us or by someone else (then placeHolds took back any hold of ours it did not count).
      const placed = await effects.placeHolds(r);
      r = 'moved' in placed ? placed.moved : placed.lost;
    }
    return { ok: false, reason: 'CONTENDED' };
  }

  // ---- reserve ----

  async function scheduleExpiry(r: Pick<ReservationDoc, '_id' | 'expiresAt'>): Promise<void> {
    const requestId = currentRequestScope()?.requestId ?? `expire-${r._id}`;
    const delay = Math.max(0, new Date(r.expiresAt).getTime() - Date.now());
    await deps.expiryQueue.publish({ reservationId: r._id, requestId }, { delay });
  }

  async function snapshotLines(input: ReserveStockInput): Promise<ReservationLine[]> {
    const found = await products.find({ _id: { $in: input.lines.map((l) => l.productId) } }, { name: 1, sku: 1, priceCents: 1, currency: 1, active: 1 }).lean();
    const byId = new Map(found.map((p) => [p._id, p]));
    const lines = input.lines.map((l, i) => {
      const p = byId.get(l.productId);
      if (!p || !p.active) throw productNotFound(l.productId, i);
      return { productId: p._id, name: p.name, sku: p.sku, unitPriceCents: p.priceCents, currency: p.currency, quantity: l.quantity };
    });
    if (new Set(lines.map((l) => l.currency)).size > 1) throw new BadUserInputError('input.lines: all lines of a reservation must share one currency', ['input', 'lines']);
    return lines;
  }

  /** Inserts the reservation (PENDING) or finds the one a previous call with this id inserted. */
  async function findOrCreate(input: ReserveStockInput): Promise<ReservationDoc> {
    let lines: ReservationLine[];
    try {
      lines = await snapshotLines(input);
    } catch (err) {
      // A repeat keeps its snapshot even if a product was archived since.
      const existing = await effects.read(input.reservationId);
      if (existing) return existing;
      throw err;
    }
    const ttl = input.ttlSeconds ?? DEFAULT_RESERVATION_TTL_SECONDS;
    try {
      return (await reservations.create({ _id: input.reservationId, status: 'PENDING', lines, expiresAt: new Date(Date.now() + ttl * 1000) })).toObject();
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return (await effects.read(input.reservationId))!;
    }
  }

  /**
   * Holds all lines or none. Order of writes: the reservation (with its snapshot), its expiry
   * job, each line's hold, the deciding move; a crash anywhere leaves a PENDING reservation that
   * a repeat of this call or the expiry job completes.
   */
  async function reserve(input: ReserveStockInput): Promise<ReservationView> {
    const r = await findOrCreate(input);
    if (!sameLines(r, input)) throw new ConflictError('This reservation id was already used for different lines', { reason: 'RESERVATION_ID_REUSED' });
    const outcome = await drive('reserve', r._id, r);
    if (outcome.ok) return outcome.reservation;
    if (outcome.reason === 'INSUFFICIENT_STOCK') throw insufficientStock(outcome.productId);
    throw new ConflictError('The reservation is changing; try again', { reason: outcome.reason });
  }

  // ---- commit, release, expire ----

  /** The command's common case as one conditional write; otherwise the stored state decides. */
  async function run(command: Exclude<Command, 'reserve'>, id: string): Promise<CommandOutcome> {
    return drive(command, id, await effects.move(id, FIRST_MOVE[command]));
  }

  /** Reserved becomes sold; after expiry/release only if every line can be taken again. Idempotent. */
  const tryCommit = (reservationId: string) => run('commit', reservationId);

  /** The synchronous form for GraphQL: failures become typed errors. */
  async function commit(reservationId: string): Promise<ReservationView> {
    const outcome = await tryCommit(reservationId);
    if (outcome.ok) return outcome.reservation;
    if (outcome.reason === 'NOT_FOUND') throw new NotFoundError('Reservation');
    if (outcome.reason === 'INSUFFICIENT_STOCK') throw insufficientStock(outcome.productId);
    throw new ConflictError(outcome.reason === 'RESERVATION_PENDING' ? 'The reservation is still being placed' : 'The reservation is changing; try again', { reason: outcome.reason });
  }

  /** Gives held stock back; a sold reservation's units come back on hand, once. Null: unknown id. */
  async function end(command: 'release' | 'restock' | 'expire', reservationId: string): Promise<ReservationView | null> {
    const outcome = await run(command, reservationId);
    if (outcome.ok) {
      deps.logger.info('reservation ended', { reservationId, command, status: outcome.reservation.status });
      return outcome.reservation;
    }
    if (outcome.reason === 'NOT_FOUND') return null;
    throw new ConflictError('The reservation is changing; try again', { reason: outcome.reason });
  }

  return {
    reserve,
    release: (reservationId: string) => end('release', reservationId),
    restock: (reservationId: string) => end('restock', reservationId),
    expire: (reservationId: string) => end('expire', reservationId),
    tryCommit,
    commit,
  };
}
export type Inventory = ReturnType<typeof createInventory>;
