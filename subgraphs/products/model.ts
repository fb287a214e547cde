import { Schema, type Connection, type Model } from 'mongoose';
import { RESERVATION_STATUSES, type LineToken, type ReservationStatus } from './reservation-rules';

/**
 * The products database: the catalog (products, categories), reservations that hold stock for
 * checkouts, and the stock movement log.
 *
 * A product's stock lives on the product: onHand, reserved and available (= onHand - reserved,
 * stored so `inStockOnly` is a plain filter), plus the keys of the reservations whose holds or
 * returns are open on it. Only stock.ts writes those fields, each change one conditional update.
 */

/** An open hold on a product: its key and the token of the write that placed it. */
export interface HoldEntry {
  k: string;
  t: string;
}

/** An in-flight return of sold units on a product: the reservation and the writing call's token. */
export interface ReturnKey {
  r: string;
  t: string;
}

export interface ProductDoc {
  _id: string;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  categoryId: string | null;
  images: string[];
  active: boolean;
  onHand: number;
  reserved: number;
  available: number;
  /** The open holds counted in `reserved` (key `<reservationId>`, or `<reservationId>/retake`). */
  holds: HoldEntry[];
  /** Returns of sold units in flight (stock.ts returnSold). */
  returning: ReturnKey[];
  /** Lower-cased name, for NAME_ASC sorting and its index. */
  nameKey: string;
  /** Lower-cased words of sku, name and description, for indexed word-prefix search. */
  searchTerms: string[];
  /**
   * Bumped by every write of searchTerms (search-index.ts): the version its prefix entries carry.
   * Absent on products written before the search index existed (or by code that bypasses the
   * catalog); `backfill` indexes those.
   */
  searchVersion?: number;
  createdAt: Date;
  updatedAt: Date;
}

const productSchema = new Schema<ProductDoc>(
  {
    _id: { type: String, required: true },
    sku: { type: String, required: true },
    name: { type: String, required: true },
    description: { type: String, default: '' },
    priceCents: { type: Number, required: true, min: 0 },
    currency: { type: String, required: true },
    categoryId: { type: String, default: null },
    images: { type: [String], default: [] },
    active: { type: Boolean, default: true },
    onHand: { type: Number, default: 0, min: 0 },
    reserved: { type: Number, default: 0, min: 0 },
    available: { type: Number, default: 0, min: 0 },
    holds: { type: [new Schema<HoldEntry>({ k: String, t: String }, { _id: false })], default: [] },
    returning: { type: [new Schema<ReturnKey>({ r: String, t: String }, { _id: false })], default: [] },
    nameKey: { type: String, default: '' },
    searchTerms: { type: [String], default: [] },
    searchVersion: { type: Number },
  },
  { timestamps: true, versionKey: false },
);
// Keeps the derived fields right for documents created through the model (tests, seeds); service
// code sets them explicitly so raw updates stay correct too.
productSchema.pre('validate', function deriveFields() {
  if (this.isNew) {
    this.available = (this.onHand ?? 0) - (this.reserved ?? 0);
    this.nameKey = nameKey(this.name);
    this.searchTerms = searchTerms(this);
  }
});
productSchema.index({ sku: 1 }, { unique: true });
productSchema.index({ active: 1, categoryId: 1, priceCents: 1, _id: 1 });
productSchema.index({ active: 1, priceCents: 1, _id: 1 });
productSchema.index({ active: 1, nameKey: 1, _id: 1 });
productSchema.index({ active: 1, createdAt: -1, _id: -1 });
productSchema.index({ searchTerms: 1 });

export function nameKey(name: string): string {
  return name.trim().toLowerCase();
}

const MAX_SEARCH_TERMS = 64;

/** Words split on white space only (punctuation stays, so it can be searched literally), sku and name first. */
export function searchTerms(p: { sku: string; name: string; description?: string }): string[] {
  const words = `${p.sku} ${p.name} ${p.description ?? ''}`.toLowerCase().split(/\s+/).filter(Boolean);
  return [...new Set(words)].slice(0, MAX_SEARCH_TERMS);
}

export interface CategoryDoc {
  _id: string;
  name: string;
  slug: string;
  parentId: string | null;
  /** Every ancestor id, root first: descendants of X are `{ ancestors: X }`. */
  ancestors: string[];
  createdAt: Date;
  updatedAt: Date;
}

const categorySchema = new Schema<CategoryDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    slug: { type: String, required: true },
    parentId: { type: String, default: null },
    ancestors: { type: [String], default: [] },
  },
  { timestamps: true, versionKey: false },
);
categorySchema.index({ slug: 1 }, { unique: true });
// Children of a category in name order (and "has children?"); every category in name order.
categorySchema.index({ parentId: 1, name: 1, _id: 1 });
categorySchema.index({ name: 1, _id: 1 });
categorySchema.index({ ancestors: 1 });

export interface ReservationLine {
  productId: string;
  name: string;
  sku: string;
  unitPriceCents: number;
  currency: string;
  quantity: number;
}

