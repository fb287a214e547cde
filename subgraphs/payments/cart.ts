import type { Model } from 'mongoose';
import { z } from 'zod';
import { BadUserInputError, ConflictError, NotFoundError, isDuplicateKeyError } from '../lib/errors';
import type { InternalCall } from '../lib/internal-client';
import { newId } from '../lib/ids';
import type { CartDoc, CartLineDoc } from './model';

/**
 * The customer's cart: product ids and quantities only. Prices and availability are never copied
 * here; the cart shows them live through the Product entity, and checkout prices the lines from
 * the catalog at that moment.
 */
export const CART_LIMITS = { maxLines: 50, maxQuantity: 99 } as const;

export const productIdSchema = z.string().trim().min(1, 'is required').max(64, 'is too long');
export const quantitySchema = z.number().int('must be a whole number').min(1, 'must be at least 1').max(CART_LIMITS.maxQuantity, `must be at most ${CART_LIMITS.maxQuantity}`);
export const cartLineInputSchema = z.object({ productId: productIdSchema, quantity: quantitySchema });
export const addToCartSchema = z.object({ productId: productIdSchema, quantity: quantitySchema.default(1) });
export const setQuantitySchema = z.object({ productId: productIdSchema, quantity: z.number().int('must be a whole number').min(0, 'must be 0 (remove) or more').max(CART_LIMITS.maxQuantity, `must be at most ${CART_LIMITS.maxQuantity}`) });
export const removeFromCartSchema = z.object({ productId: productIdSchema });

/** Pure: the lines after adding `quantity` of a product (merged into its line). */
export function addLine(lines: CartLineDoc[], productId: string, quantity: number): CartLineDoc[] {
  const existing = lines.find((l) => l.productId === productId);
  return setLine(lines, productId, (existing?.quantity ?? 0) + quantity);
}

/** Pure: the lines with a product's quantity set; 0 removes the line. */
export function setLine(lines: CartLineDoc[], productId: string, quantity: number): CartLineDoc[] {
  if (quantity > CART_LIMITS.maxQuantity) throw new BadUserInputError(`quantity: at most ${CART_LIMITS.maxQuantity} of one product`, ['quantity'], { maxQuantity: CART_LIMITS.maxQuantity });
  if (quantity <= 0) return lines.filter((l) => l.productId !== productId);
  if (lines.some((l) => l.productId === productId)) return lines.map((l) => (l.productId === productId ? { productId, quantity } : l));
  if (lines.length >= CART_LIMITS.maxLines) throw new BadUserInputError(`productId: a cart holds at most ${CART_LIMITS.maxLines} different products`, ['productId'], { maxLines: CART_LIMITS.maxLines });
  return [...lines, { productId, quantity }];
}

/**
 * Concurrent edits of one cart (two tabs) each retry after losing a compare-and-set; every round
 * lets at least one through, so this bounds the edits that may race at once.
 */
const MAX_CART_ATTEMPTS = 20;

/** `products` answers whether a product is on sale (an internal call to the products subgraph). */
export function createCartStore(carts: Model<CartDoc>, products: InternalCall) {
  /** The customer's cart, created empty on first use (the unique customerId lets one creation win). */
  async function get(customerId: string): Promise<CartDoc> {
    const found = await carts.findOne({ customerId }).lean<CartDoc>();
    if (found) return found;
    try {
      return (await carts.create({ _id: newId('cart'), customerId, lines: [], version: 0 })).toObject() as CartDoc;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err; // created concurrently
      return (await carts.findOne({ customerId }).lean<CartDoc>())!;
    }
  }

  /**
   * One single-document update, compare-and-set on `version`: the new lines replace exactly the
   * lines they were computed from, so a concurrent edit is never overwritten; the loser re-reads
   * and applies its change on top. (Merging, limits and "0 removes" stay one pure function.)
   */
  async function change(customerId: string, fn: (lines: CartLineDoc[]) => CartLineDoc[]): Promise<CartDoc> {
    let current = await get(customerId);
    for (let attempt = 0; attempt < MAX_CART_ATTEMPTS; attempt++) {
      const lines = fn(current.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })));
      const updated = await carts.findOneAndUpdate({ _id: current._id, version: current.version }, { $set: { lines }, $inc: { version: 1 } }, { new: true }).lean<CartDoc>();
      if (updated) return updated;
      current = (await carts.findById(current._id).lean<CartDoc>())!;
    }
    throw new ConflictError('The cart is changing concurrently; try again');
  }

  return {
    get,
    async add(customerId: string, productId: string, quantity: number): Promise<CartDoc> {
      await ensureProductOnSale(products, productId);
      return change(customerId, (lines) => addLine(lines, productId, quantity));
    },
    /** 0 removes the line (no product check: a product taken off sale can always leave the cart). */
    async setQuantity(customerId: string, productId: string, quantity: number): Promise<CartDoc> {
      if (quantity > 0) await ensureProductOnSale(products, productId);
      return change(customerId, (lines) => setLine(lines, productId, quantity));
    },
    remove: (customerId: string, productId: string) => change(customerId, (lines) => setLine(lines, productId, 0)),
    /** Emptying depends on nothing read, so it is one plain update (the version still moves, for the edits racing it). */
    async clear(customerId: string): Promise<CartDoc> {
      const cleared = await carts.findOneAndUpdate({ customerId }, { $set: { lines: [] }, $inc: { version: 1 } }, { new: true }).lean<CartDoc>();
      return cleared ?? get(customerId);
    },
  };
}
export type CartStore = ReturnType<typeof createCartStore>;

const PRODUCT_FOR_CART = `query ProductForCart($id: ID!) { product(id: $id) { id active } }`;

/**
 * Only products on sale go into a cart (one call to products when adding; checkout itself reads
 * the cart locally). Without this, an unknown id would break the cart's Product resolution.
 */
async function ensureProductOnSale(products: InternalCall, productId: string): Promise<void> {
  const { product } = await products<{ product: { id: string; active: boolean } | null }>(PRODUCT_FOR_CART, { id: productId });
  if (!product || !product.active) throw new NotFoundError('Product');
}
