import { isDuplicateKeyError } from '../lib/errors';
import type { CatalogModels, ProductDoc, StockEntryDoc } from './model';
import { applyStockOp, available, type StockOp, type StockState } from './stock-state';

/**
 * Atomic stock changes on a server whose updates are not atomic.
 *
 * FerretDB v1 applies an update by reading the document, changing it in Go and writing it back,
 * with nothing stopping a concurrent update in between: 50 concurrent `$inc`s of one field leave
 * it at ~6, and 50 concurrent `{available: {$gte: 1}}` guarded decrements all "match". Inserts
 * into a unique index ARE atomic there (and on MongoDB). So each product's stock is an
 * append-only ledger: entry `<productId>:<seq>` holds the full state after change number seq.
 * A change reads the latest state, computes the next one (stock-state.ts), and claims seq+1 by
 * inserting it; of two racing changes exactly one insert succeeds, the other re-reads and tries
 * again. The stock fields on the product document are a cache of the newest entry it has seen,
 * used for reads and as the starting point; a stale cache costs one extra round, never a wrong
 * answer. The ledger doubles as the stock movement log.
 */
export type ApplyResult = { result: 'applied' | 'noop'; state: StockState } | { result: 'short'; state: StockState } | { result: 'missing' };

const MAX_ROUNDS = 200;

function stateOf(p: Pick<ProductDoc, 'onHand' | 'reserved' | 'holds' | 'closedHolds'>): StockState {
  return { onHand: p.onHand, reserved: p.reserved, holds: p.holds ?? [], closedHolds: p.closedHolds ?? [] };
}

export function createStock(models: Pick<CatalogModels, 'products' | 'stockEntries'>) {
  const { products, stockEntries } = models;
  const entryId = (productId: string, seq: number) => `${productId}:${seq}`;

  /** Best effort: moves the product's cached stock forward to `seq` (never backward). */
  async function cache(productId: string, seq: number, s: StockState): Promise<void> {
    await products.updateOne({ _id: productId, stockSeq: { $lt: seq } }, { $set: { stockSeq: seq, onHand: s.onHand, reserved: s.reserved, available: available(s), holds: s.holds, closedHolds: s.closedHolds } });
  }

  async function apply(productId: string, op: StockOp, opts: { requireActive?: boolean } = {}): Promise<ApplyResult> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const p = await products.findById(productId).lean();
      if (!p || (opts.requireActive && !p.active)) return { result: 'missing' };
      const seq = p.stockSeq ?? 0;
      const next = await stockEntries.findById(entryId(productId, seq + 1)).lean();
      if (next) {
        // The cache is behind: catch up from the ledger and look again.
        await cache(productId, next.seq, stateOf(next));
        continue;
      }
      const state = stateOf(p);
      const t = applyStockOp(state, op);
      if (t.result !== 'applied') return { result: t.result, state };
      try {
        await stockEntries.create({ _id: entryId(productId, seq + 1), productId, seq: seq + 1, ...t.next, op });
      } catch (err) {
        if (isDuplicateKeyError(err)) continue;
        throw err;
      }
      await cache(productId, seq + 1, t.next);
      return { result: 'applied', state: t.next };
    }
    throw new Error(`stock of ${productId} is too contended; try again`);
  }

  /** The authoritative stock right now (the ledger head), bringing the cache up to date on the way. */
  async function current(productId: string): Promise<StockState | null> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const p = await products.findById(productId).lean();
      if (!p) return null;
      const next = await stockEntries.findById(entryId(productId, (p.stockSeq ?? 0) + 1)).lean();
      if (!next) return stateOf(p);
      await cache(productId, next.seq, stateOf(next));
    }
    throw new Error(`stock of ${productId} is too contended; try again`);
  }

  return { apply, current };
}
export type Stock = ReturnType<typeof createStock>;
export type { StockEntryDoc };
