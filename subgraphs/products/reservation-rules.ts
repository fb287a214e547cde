/**
 * The reservation state machine as data (pure; unit-tested next to this file). The stored
 * document says what the reservation is and, with `settled`, whether the stock effect of that
 * status is complete; inventory.ts moves it only by the conditional updates in MOVES and
 * reservation-effects.ts carries out what a status owes.
 *
 *   PENDING ──held──► HELD ──commit──► COMMITTED ──return──► RETURNED
 *      │ short          │ release/expire    ▲
 *      ▼                ▼                   │ retaken
 *    FAILED        RELEASED | EXPIRED ──retake──► RETAKING ──short──► FAILED
 *   (PENDING can also be released or expired directly.)
 */
export const RESERVATION_STATUSES = ['PENDING', 'HELD', 'COMMITTED', 'RELEASED', 'EXPIRED', 'FAILED', 'RETAKING', 'RETURNED'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];
export type PublicStatus = 'HELD' | 'COMMITTED' | 'RELEASED' | 'EXPIRED';

/** What inventory.ts needs to know about a stored reservation to decide. */
export interface ReservationState {
  _id: string;
  status: ReservationStatus;
  /** The stock effect the status owes (owedEffect) is complete. */
  settled: boolean;
  /** A commit after expiry or release took the stock again (at most once per reservation). */
  retaken: boolean;
}

export interface Move {
  from: readonly ReservationStatus[];
  /** Only once the previous status's stock effect is complete (its holds are sold or back). */
  onlySettled?: boolean;
  to: ReservationStatus;
  /** The new status's effect is already complete when it is reached (HELD owes nothing). */
  settles?: boolean;
  retakes?: boolean;
}

/** Every way a reservation changes status; each is one findOneAndUpdate filtered on `from`. */
export const MOVES = {
  /** Every checkout line is held; the move records which write holds each line. */
  held: { from: ['PENDING'], to: 'HELD', settles: true },
  /** A line was short while holding: what was held goes back. Decided before giving back, so
   *  a concurrent holder of the same lines can never finish the hold. */
  short: { from: ['PENDING', 'RETAKING'], to: 'FAILED' },
  commit: { from: ['HELD'], to: 'COMMITTED' },
  release: { from: ['PENDING', 'HELD'], to: 'RELEASED' },
  expire: { from: ['PENDING', 'HELD'], to: 'EXPIRED' },
  /** A commit after expiry/release takes the stock again: only after the first hold is fully back. */
  retake: { from: ['RELEASED', 'EXPIRED'], onlySettled: true, to: 'RETAKING', retakes: true },
  /** Every line is held again (recording which write holds each): sell it. */
  retaken: { from: ['RETAKING'], to: 'COMMITTED' },
  /** A sold reservation's order was canceled: the units come back on hand, once. */
  return: { from: ['COMMITTED'], onlySettled: true, to: 'RETURNED' },
} as const satisfies Record<string, Move>;
export type MoveName = keyof typeof MOVES;

export type StockEffect = 'sell' | 'give-back' | 'return';

/** The stock effect a stored status still owes; PENDING and RETAKING are driven by their holders. */
export function owedEffect(r: Pick<ReservationState, 'status' | 'settled'>): StockEffect | null {
  if (r.settled) return null;
  switch (r.status) {
    case 'COMMITTED':
      return 'sell';
    case 'RELEASED':
    case 'EXPIRED':
    case 'FAILED':
      return 'give-back';
    case 'RETURNED':
      return 'return';
    default:
      return null;
  }
}

export type Command = 'reserve' | 'commit' | 'release' | 'restock' | 'expire';
export type Refusal = 'RESERVATION_PENDING' | 'INSUFFICIENT_STOCK';
export type Step = { kind: 'answer' } | { kind: 'refuse'; reason: Refusal } | { kind: 'move'; move: MoveName } | { kind: 'hold' };

/** The first thing each command tries: its common case in one conditional write. */
export const FIRST_MOVE: Record<Exclude<Command, 'reserve'>, MoveName> = { commit: 'commit', release: 'release', restock: 'return', expire: 'expire' };

/**
 * What a command does with a reservation found in `status` once what that status owed is done.
 * 'hold' means: place the holds of the current attempt (PENDING: checkout, RETAKING: the re-take).
 */
export function nextStep(command: Command, status: ReservationStatus): Step {
  const answer = { kind: 'answer' } as const;
  const move = (m: MoveName): Step => ({ kind: 'move', move: m });
  switch (command) {
    case 'reserve':
      if (status === 'PENDING') return { kind: 'hold' };
      if (status === 'FAILED') return { kind: 'refuse', reason: 'INSUFFICIENT_STOCK' };
      return answer;
    case 'commit':
      switch (status) {
        case 'HELD':
          return move('commit');
        case 'PENDING':
          return { kind: 'refuse', reason: 'RESERVATION_PENDING' };
        case 'FAILED':
          return { kind: 'refuse', reason: 'INSUFFICIENT_STOCK' };
        case 'RELEASED':
        case 'EXPIRED':
          return move('retake');
        case 'RETAKING':
          return { kind: 'hold' };
        default:
          return answer;
      }
    case 'release':
      // A hold that will never be paid. A sold reservation is never given back by a release.
      if (status === 'PENDING' || status === 'HELD') return move('release');
      return answer;
    case 'restock':
      // A sold reservation whose order was canceled: its units come back on hand, once.
      if (status === 'COMMITTED') return move('return');
      return answer;
    case 'expire':
      // Expiry concerns the checkout hold only; anything later belongs to a paid commit.
      if (status === 'PENDING' || status === 'HELD') return move('expire');
      return answer;
  }
}

/** Hold key on the product: the checkout hold and the re-take are different holds. */
export function holdKey(r: Pick<ReservationState, '_id' | 'retaken'>): string {
  return r.retaken ? `${r._id}/retake` : r._id;
}

/**
 * The holds a caller placed that do not count: the deciding move (to HELD, or COMMITTED after a
 * re-take) records which write holds each line; a hold of ours it did not record is a late
 * duplicate (it landed after the line's first hold was sold or given back) or belongs to an
 * attempt that ended without us. Either way its placer takes it back.
 */
export function holdsThatDoNotCount(placed: readonly LineToken[], recorded: readonly LineToken[]): LineToken[] {
  return placed.filter((mine) => !recorded.some((r) => r.p === mine.p && r.t === mine.t));
}

/** Which write (its token) counts for a line of a reservation: its hold, or its return. */
export interface LineToken {
  p: string;
  t: string;
}

/** What clients see: internal statuses map onto the public four. */
export function publicStatus(status: ReservationStatus): PublicStatus {
  switch (status) {
    case 'PENDING':
      return 'HELD';
    case 'RETAKING':
      return 'EXPIRED';
    case 'FAILED':
    case 'RETURNED':
      return 'RELEASED';
    default:
      return status;
  }
}
