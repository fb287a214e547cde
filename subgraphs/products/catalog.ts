import type { FilterQuery } from 'mongoose';
import { BadUserInputError, ConflictError, NotFoundError, isDuplicateKeyError } from '../lib/errors';
import { newId } from '../lib/ids';
import { paginate, type Connection, type PageRequest } from '../lib/pagination';
import { escapeRegex } from '../lib/regex';
import { SORT_KEYS } from './sorts';
import type { Stock } from './stock';
import { nameKey, searchTerms, type CatalogModels, type ProductDoc } from './model';
import { searchWords, type CreateProductInput, type ProductsArgs, type UpdateProductInput } from './validation';

/**
 * The catalog's products: browsing and search for everyone, management for admins.
 * Stock fields are changed only by stock.ts (here: adjustStock; reservations: inventory.ts).
 */
/** Inactive (archived) products are hidden from everyone but admins (and services). */
export const visibleTo = (product: ProductDoc | null, admin: boolean): ProductDoc | null => (product && (product.active || admin) ? product : null);

const UPDATE_ATTEMPTS = 5;
/** The fields the derived search fields (nameKey, searchTerms) are computed from. */
const SEARCH_SOURCES = ['sku', 'name', 'description'] as const;
type SearchSource = (typeof SEARCH_SOURCES)[number];

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

  /** One page of products; customers see active ones only (buildFilter). */
  async function list(args: ProductsArgs, page: PageRequest, admin: boolean): Promise<Connection<ProductDoc>> {
    return paginate(products, await buildFilter(args, admin), SORT_KEYS[args.sort], page);
  }

  /** By SKU (the unique index), with the same visibility as by id. */
  async function bySku(sku: string, admin: boolean): Promise<ProductDoc | null> {
    return visibleTo(await products.findOne({ sku }).lean<ProductDoc>(), admin);
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
    const stockFields = { onHand: initialStock, reserved: 0, available: initialStock, holds: [], returning: [] };
    const doc = { _id: newId('product'), ...fields, active: true, ...stockFields, nameKey: nameKey(fields.name), searchTerms: searchTerms(fields) };
    const created = (await products.create(doc).catch(skuTaken)).toObject();
    // The initial stock is in the movement log like any other change.
    if (initialStock > 0) await stock.logAdjustment(created._id, initialStock, 'initial stock', actor);
    return created;
  }

  /**
   * One atomic update. The derived search fields come from sku, name and description together:
   * when the edit gives only some of them, the update is conditional on the others being what we
   * read, so a concurrent edit of those is never overwritten with stale search terms (re-read
   * and try again).
   */
  async function update(id: string, input: UpdateProductInput): Promise<ProductDoc> {
    if (input.categoryId !== undefined) await requireCategory(input.categoryId, ['input', 'categoryId']);
    const unread = SEARCH_SOURCES.filter((f) => input[f] === undefined);
    if (unread.length === SEARCH_SOURCES.length) return setFields(id, input);
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const current: Partial<Pick<ProductDoc, SearchSource>> | null = unread.length ? await products.findById(id, { sku: 1, name: 1, description: 1 }).lean() : {};
      if (!current) throw new NotFoundError('Product');
      const read = Object.fromEntries(unread.map((f) => [f, current[f]]));
      const next = { ...read, ...input } as Pick<ProductDoc, SearchSource>;
      const derived = { nameKey: nameKey(next.name), searchTerms: searchTerms(next) };
      const updated = await products.findOneAndUpdate({ _id: id, ...read }, { $set: { ...input, ...derived } }, { new: true }).lean().catch(skuTaken);
      if (updated) return updated;
      if (!unread.length) throw new NotFoundError('Product');
    }
    throw new ConflictError('The product is being changed by someone else; try again');
  }

  async function setFields(id: string, set: Partial<ProductDoc>): Promise<ProductDoc> {
    const updated = await products.findOneAndUpdate({ _id: id }, { $set: set }, { new: true }).lean().catch(skuTaken);
    if (!updated) throw new NotFoundError('Product');
    return updated;
  }

  async function archive(id: string): Promise<ProductDoc> {
    return setFields(id, { active: false });
  }

  /** One conditional $inc (on hand never drops below reserved), then its movement. */
  async function adjustStock(productId: string, delta: number, reason: string, actor: string): Promise<ProductDoc> {
    const adjusted = await stock.adjust(productId, delta);
    if (!adjusted) {
      const now = await stock.current(productId);
      if (!now) throw new NotFoundError('Product');
      throw new ConflictError('Cannot remove more units than are on hand and not reserved', { reason: 'BELOW_RESERVED', ...now });
    }
    await stock.logAdjustment(productId, delta, reason, actor);
    return adjusted;
  }

  return { list, bySku, create, update, archive, adjustStock };
}
export type Catalog = ReturnType<typeof createCatalog>;
