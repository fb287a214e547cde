import { randomBytes } from 'node:crypto';
import type { CatalogModels, LineToken, MovementKind, ReservationDoc, ReservationLine } from './model';
import { MOVES, holdKey, holdsThatDoNotCount, owedEffect, type Move, type MoveName } from './reservation-rules';
import type { ReservationMovement, Stock } from './stock';

/**
 * The writes of a reservation: its conditional status moves, and the stock effects each status
 * owes (reservation-rules.ts), carried out line by line with the keyed product writes of
 * stock.ts. Every step can be repeated: a move's filter names the state it leaves, a product
 * write's filter names whether its key is there, a settle's filter names the unsettled status.
 */
export type HoldOutcome = { moved: ReservationDoc } | { lost: ReservationDoc };

const newToken = () => randomBytes(8).toString('hex');

const movementsOf = (r: ReservationDoc, lines: ReservationLine[], kind: MovementKind): ReservationMovement[] =>
  lines.map((l) => ({ reservationId: r._id, productId: l.productId, kind, quantity: l.quantity }));

export function createReservationEffects(models: Pick<CatalogModels, 'reservations'>, stock: Stock) {
  const { reservations } = models;
  const read = (id: string) => reservations.findById(id).lean();

  /** One conditional update; null when the reservation was not in a state the move leaves. */
  async function move(id: string, name: MoveName, set: Partial<ReservationDoc> = {}): Promise<ReservationDoc | null> {
    const m: Move = MOVES[name];
    const filter = { _id: id, status: { $in: [...m.from] }, ...(m.onlySettled ? { settled: true } : {}) };
    const update = { ...set, status: m.to, settled: m.settles ?? false, ...(m.retakes ? { retaken: true } : {}) };
    return reservations.findOneAndUpdate(filter, { $set: update }, { new: true }).lean();
  }

  /** Marks the current status's effect complete (whoever gets there first); returns the stored doc. */
  async function settle(r: ReservationDoc): Promise<ReservationDoc> {
    const settled = await reservations.findOneAndUpdate({ _id: r._id, status: r.status, settled: false }, { $set: { settled: true } }, { new: true }).lean();
    return settled ?? (await read(r._id))!;
  }

  /** Carries out what the stored status owes, then settles it. Repeatable at every point. */
  async function finish(r: ReservationDoc): Promise<ReservationDoc> {
    const effect = owedEffect(r);
    if (!effect) return r;
    if (effect === 'sell') await sellAll(r);
    else if (effect === 'give-back') await giveBackAll(r, r.retaken);
    else await returnAll(r);
    return settle(r);
  }

  /**
   * Places the holds of the current attempt (PENDING: the checkout, RETAKING: the re-take), then
   * makes the one move that decides it: all held (recording which write holds each line), or
   * short (decided before anything is given back, so a concurrent holder cannot finish a
   * half-held reservation).
   */
  async function placeHolds(r: ReservationDoc): Promise<HoldOutcome> {
    const key = holdKey(r);
    const token = newToken();
    const holding: LineToken[] = [];
    const placed: LineToken[] = [];
    let shortProductId: string | null = null;
    for (const line of r.lines) {
      // An archived product can still be sold to a paid order (the re-take); not newly reserved.
      const result = await stock.hold(line.productId, key, token, line.quantity, !r.retaken);
      if (!result.held) {
        shortProductId = line.productId;
        break;
      }
      holding.push({ p: line.productId, t: result.token });
      if (result.placed) placed.push({ p: line.productId, t: token });
    }
    const heldLines = r.lines.filter((l) => holding.some((h) => h.p === l.productId));
    await stock.logReservationMovements(movementsOf(r, heldLines, r.retaken ? 'retake' : 'hold'));
    const moved = shortProductId ? await move(r._id, 'short', { shortProductId }) : await move(r._id, r.retaken ? 'retaken' : 'held', { held: holding });
    if (moved) return { moved };
    return { lost: await takeBackUncounted(r, placed) };
  }

  /** Someone else decided the attempt while we held: take back the holds of ours it does not count. */
  async function takeBackUncounted(r: ReservationDoc, placed: LineToken[]): Promise<ReservationDoc> {
    const found = (await read(r._id))!;
    const key = holdKey(r);
    await Promise.all(
      holdsThatDoNotCount(placed, found.held).map((h) => stock.endHold(h.p, key, r.lines.find((l) => l.productId === h.p)!.quantity, 'give-back', h.t)),
    );
    return found;
  }

  async function giveBackAll(r: ReservationDoc, retaken: boolean): Promise<void> {
    const key = holdKey({ _id: r._id, retaken });
    const given = await Promise.all(r.lines.map((l) => stock.endHold(l.productId, key, l.quantity, 'give-back')));
    await stock.logReservationMovements(movementsOf(r, r.lines.filter((_, i) => given[i]), retaken ? 'retake-give-back' : 'give-back'));
  }

  /** Sells exactly the holds the move to COMMITTED's attempt recorded (never a late duplicate). */
  async function sellAll(r: ReservationDoc): Promise<void> {
    const key = holdKey(r);
    const tokenOf = (productId: string) => r.held.find((h) => h.p === productId)?.t;
    await Promise.all(r.lines.map((l) => stock.endHold(l.productId, key, l.quantity, 'sell', tokenOf(l.productId))));
    // Every line was held when the reservation became COMMITTED, so now every line is sold:
    // logging all of them also fills in entries a crashed seller did not get to log.
    await stock.logReservationMovements(movementsOf(r, r.lines, 'sell'));
  }

  /**
   * Sold units come back on hand exactly once per line. The product's in-flight key admits one
   * return per reservation at a time; the reservation records which write's token returned the
   * line (first record wins). A write that finds another token recorded is a duplicate (it came
   * after the winner's key was cleared) and takes its units back; a writer that finds a key in
   * flight records it for its (possibly crashed) writer. Keys are cleared once recorded.
   */
  async function returnAll(r: ReservationDoc): Promise<void> {
    const token = newToken();
    const recorded = new Map<string, string | null>(r.returned.map((x) => [x.p, x.t]));
    for (const line of r.lines) {
      if (!recorded.has(line.productId)) recorded.set(line.productId, await returnLine(r._id, line, token));
    }
    await Promise.all([...recorded].map(([productId, t]) => (t ? stock.clearReturn(productId, r._id, t) : undefined)));
    await stock.logReservationMovements(movementsOf(r, r.lines, 'return'));
  }

  /** Returns one line (or confirms it returned); gives the recorded token, null if already cleared. */
  async function returnLine(id: string, line: ReservationLine, myToken: string): Promise<string | null> {
    const applied = await stock.returnSold(line.productId, id, myToken, line.quantity);
    const token = applied ? myToken : await stock.returnInFlight(line.productId, id);
    if (!token) return null; // recorded and cleared already
    const recorded = await reservations.updateOne({ _id: id, 'returned.p': { $ne: line.productId } }, { $push: { returned: { p: line.productId, t: token } } });
    if (recorded.modifiedCount === 1) return token;
    const winner = (await read(id))!.returned.find((x) => x.p === line.productId)!.t;
    if (winner !== token) await stock.undoReturn(line.productId, id, token, line.quantity);
    return winner;
  }

  return { move, settle, finish, placeHolds, read };
}
export type ReservationEffects = ReturnType<typeof createReservationEffects>;
