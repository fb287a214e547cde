import { randomBytes } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import { ensureIndexes } from '../subgraphs/lib/mongo';
import { createCatalog, type Catalog } from '../subgraphs/products/catalog';
import { catalogModels, type CatalogModels } from '../subgraphs/products/model';
import { seedCatalog } from '../subgraphs/products/seed';
import { createStock } from '../subgraphs/products/stock';
import { prefixesOf } from '../subgraphs/products/search-index';
import { productsArgsSchema } from '../subgraphs/products/validation';
import type { PageRequest } from '../subgraphs/lib/pagination';

/**
 * Search through the search index (subgraphs/products/search-index.ts) on a real server: it
 * answers exactly what a scan of the products answers, and it follows every rename, concurrent
 * ones included. `scanning` is the same catalog told never to use the index.
 */
describe('searching the catalog through its search index', () => {
  let conn: Connection;
  let models: CatalogModels;
  let catalog: Catalog;
  let scanning: Catalog;
  const cat = { root: 'cat_srch_root', child: 'cat_srch_child' };

  beforeAll(async () => {
    conn = await mongoose.createConnection(process.env.MONGODB_URI!, { dbName: `tsearch_${randomBytes(4).toString('hex')}_products`, autoIndex: false }).asPromise();
    models = catalogModels(conn);
    await ensureIndexes(Object.values(models));
    const stock = createStock(models);
    catalog = createCatalog(models, stock);
    scanning = createCatalog(models, stock, { searchFetchLimit: 0 });
    await models.categories.create([
      { _id: cat.root, name: 'Root', slug: 'srch-root', parentId: null, ancestors: [] },
      { _id: cat.child, name: 'Child', slug: 'srch-child', parentId: cat.root, ancestors: [cat.root] },
    ]);
  });
  afterAll(async () => {
    await conn?.dropDatabase();
    await conn?.close();
  });

  const create = (sku: string, name: string, extra: Record<string, unknown> = {}) =>
    catalog.create({ sku, name, description: '', priceCents: 1000, currency: 'USD', categoryId: null, images: [], initialStock: 0, ...extra }, 'test');
  const ids = async (c: Catalog, search: string, admin = false) =>
    (await c.list(productsArgsSchema.parse({ filter: { search } }), { first: 100 }, admin)).edges.map((e) => e.node._id).sort();

  it('finds a renamed product by its new words and no longer by its old ones', async () => {
    const p = await create('REN-1', 'Velvet armchair', { description: 'Deep seat' });
    expect(await ids(catalog, 'velv')).toEqual([p._id]);
    await catalog.update(p._id, { name: 'Linen sofa' });
    expect(await ids(catalog, 'velvet')).toEqual([]);
    expect(await ids(catalog, 'armchair')).toEqual([]);
    expect(await ids(catalog, 'sofa lin')).toEqual([p._id]);
    expect(await ids(catalog, 'deep')).toEqual([p._id]);
    await catalog.update(p._id, { description: 'Shallow seat' });
    expect(await ids(catalog, 'deep')).toEqual([]);
    expect(await ids(catalog, 'shallow sofa')).toEqual([p._id]);
  });

  it('answers every filter, sort and page exactly as a scan of the products does', async () => {
    for (let i = 0; i < 30; i++) {
      const p = await create(`EQ-${i}`, `Equal ${i % 3 ? 'lamp' : 'desk lamp'} ${['oak', 'steel', 'glass'][i % 3]}`, {
        priceCents: 500 + (i % 7) * 250, categoryId: [cat.root, cat.child, null][i % 3], initialStock: i % 4 ? 3 : 0, description: i % 5 ? 'bright' : 'bright (x) ünïcode',
      });
      if (i % 6 === 5) await catalog.archive(p._id);
    }
    const filters = [
      { search: 'equal' }, { search: 'lamp desk' }, { search: 'equ oak', categoryId: cat.root }, { search: 'lamp', categoryId: cat.root, includeDescendants: false },
      { search: 'lamp', minPriceCents: 750, maxPriceCents: 1500 }, { search: 'bright', inStockOnly: true }, { search: '(x)' }, { search: 'ünï equal' }, { search: 'nothing-here' },
    ];
    const pages: PageRequest[] = [{ first: 4 }, { first: 100 }, { last: 3 }];
    for (const filter of filters) {
      for (const sort of ['PRICE_ASC', 'PRICE_DESC', 'NAME_ASC', 'NEWEST']) {
        for (const admin of [false, true]) {
          for (const page of pages) {
            const args = productsArgsSchema.parse({ filter, sort });
            const [a, b] = await Promise.all([catalog.list(args, page, admin), scanning.list(args, page, admin)]);
            const shape = async (c: typeof a) => ({ ids: c.edges.map((e) => [e.node._id, e.cursor]), pageInfo: c.pageInfo, total: await c.totalCount() });
            expect([filter, sort, admin, page, await shape(a)]).toEqual([filter, sort, admin, page, await shape(b)]);
            // And the next page (or the one before), from this page's cursor.
            const next: PageRequest | null = page.last != null ? (a.pageInfo.startCursor ? { last: 3, before: a.pageInfo.startCursor } : null) : a.pageInfo.endCursor ? { first: 4, after: a.pageInfo.endCursor } : null;
            if (next) expect(await shape(await catalog.list(args, next, admin))).toEqual(await shape(await scanning.list(args, next, admin)));
          }
        }
      }
    }
  });

  it('keeps every product findable by exactly its stored words while edits race', async () => {
    // Edits flip words back and forth, so a slow writer's removal of a word races a newer writer's re-adding of it.
    const products = await Promise.all([0, 1, 2].map((k) => create(`RACE-${k}`, `Racer${k} alpha${k}`, { description: `gamma${k}` })));
    const flips = (k: number) => [{ name: `Racer${k} beta${k}` }, { description: `delta${k}` }, { name: `Racer${k} alpha${k}` }, { description: `gamma${k}` }];
    for (let round = 0; round < 4; round++) {
      const edits = products.flatMap((p, k) => Array.from({ length: 8 }, (_, i) => ({ id: p._id, input: flips(k)[(i + round) % 4] })));
      const results = await Promise.allSettled(edits.map((e) => catalog.update(e.id, e.input)));
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONFLICT' });
      for (const [k, p] of products.entries()) {
        const stored = (await models.products.findById(p._id).lean())!;
        // The index holds every prefix of the stored terms, as present ...
        const docs = await models.searchPrefixes.find({ _id: { $in: [...prefixesOf(stored.searchTerms)] } }).lean();
        expect(docs.filter((d) => !d.over && d.e[p._id] % 2 === 1).map((d) => d._id).sort()).toEqual([...prefixesOf(stored.searchTerms)].sort());
        // ... so each stored word finds it, and each word it no longer has does not.
        for (const w of [`alpha${k}`, `beta${k}`, `gamma${k}`, `delta${k}`]) expect([w, await ids(catalog, w)]).toEqual([w, stored.searchTerms.includes(w) ? [p._id] : []]);
      }
    }
  });

  it('lets the newest version of an entry win, whatever order the writes land in', async () => {
    const index = catalog.searchIndex;
    const present = async (prefix: string) => ((await models.searchPrefixes.findById(prefix).lean())?.e['prod_order1'] ?? 0) % 2 === 1;
    // A slow remover (version 2) lands after a newer writer (version 3) re-added the word: it stays.
    await index.add('prod_order1', ['slowrm'], 3);
    await index.remove('prod_order1', ['slowrm'], 2);
    expect(await present('slowrm')).toBe(true);
    // A stale addition (version 1) lands after the removal by version 2: it stays removed.
    await index.add('prod_order1', ['staleadd'], 1);
    await index.remove('prod_order1', ['staleadd'], 2);
    await index.add('prod_order1', ['staleadd'], 1);
    expect(await present('staleadd')).toBe(false);
    // The same version adding and removing: present (extra entries are harmless, missing ones are not).
    await index.remove('prod_order1', ['samever'], 4);
    await index.add('prod_order1', ['samever'], 4);
    expect(await present('samever')).toBe(true);
  });

  it('indexes products written around the catalog once backfilled, and a repeat changes nothing', async () => {
    await models.products.create({ _id: 'prod_around1', sku: 'AROUND-1', name: 'Quokka figurine', priceCents: 100, currency: 'USD' });
    await catalog.searchIndex.backfill();
    expect(await ids(catalog, 'quokka')).toEqual(['prod_around1']);
    await seedCatalog(conn, { products: 20 });
    const snapshot = async () => ({ prefixes: await models.searchPrefixes.find().sort({ _id: 1 }).lean(), versions: await models.products.find({}, { searchVersion: 1 }).sort({ _id: 1 }).lean() });
    const before = await snapshot();
    expect(await catalog.searchIndex.backfill()).toBe(0);
    await seedCatalog(conn, { products: 20 });
    expect(await snapshot()).toEqual(before);
    expect((await ids(catalog, 'lig-0000')).length).toBeGreaterThan(0);
    expect(await ids(catalog, 'lig-0000')).toEqual(await ids(scanning, 'lig-0000'));
  });
});
