import type { FilterQuery } from 'mongoose';
import { BadUserInputError, ConflictError, NotFoundError, isDuplicateKeyError } from '../lib/errors';
import { newId } from '../lib/ids';
import { escapeRegex } from '../lib/regex';
import { SORT_SPECS, afterFilter, decodeCursor, encodeCursor, mongoSort } from './cursor';
import type { Stock } from './stock';
import { nameKey, searchTerms, type CatalogModels, type ProductDoc } from './model';
import { searchWords, type CreateProductInput, type ProductsArgs, type UpdateProductInput } from './validation';

/**
 * The catalog's products: browsing and search for everyone, management for admins.
 * Stock fields are changed only with guarded `$inc` (here: adjustStock; reservations: inventory.ts).
 */
export interface ProductPage {
  edges: Array<{ cursor: string; node: ProductDoc }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

const UPDATE_ATTEMPTS = 5;

export function createCatalog(models: CatalogModels, stock: Stock) {
  const { products, categories } = models;

  async function categoryIdsFor(categoryId: string, includeDescendants: boolean): Promise<string[]> {
    if (!includeDescendants) return [categoryId];
    const descendants = await categories.find({ ancestors: categoryId }, { _id: 1 }).lean();
    return [categoryId, ...descendants.map((c) => c._id)];
  }

  async function buildFilter(args: ProductsArgs, admin: boolean): Promise<FilterQuery<ProductDoc>> {
    const f = args.filter;
    const and: FilterQuery<ProductDoc>[] = [];
    if (!admin) and.push({ active: true });
    else if (f.active != null) and.push({ active: f.active });
    if (f.categoryId) {
      const ids = await categoryIdsFor(f.categoryId, f.includeDescendants ?? true);
      and.push(ids.length === 1 ? { categoryId: ids[0] } : { categoryId: { $in: ids } });
    }
    if (f.minPriceCents != null || f.maxPriceCents != null) {
      and.push({ priceCents: { ...(f.minPriceCents != null ? { $gte: f.minPriceCents } : {}), ...(f.maxPriceCents != null ? { $lte: f.maxPriceCents } : {}) } });
    }
    if (f.inStockOnly) and.push({ available: { $gt: 0 } });
    // Anchored, case-sensitive prefix on lower-cased terms: MongoDB answers it from the searchTerms index.
    for (const word of searchWords(f.search)) and.push({ searchTerms: new RegExp(`^${escapeRegex(word)}`) });
    return and.length ? { $and: and } : {};
  }

  async function list(args: ProductsArgs, admin: boolean): Promise<ProductPage> {
    const spec = SORT_SPECS[args.sort];
    const filter = await buildFilter(args, admin);
    const page = args.after ? { $and: [filter, afterFilter(spec, decodeCursor(args.after, args.sort))] } : filter;
    const [docs, totalCount] = await Promise.all([
      products.find(page).sort(mongoSort(spec)).limit(args.first + 1).lean(),
      products.countDocuments(filter),
    ]);
    const nodes = docs.slice(0, args.first) as ProductDoc[];
    const edges = nodes.map((node) => ({ cursor: encodeCursor(args.sort, node[spec.field], node._id), node }));
    return { edges, pageInfo: { hasNextPage: docs.length > args.first, endCursor: edges.at(-1)?.cursor ?? null }, totalCount };
  }

  async function requireCategory(categoryId: string | null | undefined, path: string[]): Promise<void> {
    if (categoryId && !(await categories.exists({ _id: categoryId }))) throw new BadUserInputError(`${path.join('.')}: no such category`, path);
  }

  function skuTaken(err: unknown): never {
    if (isDuplicateKeyError(err)) throw new ConflictError('A product with this SKU already exists', { reason: 'SKU_TAKEN', field: 'input.sku' });
    throw err;
  }

  async function create(input: CreateProductInput, actor: string): Promise<ProductDoc> {
    await requireCategory(input.categoryId, ['input', 'categoryId']);
    const { initialStock, ...fields } = input;
    const doc = { _id: newId('product'), ...fields, active: true, onHand: 0, reserved: 0, available: 0, nameKey: nameKey(fields.name), searchTerms: searchTerms(fields) };
    const created = await products.create(doc).catch(skuTaken);
    // Through the ledger, so the initial stock is in the movement log like any other.
    if (initialStock > 0) await stock.apply(created._id, { kind: 'adjust', delta: initialStock, reason: 'initial stock', actor });
    return (await products.findById(created._id).lean())!;
  }

  /**
   * Derived search fields are computed from the merged document. On FerretDB an update rewrites
   * the whole document from its own read, so a concurrent stock write can undo an edit: read it
   * back and re-apply until it has stuck.
   */
  async function update(id: string, input: UpdateProductInput): Promise<ProductDoc> {
    if (input.categoryId !== undefined) await requireCategory(input.categoryId, ['input', 'categoryId']);
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const current = await products.findById(id).lean();
      if (!current) throw new NotFoundError('Product');
      const next = { ...current, ...input };
      await products.updateOne({ _id: id }, { $set: { ...input, nameKey: nameKey(next.name), searchTerms: searchTerms(next) } }).catch(skuTaken);
      const after = (await products.findById(id).lean())!;
      if (sameFields(after, input)) return after;
    }
    throw new ConflictError('The product is being changed by someone else; try again');
  }

  function sameFields(doc: ProductDoc, input: UpdateProductInput): boolean {
    return Object.entries(input).every(([k, v]) => JSON.stringify(doc[k as keyof ProductDoc]) === JSON.stringify(v));
  }

  async function archive(id: string): Promise<ProductDoc> {
    return update(id, { active: false });
  }

  /** On hand never drops below reserved: the ledger refuses the change (stock.ts). */
  async function adjustStock(productId: string, delta: number, reason: string, actor: string): Promise<ProductDoc> {
    const res = await stock.apply(productId, { kind: 'adjust', delta, reason, actor });
    if (res.result === 'missing') throw new NotFoundError('Product');
    if (res.result === 'short') {
      const { onHand, reserved } = res.state;
      throw new ConflictError('Cannot remove more units than are on hand and not reserved', { reason: 'BELOW_RESERVED', onHand, reserved, available: onHand - reserved });
    }
    const p = (await products.findById(productId).lean())!;
    // Show the state this change produced even if the cached copy is behind a moment.
    return { ...p, onHand: res.state.onHand, reserved: res.state.reserved, available: res.state.onHand - res.state.reserved };
  }

  return { list, create, update, archive, adjustStock };
}
export type Catalog = ReturnType<typeof createCatalog>;
