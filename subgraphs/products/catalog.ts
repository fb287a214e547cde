import { BadUserInputError, ConflictError, NotFoundError, isDuplicateKeyError } from '../lib/errors';
import { newId } from '../lib/ids';
import { paginate, type Connection, type PageRequest } from '../lib/pagination';
import { SORT_KEYS } from './sorts';
import type { Stock } from './stock';
import { createCandidateSearch, listFilter, type ListSpec } from './catalog-search';
import { nameKey, searchTerms, type CatalogModels, type ProductDoc } from './model';
import { createSearchIndex, prefixesOf } from './search-index';
import { searchWords, type CreateProductInput, type ProductsArgs, type UpdateProductInput } from './validation';

/**
 * The catalog's products: browsing and search for everyone, management for admins.
 * Stock fields are changed only by stock.ts (here: adjustStock; reservations: inventory.ts).
 */
/** Inactive (archived) products are hidden from everyone but admins (and services). */
export const visibleTo = (product: ProductDoc | null, admin: boolean): ProductDoc | null => (product && (product.active || admin) ? product : null);

const UPDATE_ATTEMPTS = 5;
/**
 * Searches whose words narrow to at most this many products are answered from the search index
 * (catalog-search.ts); wider ones scan, which is cheaper than reading that many products by id.
 */
export const SEARCH_FETCH_LIMIT = 5000;
/** The fields the derived search fields (nameKey, searchTerms) are computed from. */
const SEARCH_SOURCES = ['sku', 'name', 'description'] as const;
type SearchSource = (typeof SEARCH_SOURCES)[number];
const pickSources = (from: Partial<Record<SearchSource, string>>) => Object.fromEntries(SEARCH_SOURCES.filter((f) => from[f] !== undefined).map((f) => [f, from[f]]));

export function createCatalog(models: CatalogModels, stock: Stock, opts: { searchFetchLimit?: number } = {}) {
  const { products, categories } = models;
  const searchIndex = createSearchIndex(models);
  const searchList = createCandidateSearch(products, searchIndex, opts.searchFetchLimit ?? SEARCH_FETCH_LIMIT);

  async function categoryIdsFor(categoryId: string, includeDescendants: boolean): Promise<string[]> {
    if (!includeDescendants) return [categoryId];
    const descendants = await categories.find({ ancestors: categoryId }, { _id: 1 }).lean();
    return [categoryId, ...descendants.map((c) => c._id)];
  }

  async function specOf(args: ProductsArgs, admin: boolean): Promise<ListSpec> {
    const f = args.filter;
    return {
      active: admin ? (f.active ?? null) : true,
      categoryIds: f.categoryId ? await categoryIdsFor(f.categoryId, f.includeDescendants ?? true) : null,
      minPriceCents: f.minPriceCents ?? null,
      maxPriceCents: f.maxPriceCents ?? null,
      inStockOnly: f.inStockOnly ?? false,
      words: searchWords(f.search),
    };
  }

  /** One page of products; customers see active ones only (specOf). A search the index narrows down is answered from it. */
  async function list(args: ProductsArgs, page: PageRequest, admin: boolean): Promise<Connection<ProductDoc>> {
    const spec = await specOf(args, admin);
    const sort = SORT_KEYS[args.sort];
    return (await searchList(spec, sort, page)) ?? paginate(products, listFilter(spec), sort, page);
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
    const doc = { _id: newId('product'), ...fields, active: true, ...stockFields, nameKey: nameKey(fields.name), searchTerms: searchTerms(fields), searchVersion: 1 };
    // Index entries first (search-index.ts): once the product is stored, search finds it.
    await searchIndex.add(doc._id, prefixesOf(doc.searchTerms), doc.searchVersion);
    const created = (await products.create(doc).catch(skuTaken)).toObject();
    // The initial stock is in the movement log like any other change.
    if (initialStock > 0) await stock.logAdjustment(created._id, initialStock, 'initial stock', actor);
    return created;
  }

  /**
   * One atomic update. The derived search fields come from sku, name and description together:
   * when the edit gives any of them, the update is conditional on the searchVersion we read (and
   * bumps it), so a concurrent edit of those is never overwritten with stale search terms (re-read
   * and try again). The search index gets the new prefixes before the write and loses the dropped
   * ones after it (search-index.ts says why that order keeps it complete).
   */
  async function update(id: string, input: UpdateProductInput): Promise<ProductDoc> {
    if (input.categoryId !== undefined) await requireCategory(input.categoryId, ['input', 'categoryId']);
    if (SEARCH_SOURCES.every((f) => input[f] === undefined)) return setFields(id, input);
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const current = await products.findById(id, { sku: 1, name: 1, description: 1, searchTerms: 1, searchVersion: 1 }).lean<ProductDoc>();
      if (!current) throw new NotFoundError('Product');
      const next = { ...pickSources(current), ...pickSources(input) } as Pick<ProductDoc, SearchSource>;
      const terms = searchTerms(next);
      const version = (current.searchVersion ?? 0) + 1;
      // An unversioned product may have no entries at all: give it every prefix.
      const before = current.searchVersion == null ? new Set<string>() : prefixesOf(current.searchTerms ?? []);
      const after = prefixesOf(terms);
      await searchIndex.add(id, [...after].filter((p) => !before.has(p)), version);
      const updated = await products
        .findOneAndUpdate({ _id: id, searchVersion: current.searchVersion ?? { $exists: false } }, { $set: { ...input, nameKey: nameKey(next.name), searchTerms: terms, searchVersion: version } }, { new: true })
        .lean()
        .catch(skuTaken);
      if (updated) {
        // The write stands; an entry left behind by a failure here only costs a re-check.
        await searchIndex.remove(id, [...before].filter((p) => !after.has(p)), version).catch(() => undefined);
        return updated;
      }
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

  return { list, bySku, create, update, archive, adjustStock, searchIndex };
}
export type Catalog = ReturnType<typeof createCatalog>;
