/**
 * Pure stock arithmetic: one product's stock as a value, and the operations on it.
 *
 * Holds are tracked by marker (`<reservationId>:<generation>`), so each hold is applied and
 * settled at most once. A settled marker is remembered (the newest CLOSED_MEMORY of them) so that
 * a late duplicate of a hold, arriving after the hold was already sold or given back, is a no-op
 * instead of a second hold.
 */
export interface StockState {
  onHand: number;
  reserved: number;
  /** Markers of holds currently counted in `reserved`. */
  holds: string[];
  /** Recently settled (sold or given back) markers, newest last. */
  closedHolds: string[];
}

export type StockOp =
  | { kind: 'hold'; marker: string; qty: number }
  | { kind: 'undo'; marker: string; qty: number }
  | { kind: 'sell'; marker: string; qty: number }
  /** Sold units come back on hand (a cancelled order), once per marker. */
  | { kind: 'restock'; marker: string; qty: number }
  | { kind: 'adjust'; delta: number; reason: string; actor: string };

export type Transition = { result: 'applied'; next: StockState } | { result: 'noop' } | { result: 'short' };

export const CLOSED_MEMORY = 256;

export const available = (s: Pick<StockState, 'onHand' | 'reserved'>) => s.onHand - s.reserved;

function close(s: StockState, marker: string): Pick<StockState, 'holds' | 'closedHolds'> {
  return { holds: s.holds.filter((m) => m !== marker), closedHolds: [...s.closedHolds, marker].slice(-CLOSED_MEMORY) };
}

export function applyStockOp(s: StockState, op: StockOp): Transition {
  switch (op.kind) {
    case 'hold':
      if (s.holds.includes(op.marker) || s.closedHolds.includes(op.marker)) return { result: 'noop' };
      if (available(s) < op.qty) return { result: 'short' };
      return { result: 'applied', next: { ...s, reserved: s.reserved + op.qty, holds: [...s.holds, op.marker] } };
    case 'undo':
      if (!s.holds.includes(op.marker)) return { result: 'noop' };
      return { result: 'applied', next: { ...s, reserved: s.reserved - op.qty, ...close(s, op.marker) } };
    case 'sell':
      if (!s.holds.includes(op.marker)) return { result: 'noop' };
      return { result: 'applied', next: { ...s, onHand: s.onHand - op.qty, reserved: s.reserved - op.qty, ...close(s, op.marker) } };
    case 'restock':
      if (s.closedHolds.includes(op.marker)) return { result: 'noop' };
      return { result: 'applied', next: { ...s, onHand: s.onHand + op.qty, closedHolds: [...s.closedHolds, op.marker].slice(-CLOSED_MEMORY) } };
    case 'adjust':
      // On hand never drops below what is reserved.
      if (s.onHand + op.delta < s.reserved) return { result: 'short' };
      return { result: 'applied', next: { ...s, onHand: s.onHand + op.delta } };
  }
}