export type { LineToken };

/** A hold on stock for one checkout; its status moves only by the conditional updates in reservation-rules.ts. */
export interface ReservationDoc {
  _id: string;
  status: ReservationStatus;
  /** The stock effect that `status` owes is complete. */
  settled: boolean;
  /** A commit after expiry or release took the stock again (holds under `<id>/retake`). */
  retaken: boolean;
  /** The line that was short when the reservation FAILED. */
  shortProductId: string | null;
  /** Per line, the hold that counts for the current attempt (recorded by the move to HELD or COMMITTED). */
  held: LineToken[];
  /** Per line, the write that returned its sold units (RETURNED only). */
  returned: LineToken[];
  lines: ReservationLine[];
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

const lineSchema = new Schema<ReservationLine>(
  { productId: String, name: String, sku: String, unitPriceCents: Number, currency: String, quantity: Number },
  { _id: false },
);
const lineTokenSchema = new Schema<LineToken>({ p: String, t: String }, { _id: false });
const reservationSchema = new Schema<ReservationDoc>(
  {
    _id: { type: String, required: true },
    status: { type: String, enum: RESERVATION_STATUSES, required: true },
    settled: { type: Boolean, default: false },
    retaken: { type: Boolean, default: false },
    shortProductId: { type: String, default: null },
    held: { type: [lineTokenSchema], default: [] },
    returned: { type: [lineTokenSchema], default: [] },
    lines: { type: [lineSchema], required: true },
    expiresAt: { type: Date, required: true },
  },
  { timestamps: true, versionKey: false },
);

// The reservation sweep (reservation-sweep.ts): overdue checkout holds, and moves that stopped partway.
reservationSchema.index({ status: 1, expiresAt: 1 });
reservationSchema.index({ settled: 1, updatedAt: 1 });

export const MOVEMENT_KINDS = ['adjust', 'hold', 'give-back', 'retake', 'retake-give-back', 'sell', 'return'] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];

/**
 * The stock movement log: one document per stock change, written after the product update it
 * describes. Reservation movements have the _id `<reservationId>:<kind>:<productId>`, so a
 * retry that logs the same change again is a duplicate-key no-op.
 */
export interface StockMovementDoc {
  _id: string;
  productId: string;
  kind: MovementKind;
  reservationId: string | null;
  delta: { onHand: number; reserved: number; available: number };
  reason: string | null;
  actor: string | null;
  at: Date;
}

const stockMovementSchema = new Schema<StockMovementDoc>(
  {
    _id: { type: String, required: true },
    productId: { type: String, required: true },
    kind: { type: String, enum: MOVEMENT_KINDS, required: true },
    reservationId: { type: String, default: null },
    delta: { onHand: Number, reserved: Number, available: Number },
    reason: { type: String, default: null },
    actor: { type: String, default: null },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);

/**
 * One document per word prefix (search-index.ts): `_id` is the prefix, `e` maps a product id to
 * 2·searchVersion+1 (it has a term with this prefix) or 2·searchVersion (it no longer has), `n`
 * counts entries roughly; past a cap the prefix is `over` and searches on it scan instead.
 * Read and written by `_id` only.
 */
export interface SearchPrefixDoc {
  _id: string;
  e: Record<string, number>;
  n: number;
  over?: boolean;
}

const searchPrefixSchema = new Schema<SearchPrefixDoc>(
  { _id: { type: String, required: true }, e: { type: Schema.Types.Mixed, default: {} }, n: { type: Number, default: 0 }, over: Boolean },
  { versionKey: false, minimize: false },
);

export function productModel(conn: Connection): Model<ProductDoc> {
  return conn.models.Product ?? conn.model<ProductDoc>('Product', productSchema);
}
export function categoryModel(conn: Connection): Model<CategoryDoc> {
  return conn.models.Category ?? conn.model<CategoryDoc>('Category', categorySchema);
}
export function reservationModel(conn: Connection): Model<ReservationDoc> {
  return conn.models.Reservation ?? conn.model<ReservationDoc>('Reservation', reservationSchema);
}
export function stockMovementModel(conn: Connection): Model<StockMovementDoc> {
  return conn.models.StockMovement ?? conn.model<StockMovementDoc>('StockMovement', stockMovementSchema, 'stock_movements');
}

export function searchPrefixModel(conn: Connection): Model<SearchPrefixDoc> {
  return conn.models.SearchPrefix ?? conn.model<SearchPrefixDoc>('SearchPrefix', searchPrefixSchema, 'product_search_prefixes');
}

export interface CatalogModels {
  products: Model<ProductDoc>;
  categories: Model<CategoryDoc>;
  reservations: Model<ReservationDoc>;
  movements: Model<StockMovementDoc>;
  searchPrefixes: Model<SearchPrefixDoc>;
}

export function catalogModels(conn: Connection): CatalogModels {
  return { products: productModel(conn), categories: categoryModel(conn), reservations: reservationModel(conn), movements: stockMovementModel(conn), searchPrefixes: searchPrefixModel(conn) };
}
