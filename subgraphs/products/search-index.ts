import type { mongo } from 'mongoose';
type AnyBulkWriteOperation<T extends mongo.Document> = mongo.AnyBulkWriteOperation<T>;
import type { CatalogModels, ProductDoc, SearchPrefixDoc } from './model';

/**
 * The search index: for every prefix of every search term, which products have it. One document
 * per prefix (`_id` = the prefix), read and written by `_id` alone: the only lookup the local
 * server answers without scanning (any other field in a filter makes it scan the collection),
 * and MongoDB 7's fastest. A prefix document may hold more than the truth, never less:
 *
 * - each entry `e.<productId>` is a number: `2v+1` (present) or `2v` (removed), written with
 *   `$max`, where v is the product's searchVersion that wrote it. Writes of the same entry
 *   therefore commute: whatever order they land in, the highest version wins, and at one version
 *   an addition wins over a removal;
 * - a writer adds the prefixes of the new terms BEFORE it stores the product (with the version
 *   it is about to store), and marks the prefixes the product no longer has as removed AFTER, so
 *   whenever terms are stored their entries are present: a slow remover (older version) can never
 *   hide an entry a newer writer added, whatever crashes or races come between;
 * - extra entries (a lost race, a crash between the steps, a failed insert) only cost a read:
 *   the catalog checks every candidate's stored searchTerms again (catalog-search.ts).
 *
 * `n` counts entries, roughly (additions minus removals): past OVER_AT a prefix becomes `over`
 * for good, its entries are dropped and no more are added, and searches that only have such
 * words scan (catalog.ts): at that size reading the candidates costs more than the scan.
 */
export const MAX_PREFIX_LENGTH = 12;
export const OVER_AT = 5_000;
const READ_CHUNK = 50;

/** A product id as a field name: `.` and a leading `$` cannot be in one. */
const fieldOf = (productId: string) => productId.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/^\$/, '%24');
const idOfField = (field: string) => field.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');

/** Every prefix (1 to MAX_PREFIX_LENGTH characters) of every term. */
export function prefixesOf(terms: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const term of terms) for (let n = 1; n <= Math.min(term.length, MAX_PREFIX_LENGTH); n++) out.add(term.slice(0, n));
  return out;
}

/** The key a search word is looked up under (longer words: their first MAX_PREFIX_LENGTH characters). */
export const keyOfWord = (word: string) => word.slice(0, MAX_PREFIX_LENGTH);

export function createSearchIndex(models: Pick<CatalogModels, 'products' | 'searchPrefixes'>) {
  const prefixes = models.searchPrefixes.collection as unknown as mongo.Collection<SearchPrefixDoc>;

  /**
   * Entries for many products at once: one `$max` per prefix, skipping prefixes already `over`
   * (their entries no longer count, so they stay small); a prefix this write takes past OVER_AT
   * becomes `over`. Counts are read first, so two writers at once may each stay just under the
   * mark: the next writer marks it.
   */
  async function addMany(entries: Array<{ productId: string; prefixes: Iterable<string>; version: number }>): Promise<void> {
    const byPrefix = new Map<string, Record<string, number>>();
    for (const { productId, prefixes: ps, version } of entries) {
      for (const p of ps) (byPrefix.get(p) ?? byPrefix.set(p, {}).get(p)!)[`e.${fieldOf(productId)}`] = 2 * version + 1;
    }
    const counts = await countsOf([...byPrefix.keys()]);
    const ops: AnyBulkWriteOperation<SearchPrefixDoc>[] = [];
    for (const [p, max] of byPrefix) {
      const now = counts.get(p);
      if (now?.over) continue;
      const added = Object.keys(max).length;
      ops.push({ updateOne: { filter: { _id: p }, update: { $max: max, $inc: { n: added } }, upsert: true } });
      if ((now?.n ?? 0) + added > OVER_AT) ops.push({ updateOne: { filter: { _id: p }, update: { $set: { over: true, e: {} } } } });
    }
    for (let i = 0; i < ops.length; i += 2000) await prefixes.bulkWrite(ops.slice(i, i + 2000), { ordered: true });
  }

  /** `n` and `over` of each prefix that has a document. `$in` lists are matched linearly by the local server: small chunks. */
  async function countsOf(keys: string[]): Promise<Map<string, Pick<SearchPrefixDoc, 'n' | 'over'>>> {
    const out = new Map<string, Pick<SearchPrefixDoc, 'n' | 'over'>>();
    for (let i = 0; i < keys.length; i += READ_CHUNK) {
      for (const d of await prefixes.find({ _id: { $in: keys.slice(i, i + READ_CHUNK) } }, { projection: { n: 1, over: 1 } }).toArray()) out.set(d._id, d);
    }
    return out;
  }

  const add = (productId: string, ps: Iterable<string>, version: number) => addMany([{ productId, prefixes: ps, version }]);

  /** Marks the product removed from prefixes it no longer has; a newer writer's addition still wins. */
  async function remove(productId: string, ps: Iterable<string>, version: number): Promise<void> {
    const field = `e.${fieldOf(productId)}`;
    const ops: AnyBulkWriteOperation<SearchPrefixDoc>[] = [...ps].map((p) => ({ updateOne: { filter: { _id: p }, update: { $max: { [field]: 2 * version }, $inc: { n: -1 } } } }));
    if (ops.length) await prefixes.bulkWrite(ops, { ordered: false });
  }

  /**
   * The products that may match every word: the intersection of the entries of the words'
   * prefix documents (a word with no document matches nothing). Null when every word's prefix is
   * `over`: the caller scans. Words that are over are still checked, on the candidates, by the caller.
   */
  async function candidates(words: string[]): Promise<string[] | null> {
    const keys = [...new Set(words.map(keyOfWord))];
    const docs = await prefixes.find({ _id: { $in: keys } }).toArray();
    if (docs.length < keys.length) return [];
    const lists = docs.filter((d) => !d.over).map((d) => Object.keys(d.e ?? {}).filter((k) => d.e[k] % 2 === 1));
    if (!lists.length) return null;
    lists.sort((a, b) => a.length - b.length);
    let ids = new Set(lists[0]);
    for (const list of lists.slice(1)) {
      const other = new Set(list);
      ids = new Set([...ids].filter((id) => other.has(id)));
    }
    return [...ids].map(idOfField);
  }

  /**
   * Indexes products that have no searchVersion (written before the index existed, or by code
   * that bypasses the catalog), `batch` at a time: entries at version 1 first, then
   * `$max searchVersion: 1`, keyed by `_id` alone. A catalog write that got there first has
   * indexed its own terms at a version at least as high, so nothing is lost either way.
   */
  async function backfill(batch = 500): Promise<number> {
    let indexed = 0;
    for (;;) {
      const docs = await models.products.find({ searchVersion: { $exists: false } }, { _id: 1, searchTerms: 1 }).limit(batch).lean<Pick<ProductDoc, '_id' | 'searchTerms'>[]>();
      if (!docs.length) return indexed;
      await addMany(docs.map((d) => ({ productId: d._id, prefixes: prefixesOf(d.searchTerms ?? []), version: 1 })));
      await models.products.bulkWrite(docs.map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $max: { searchVersion: 1 } }, timestamps: false } })), { ordered: false });
      indexed += docs.length;
    }
  }

  return { add, addMany, remove, candidates, backfill };
}
export type SearchIndex = ReturnType<typeof createSearchIndex>;
