import { Types } from 'mongoose';
import type { CatalogModels, MovementKind, ProductDoc, StockMovementDoc } from './model';

/**
 * Every change of a product's stock is ONE conditional update of the product document: the
 * filter carries the condition (enough available, this hold open or not) and the update moves
 * onHand/reserved/available and the hold entries together, so a change happens whole or not at
 * all and a repeat of it matches nothing. The product keeps entries for OPEN holds and in-flight
 * returns only: a sell or give-back removes its entry in the same update as its $inc. Entries
 * carry the token of the call that wrote them, so a late duplicate (written after the first
 * entry was already sold and removed) can be told apart from the write that counts.
 */
/** Held: by this write (`placed`) or by an earlier one; `token` names the write that holds. */
export type HoldResult = { held: true; placed: boolean; token: string } | { held: false };

export interface StockLevels {
  onHand: number;
  reserved: number;
  available: number;
}

/** How each kind of movement changes the three numbers, for `qty` units. */
export function movementDelta(kind: MovementKind, qty: number): StockLevels {
  switch (kind) {
    case 'hold':
    case 'retake':
      return { onHand: 0, reserved: qty, available: -qty };
    case 'give-back':
    case 'retake-give-back':
      return { onHand: 0, reserved: -qty, available: qty };
    case 'sell':
      return { onHand: -qty, reserved: -qty, available: 0 };
    case 'return':
    case 'adjust':
      return { onHand: qty, reserved: 0, available: qty };
  }
}

const $inc = (d: StockLevels) => ({ onHand: d.onHand, reserved: d.reserved, available: d.available });

export interface ReservationMovement {
  reservationId: string;
  productId: string;
  kind: MovementKind;
  quantity: number;
}

type WriteErrorLike = { code?: number; err?: { code?: number } };

function isOnlyDuplicateKeys(err: unknown): boolean {
  // One write error may come as an object, several as an array; Mongoose passes plain {err}s.
  const e = err as { code?: number; writeErrors?: WriteErrorLike | WriteErrorLike[] };
  const writeErrors = e.writeErrors === undefined ? [] : [e.writeErrors].flat();
  return writeErrors.length ? writeErrors.every((w) => (w.code ?? w.err?.code) === 11000) : e.code === 11000;
}

export function createStock(models: Pick<CatalogModels, 'products' | 'movements'>) {
  const { products, movements } = models;

  /** Holds `qty` units under `key` (written by `token`) if they are available and nothing holds under `key`. */
  async function hold(productId: string, key: string, token: string, qty: number, requireActive: boolean): Promise<HoldResult> {
    const res = await products.updateOne(
      { _id: productId, ...(requireActive ? { active: true } : {}), available: { $gte: qty }, 'holds.k': { $ne: key } },
      { $inc: $inc(movementDelta('hold', qty)), $push: { holds: { k: key, t: token } } },
    );
    if (res.modifiedCount === 1) return { held: true, placed: true, token };
    // Refused: either something already holds under this key (a repeat) or the units are not there.
    const p = await products.findOne({ _id: productId, 'holds.k': key }, { holds: { $elemMatch: { k: key } } }).lean();
    const present = p?.holds[0]?.t;
    return present ? { held: true, placed: false, token: present } : { held: false };
  }

  /**
   * Ends the hold under `key` (only the one written by `token`, when given): its units are sold
   * (leave on hand) or given back (become available).
   */
  async function endHold(productId: string, key: string, qty: number, how: 'sell' | 'give-back', token?: string): Promise<boolean> {
    const entry = token ? { k: key, t: token } : { k: key };
    const res = await products.updateOne({ _id: productId, holds: { $elemMatch: entry } }, { $inc: $inc(movementDelta(how, qty)), $pull: { holds: entry } });
    return res.modifiedCount === 1;
  }

  /**
   * Puts sold units back on hand under the in-flight key {r, t}: at most one return per
   * reservation is in flight on a product, whichever writer `t` it was (reservation-effects.ts
   * records the winning token and undoes any other).
   */
  async function returnSold(productId: string, reservationId: string, token: string, qty: number): Promise<boolean> {
    const res = await products.updateOne(
      { _id: productId, 'returning.r': { $ne: reservationId } },
      { $inc: $inc(movementDelta('return', qty)), $push: { returning: { r: reservationId, t: token } } },
    );
    return res.modifiedCount === 1;
  }

  /** The token of the return of `reservationId` in flight on the product, if any. */
  async function returnInFlight(productId: string, reservationId: string): Promise<string | null> {
    const p = await products.findOne({ _id: productId, 'returning.r': reservationId }, { returning: 1 }).lean();
    return p?.returning.find((k) => k.r === reservationId)?.t ?? null;
  }

  /** Takes back a duplicate return (one whose token lost): its units were never really returned. */
  async function undoReturn(productId: string, reservationId: string, token: string, qty: number): Promise<void> {
    const back = movementDelta('return', -qty);
    await products.updateOne({ _id: productId, returning: { $elemMatch: { r: reservationId, t: token } } }, { $inc: $inc(back), $pull: { returning: { r: reservationId, t: token } } });
  }

  /** Drops the recorded return's key once the reservation remembers which write it was. */
  async function clearReturn(productId: string, reservationId: string, token: string): Promise<void> {
    await products.updateOne({ _id: productId }, { $pull: { returning: { r: reservationId, t: token } } });
  }

  /** An admin's count correction: on hand never drops below what is reserved. Null when refused. */
  async function adjust(productId: string, delta: number): Promise<ProductDoc | null> {
    return products.findOneAndUpdate({ _id: productId, available: { $gte: -delta } }, { $inc: $inc(movementDelta('adjust', delta)) }, { new: true }).lean();
  }

  /** The stock of a product right now (null: no such product). */
  async function current(productId: string): Promise<StockLevels | null> {
    return products.findById(productId, { onHand: 1, reserved: 1, available: 1, _id: 0 }).lean();
  }

  /** Logs reservation movements in one insert; ones already logged (a retry) are skipped by their _id. */
  async function logReservationMovements(entries: ReservationMovement[]): Promise<void> {
    if (!entries.length) return;
    const at = new Date();
    const docs = entries.map((m): StockMovementDoc => ({
      _id: `${m.reservationId}:${m.kind}:${m.productId}`,
      productId: m.productId,
      kind: m.kind,
      reservationId: m.reservationId,
      delta: movementDelta(m.kind, m.quantity),
      reason: null,
      actor: null,
      at,
    }));
    // lean: the documents are complete (fixed _ids, no defaults or timestamps), so no Mongoose documents are built.
    await movements.insertMany(docs, { ordered: false, lean: true }).catch((err: unknown) => {
      if (!isOnlyDuplicateKeys(err)) throw err;
    });
  }

  async function logAdjustment(productId: string, delta: number, reason: string, actor: string): Promise<void> {
    const _id = `${productId}:adjust:${new Types.ObjectId().toHexString()}`;
    await movements.create({ _id, productId, kind: 'adjust', reservationId: null, delta: movementDelta('adjust', delta), reason, actor, at: new Date() });
  }

  return { hold, endHold, returnSold, returnInFlight, undoReturn, clearReturn, adjust, current, logReservationMovements, logAdjustment };
}
export type Stock = ReturnType<typeof createStock>;
