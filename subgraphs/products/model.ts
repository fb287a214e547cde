import { Schema, type Connection, type Model } from 'mongoose';

/**
 * The products database: the catalog (products, categories), reservations that hold stock for
 * checkouts, and the log of manual stock movements.
 *
 * Stock (onHand, reserved, available, holds) on a product is a cache of the newest entry of its
 * stock ledger (stock.ts explains why: FerretDB v1 updates are not atomic, unique inserts are).
 * Only stock.ts writes those fields. `available` is stored so `inStockOnly` is a plain filter.
 */
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
  /** Hold markers (`<reservationId>:<generation>`) currently counted in `reserved`. */
  holds: string[];
  /** Recently settled hold markers (see stock-state.ts). */
  closedHolds: string[];
  /** Sequence number of the ledger entry the stock fields come from (0: as created). */
  stockSeq: number;
  /** Lower-cased name, for NAME_ASC sorting and its index. */
  nameKey: string;
  /** Lower-cased words of sku, name and description, for indexed word-prefix search. */
  searchTerms: string[];
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
    holds: { type: [String], default: [] },
    closedHolds: { type: [String], default: [] },
    stockSeq: { type: Number, default: 0 },
    nameKey: { type: String, default: '' },
    searchTerms: { type: [String], default: [] },
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
categorySchema.index({ parentId: 1 });
categorySchema.index({ ancestors: 1 });

/** Cached on the reservation for reading; the truth is in its steps (see inventory.ts). */
export const RESERVATION_STATUSES = ['PENDING', 'HELD', 'COMMITTED', 'RELEASED', 'EXPIRED', 'FAILED', 'RETAKING'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export interface ReservationLine {
  productId: string;
  name: string;
  sku: string;
  unitPriceCents: number;
  currency: string;
  quantity: number;
}

export interface ReservationDoc {
  _id: string;
  status: ReservationStatus;
  lines: ReservationLine[];
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

const lineSchema = new Schema<ReservationLine>(
  { productId: String, name: String, sku: String, unitPriceCents: Number, currency: String, quantity: Number },
  { _id: false },
);
const reservationSchema = new Schema<ReservationDoc>(
  {
    _id: { type: String, required: true },
    status: { type: String, enum: RESERVATION_STATUSES, required: true },
    lines: { type: [lineSchema], required: true },
    expiresAt: { type: Date, required: true },
  },
  { timestamps: true, versionKey: false },
);
reservationSchema.index({ status: 1, expiresAt: 1 });

export const RESERVATION_OUTCOMES = ['COMMITTED', 'RELEASED', 'EXPIRED', 'FAILED'] as const;
export type ReservationOutcome = (typeof RESERVATION_OUTCOMES)[number];

/**
 * Facts about a reservation, each claimed by inserting a unique _id (atomic on every server):
 * `<id>:<g>:start` (generation g>1 began: a commit after expiry takes the stock again) and
 * `<id>:<g>:decision` (how generation g ended; the first insert wins, later ones read it).
 */
export interface ReservationStepDoc {
  _id: string;
  reservationId: string;
  generation: number;
  kind: 'start' | 'decision' | 'restock';
  outcome: ReservationOutcome | null;
  productId: string | null;
  createdAt: Date;
}

const reservationStepSchema = new Schema<ReservationStepDoc>(
  {
    _id: { type: String, required: true },
    reservationId: { type: String, required: true },
    generation: { type: Number, required: true },
    kind: { type: String, enum: ['start', 'decision', 'restock'], required: true },
    outcome: { type: String, enum: [...RESERVATION_OUTCOMES, null], default: null },
    productId: { type: String, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);

/** One stock change of one product: the full state after it, and what it was (the stock movement log). */
export interface StockEntryDoc {
  _id: string;
  productId: string;
  seq: number;
  onHand: number;
  reserved: number;
  holds: string[];
  closedHolds: string[];
  op: { kind: string; marker?: string; qty?: number; delta?: number; reason?: string; actor?: string };
  createdAt: Date;
}

const stockEntrySchema = new Schema<StockEntryDoc>(
  {
    _id: { type: String, required: true },
    productId: { type: String, required: true },
    seq: { type: Number, required: true },
    onHand: { type: Number, required: true },
    reserved: { type: Number, required: true },
    holds: { type: [String], default: [] },
    closedHolds: { type: [String], default: [] },
    op: { type: Schema.Types.Mixed, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false, minimize: false },
);
stockEntrySchema.index({ productId: 1, seq: -1 });

export function productModel(conn: Connection): Model<ProductDoc> {
  return conn.models.Product ?? conn.model<ProductDoc>('Product', productSchema);
}
export function categoryModel(conn: Connection): Model<CategoryDoc> {
  return conn.models.Category ?? conn.model<CategoryDoc>('Category', categorySchema);
}
export function reservationModel(conn: Connection): Model<ReservationDoc> {
  return conn.models.Reservation ?? conn.model<ReservationDoc>('Reservation', reservationSchema);
}
export function reservationStepModel(conn: Connection): Model<ReservationStepDoc> {
  return conn.models.ReservationStep ?? conn.model<ReservationStepDoc>('ReservationStep', reservationStepSchema);
}
export function stockEntryModel(conn: Connection): Model<StockEntryDoc> {
  return conn.models.StockEntry ?? conn.model<StockEntryDoc>('StockEntry', stockEntrySchema);
}

export interface CatalogModels {
  products: Model<ProductDoc>;
  categories: Model<CategoryDoc>;
  reservations: Model<ReservationDoc>;
  reservationSteps: Model<ReservationStepDoc>;
  stockEntries: Model<StockEntryDoc>;
}

export function catalogModels(conn: Connection): CatalogModels {
  return { products: productModel(conn), categories: categoryModel(conn), reservations: reservationModel(conn), reservationSteps: reservationStepModel(conn), stockEntries: stockEntryModel(conn) };
}
