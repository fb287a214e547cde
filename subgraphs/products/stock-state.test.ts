import { CLOSED_MEMORY, applyStockOp, type StockState } from './stock-state';

const state = (over: Partial<StockState> = {}): StockState => ({ onHand: 10, reserved: 0, holds: [], closedHolds: [], ...over });

describe('stock arithmetic', () => {
  it('holds only what is available, once per marker', () => {
    const t = applyStockOp(state({ reserved: 8 }), { kind: 'hold', marker: 'r:1', qty: 2 });
    expect(t).toEqual({ result: 'applied', next: state({ reserved: 10, holds: ['r:1'] }) });
    expect(applyStockOp(state({ reserved: 9 }), { kind: 'hold', marker: 'r:1', qty: 2 })).toEqual({ result: 'short' });
    expect(applyStockOp(state({ reserved: 2, holds: ['r:1'] }), { kind: 'hold', marker: 'r:1', qty: 2 })).toEqual({ result: 'noop' });
  });

  it('never re-holds a marker that was already sold or given back', () => {
    expect(applyStockOp(state({ closedHolds: ['r:1'] }), { kind: 'hold', marker: 'r:1', qty: 1 })).toEqual({ result: 'noop' });
  });

  it('sells or gives back a hold at most once', () => {
    const held = state({ reserved: 3, holds: ['r:1'] });
    expect(applyStockOp(held, { kind: 'sell', marker: 'r:1', qty: 3 })).toEqual({ result: 'applied', next: state({ onHand: 7, closedHolds: ['r:1'] }) });
    expect(applyStockOp(held, { kind: 'undo', marker: 'r:1', qty: 3 })).toEqual({ result: 'applied', next: state({ closedHolds: ['r:1'] }) });
    expect(applyStockOp(state({ closedHolds: ['r:1'] }), { kind: 'sell', marker: 'r:1', qty: 3 })).toEqual({ result: 'noop' });
    expect(applyStockOp(state(), { kind: 'undo', marker: 'r:1', qty: 3 })).toEqual({ result: 'noop' });
  });

  it('puts sold units back on hand once per return marker', () => {
    const sold = state({ onHand: 7, closedHolds: ['r:1'] });
    expect(applyStockOp(sold, { kind: 'restock', marker: 'r:restock', qty: 3 })).toEqual({ result: 'applied', next: state({ onHand: 10, closedHolds: ['r:1', 'r:restock'] }) });
    expect(applyStockOp(state({ closedHolds: ['r:restock'] }), { kind: 'restock', marker: 'r:restock', qty: 3 })).toEqual({ result: 'noop' });
  });

  it('keeps on hand at or above reserved when adjusting', () => {
    const s = state({ reserved: 4, holds: ['a'] });
    expect(applyStockOp(s, { kind: 'adjust', delta: -6, reason: 'count', actor: 'x' })).toMatchObject({ result: 'applied', next: { onHand: 4 } });
    expect(applyStockOp(s, { kind: 'adjust', delta: -7, reason: 'count', actor: 'x' })).toEqual({ result: 'short' });
    expect(applyStockOp(s, { kind: 'adjust', delta: 5, reason: 'delivery', actor: 'x' })).toMatchObject({ result: 'applied', next: { onHand: 15 } });
  });

  it('remembers a bounded number of settled markers', () => {
    let s = state({ onHand: 1000 });
    for (let i = 0; i < CLOSED_MEMORY + 10; i++) {
      const held = applyStockOp(s, { kind: 'hold', marker: `m${i}`, qty: 1 });
      if (held.result !== 'applied') throw new Error('expected a hold');
      const sold = applyStockOp(held.next, { kind: 'undo', marker: `m${i}`, qty: 1 });
      if (sold.result !== 'applied') throw new Error('expected an undo');
      s = sold.next;
    }
    expect(s.closedHolds).toHaveLength(CLOSED_MEMORY);
    expect(s.closedHolds.at(-1)).toBe(`m${CLOSED_MEMORY + 9}`);
    expect(s.reserved).toBe(0);
  });
});
