import type { FilterQuery, Model } from 'mongoose';
import { DEFAULT_PAGE_SIZE, connectionOf, decodeCursor, type Connection, type PageRequest, type SortKey } from '../lib/pagination';
import { escapeRegex } from '../lib/regex';
import type { ProductDoc } from './model';
import type { SearchIndex } from './search-index';

/**
 * A `products` list, resolved (a category expanded to its descendants): the one description both
 * ways of answering it start from. `listFilter` makes it a Mongo filter (paginate scans or uses
 * MongoDB's indexes); `matches` is the same conditions on a document in memory, for searches
 * answered from the search index's candidates. The two are tested against each other.
 */
export interface ListSpec {
  /** null: active and archived alike (admins). */
  active: boolean | null;
  categoryIds: string[] | null;
  minPriceCents: number | null;
  maxPriceCents: number | null;
  inStockOnly: boolean;
  /** Lower-cased; each must be the prefix of one of the product's searchTerms. */
  words: string[];
}

export function listFilter(spec: ListSpec): FilterQuery<ProductDoc> {
  const and: FilterQuery<ProductDoc>[] = [];
  if (spec.active != null) and.push({ active: spec.active });
  if (spec.categoryIds) and.push(spec.categoryIds.length === 1 ? { categoryId: spec.categoryIds[0] } : { categoryId: { $in: spec.categoryIds } });
  if (spec.minPriceCents != null || spec.maxPriceCents != null) {
    and.push({ priceCents: { ...(spec.minPriceCents != null ? { $gte: spec.minPriceCents } : {}), ...(spec.maxPriceCents != null ? { $lte: spec.maxPriceCents } : {}) } });
  }
  if (spec.inStockOnly) and.push({ available: { $gt: 0 } });
  // Anchored, case-sensitive prefix on lower-cased terms: MongoDB answers it from the searchTerms index.
  for (const word of spec.words) and.push({ searchTerms: new RegExp(`^${escapeRegex(word)}`) });
  return and.length ? { $and: and } : {};
}

/** The fields a list filters and sorts on: what the candidate read fetches. */
const LISTED = { _id: 1, active: 1, categoryId: 1, priceCents: 1, available: 1, nameKey: 1, createdAt: 1, searchTerms: 1 } as const;
type Listed = Pick<ProductDoc, keyof typeof LISTED>;

export function matches(p: Listed, spec: ListSpec): boolean {
  if (spec.active != null && p.active !== spec.active) return false;
  if (spec.categoryIds && !spec.categoryIds.includes(p.categoryId as string)) return false;
  if (spec.minPriceCents != null && !(p.priceCents >= spec.minPriceCents)) return false;
  if (spec.maxPriceCents != null && !(p.priceCents <= spec.maxPriceCents)) return false;
  if (spec.inStockOnly && !(p.available > 0)) return false;
  return spec.words.every((w) => (p.searchTerms ?? []).some((t) => t.startsWith(w)));
}

type Value = Date | number | string;

/** MongoDB's order for one key's values: strings by their UTF-8 bytes (no collation), as the server compares them. */
function compareValues(a: Value, b: Value): number {
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return Buffer.compare(Buffer.from(String(a)), Buffer.from(String(b)));
}

function comparePositions(sort: readonly SortKey[], a: Value[], b: Value[]): number {
  for (let i = 0; i < sort.length; i++) {
    const c = compareValues(a[i], b[i]);
    if (c) return c * sort[i].direction;
  }
  return 0;
}

/** The page `page` asks for out of `docs` (all that match), by the same rules as lib/pagination's paginate. */
export function pageOf<T extends Listed>(docs: T[], sort: readonly SortKey[], page: PageRequest): { nodes: T[]; more: boolean } {
  const positionOf = (d: T) => sort.map((k) => (d as unknown as Record<string, Value>)[k.field]);
  const after = page.after ? decodeCursor(page.after, sort, 'after') : null;
  const before = page.before ? decodeCursor(page.before, sort, 'before') : null;
  const inRange = docs
    .map((d) => ({ d, at: positionOf(d) }))
    .filter(({ at }) => (!after || comparePositions(sort, at, after) > 0) && (!before || comparePositions(sort, at, before) < 0))
    .sort((x, y) => comparePositions(sort, x.at, y.at))
    .map(({ d }) => d);
  const size = page.last ?? page.first ?? DEFAULT_PAGE_SIZE;
  const nodes = page.last != null ? inRange.slice(Math.max(0, inRange.length - size)) : inRange.slice(0, size);
  return { nodes, more: inRange.length > size };
}

const FETCH_BATCH = 50;
const FETCH_PARALLEL = 4;

/**
 * Searches answered from the search index: the candidates' listed fields read by `_id` (batches
 * of 50: `$in` lists are matched linearly by the local server, so small batches keep that cheap),
 * checked against the whole spec in memory (words included: the index may hold stale entries),
 * sorted and paged here, then the page's documents read whole. totalCount is the number that
 * matched. Null when the index cannot narrow the search to `fetchLimit` products: the caller scans.
 */
export function createCandidateSearch(products: Model<ProductDoc>, index: SearchIndex, fetchLimit: number) {
  async function fetchListed(ids: string[]): Promise<Listed[]> {
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += FETCH_BATCH) batches.push(ids.slice(i, i + FETCH_BATCH));
    const out: Listed[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(FETCH_PARALLEL, batches.length) }, async () => {
        while (next < batches.length) out.push(...(await products.find({ _id: { $in: batches[next++] } }, LISTED).lean<Listed[]>()));
      }),
    );
    return out;
  }

  return async function list(spec: ListSpec, sort: readonly SortKey[], page: PageRequest): Promise<Connection<ProductDoc> | null> {
    // A limit of 0 turns the index off (every search scans): tests and bench:catalog compare the two.
    if (!spec.words.length || fetchLimit <= 0) return null;
    const ids = await index.candidates(spec.words);
    if (!ids || ids.length > fetchLimit) return null;
    const matched = (await fetchListed(ids)).filter((p) => matches(p, spec));
    const { nodes, more } = pageOf(matched, sort, page);
    // The page read whole, in the page's order; a product deleted in between drops out.
    const full = new Map((await products.find({ _id: { $in: nodes.map((n) => n._id) } }).lean<ProductDoc[]>()).map((d) => [d._id, d]));
    // Cursors from the listed fields (the sort keys), nodes the whole documents.
    const kept = nodes.filter((n) => full.has(n._id));
    const connection = connectionOf(sort, kept, more, page, async () => matched.length);
    return { ...connection, edges: connection.edges.map((e) => ({ cursor: e.cursor, node: full.get(e.node._id)! })) };
  };
}
