/**
 * `npm run bench:catalog`: how fast the catalog answers a storefront's product search and filtered
 * listings at BENCH_PRODUCTS products (default 50,000). Starts its own MongoDB (memory backend,
 * temp data dir), seeds a deterministic catalog (scripts/bench/catalog-data.ts), then times each
 * case through the same service function the `products` resolver calls (createCatalog(...).list)
 * as a customer sees it: the first page of 20 and its totalCount, as the storefront asks. Cases
 * take turns run by run, so noise from other work on the machine falls on all of them alike.
 * Not a test: it prints a table and, last, one JSON line. Goal: searchP95Ms under 50.
 *
 * Each search is also timed answered by a scan (`[scan]` rows, scanSearchP95Ms): how search ran
 * before the search index, on the same data under the same load.
 *
 * BENCH_PRODUCTS (default 50000), BENCH_RUNS (default 40 per case), BENCH_COMPARE (default 1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { ensureMongo } from './backing/mongo';
import { ensureIndexes } from '../subgraphs/lib/mongo';
import type { PageRequest } from '../subgraphs/lib/pagination';
import { createCatalog, type Catalog } from '../subgraphs/products/catalog';
import { catalogModels } from '../subgraphs/products/model';
import { createStock } from '../subgraphs/products/stock';
import { productsArgsSchema } from '../subgraphs/products/validation';
import { RARE_WORDS, seedBenchCatalog, type BenchCatalog } from './bench/catalog-data';
import { percentile } from './bench/measure';

const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 50_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const WARMUP = 3;
/** BENCH_COMPARE=0 skips timing each search a second time by scanning. */
const COMPARE = process.env.BENCH_COMPARE !== '0';
const GOAL_MS = 50;
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

interface Case {
  name: string;
  kind: 'search' | 'listing' | 'search-scan';
  /** A word in about a tenth of the catalog: more candidates than the index saves reading (docs/catalog.md#search). */
  common?: boolean;
  args: unknown;
  page?: PageRequest;
}

/** The same search answered by scanning the products (the catalog told never to use the index): the before, side by side. */
const scanned = (c: Case): Case => ({ ...c, kind: 'search-scan', name: `${c.name} [scan]` });

function cases(c: BenchCatalog): Case[] {
  const search = (name: string, filter: Record<string, unknown>, sort?: string): Case => ({ name, kind: 'search', args: { filter, sort } });
  const listing = (name: string, filter: Record<string, unknown>, sort?: string): Case => ({ name, kind: 'listing', args: { filter, sort } });
  return [
    search('search one word "lamp"', { search: 'lamp' }),
    search('search two words "desk lamp"', { search: 'desk lamp' }),
    search(`search rare word "${RARE_WORDS[1]}"`, { search: RARE_WORDS[1] }),
    search('search prefix "head"', { search: 'head' }),
    { ...search('search common word "cotton"', { search: 'cotton' }), common: true },
    { ...search('search "wool" + category, PRICE_ASC', { search: 'wool', categoryId: c.rootId }, 'PRICE_ASC'), common: true },
    search('search with no match "qqq"', { search: 'qqq' }),
    listing('all, NEWEST', {}),
    listing('category + descendants, NEWEST', { categoryId: c.rootId }),
    listing('leaf category, PRICE_ASC', { categoryId: c.leafId, includeDescendants: false }, 'PRICE_ASC'),
    listing('price 20-50 USD, PRICE_ASC', { minPriceCents: 2000, maxPriceCents: 5000 }, 'PRICE_ASC'),
    listing('in stock only, NAME_ASC', { inStockOnly: true }, 'NAME_ASC'),
    listing('category + price + in stock, PRICE_DESC', { categoryId: c.rootId, minPriceCents: 1000, maxPriceCents: 40000, inStockOnly: true }, 'PRICE_DESC'),
  ];
}

/** One storefront request: the first page and its totalCount (the resolver runs both when asked). */
async function request(catalogs: Catalogs, c: Case): Promise<{ edges: number; total: number }> {
  const catalog = c.kind === 'search-scan' ? catalogs.scanning : catalogs.indexed;
  const page = await catalog.list(productsArgsSchema.parse(c.args), c.page ?? { first: 20 }, false);
  return { edges: page.edges.length, total: await page.totalCount() };
}

/** The page after the first (a keyset cursor), for the default listing: paging must stay as fast. */
async function withSecondPage(catalog: Catalog, c: Case): Promise<Case> {
  const first = await catalog.list(productsArgsSchema.parse(c.args), { first: 20 }, false);
  return { ...c, name: `${c.name}, page 2`, page: { first: 20, after: first.pageInfo.endCursor! } };
}

interface Catalogs {
  indexed: Catalog;
  scanning: Catalog;
}

interface Row {
  name: string;
  kind: Case['kind'];
  common: boolean;
  total: number;
  p50: number;
  p95: number;
  times: number[];
}

async function measure(catalogs: Catalogs, all: Case[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const c of all) rows.push({ name: c.name, kind: c.kind, common: c.common ?? false, total: (await request(catalogs, c)).total, p50: 0, p95: 0, times: [] });
  for (let run = 0; run < WARMUP + RUNS; run++) {
    for (const [i, c] of all.entries()) {
      const started = process.hrtime.bigint();
      await request(catalogs, c);
      if (run >= WARMUP) rows[i].times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    if ((run + 1) % 10 === 0) log(`run ${run + 1}/${WARMUP + RUNS}`);
  }
  for (const r of rows) {
    const sorted = [...r.times].sort((a, b) => a - b);
    r.p50 = round(percentile(sorted, 50));
    r.p95 = round(percentile(sorted, 95));
  }
  return rows;
}

const round = (x: number) => Math.round(x * 10) / 10;
const pooledP95 = (rows: Row[]) => round(percentile(rows.flatMap((r) => r.times).sort((a, b) => a - b), 95));

function printTable(rows: Row[]) {
  log('');
  log(`${PRODUCTS} products; first page of 20 + totalCount, as a customer; ${RUNS} runs per case`);
  log(`  ${'case'.padEnd(48)} ${'matches'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}`);
  for (const r of rows) log(`  ${r.name.padEnd(48)} ${String(r.total).padStart(8)} ${String(r.p50).padStart(8)} ${String(r.p95).padStart(8)}`);
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-catalog-'));
  const mongo = await ensureMongo({ dataDir, log, store: 'memory' });
  log(mongo.description);
  const conn = await mongoose.createConnection(mongo.env.MONGODB_URI, { dbName: 'bench_catalog_products', autoIndex: false }).asPromise();
  try {
    await conn.dropDatabase();
    const models = catalogModels(conn);
    await ensureIndexes(Object.values(models));
    const catalog = createCatalog(models, createStock(models));
    const catalogs = { indexed: catalog, scanning: createCatalog(models, createStock(models), { searchFetchLimit: 0 }) };
    const seedStart = Date.now();
    const bench = await seedBenchCatalog(models, PRODUCTS, log);
    const seedSeconds = Math.round((Date.now() - seedStart) / 1000);
    log(`seeded ${PRODUCTS} products and ${bench.categories} categories in ${seedSeconds}s`);
    // The products went in around the catalog, as legacy ones would: the service's start-up backfill indexes them.
    const indexStart = Date.now();
    const indexed = await catalog.searchIndex.backfill(1000);
    const indexSeconds = Math.round((Date.now() - indexStart) / 1000);
    const prefixDocs = await models.searchPrefixes.estimatedDocumentCount();
    log(`search index: ${indexed} products, ${prefixDocs} prefix documents, in ${indexSeconds}s`);
    const all = cases(bench);
    all.push(await withSecondPage(catalog, all.find((c) => c.name === 'all, NEWEST')!));
    if (COMPARE) all.push(...all.filter((c) => c.kind === 'search').map(scanned));
    const rows = await measure(catalogs, all);
    printTable(rows);
    const search = rows.filter((r) => r.kind === 'search');
    const scan = rows.filter((r) => r.kind === 'search-scan');
    const listing = rows.filter((r) => r.kind === 'listing');
    const filtered = listing.filter((r) => !r.name.startsWith('all'));
    const searchP95Ms = pooledP95(search);
    log(`search p95 ${searchP95Ms} ms (goal < ${GOAL_MS}): ${searchP95Ms < GOAL_MS ? 'met' : 'NOT met'}${scan.length ? `; by scanning ${pooledP95(scan)} ms` : ''}`);
    const byCase = Object.fromEntries(rows.map((r) => [r.name, { matches: r.total, p50Ms: r.p50, p95Ms: r.p95 }]));
    process.stdout.write(`${JSON.stringify(byCase)}\n`);
    process.stdout.write(
      `${JSON.stringify({
        products: PRODUCTS, runs: RUNS, searchP95Ms, searchWorstCaseP95Ms: Math.max(...search.map((r) => r.p95)),
        searchSpecificWordsP95Ms: pooledP95(search.filter((r) => !r.common)), searchCommonWordsP95Ms: pooledP95(search.filter((r) => r.common)), searchP50Ms: round(percentile(search.flatMap((r) => r.times).sort((a, b) => a - b), 50)),
        listingP95Ms: pooledP95(listing), filteredListingP95Ms: pooledP95(filtered), listingWorstCaseP95Ms: Math.max(...listing.map((r) => r.p95)),
        ...(scan.length ? { scanSearchP95Ms: pooledP95(scan), scanSearchP50Ms: round(percentile(scan.flatMap((r) => r.times).sort((a, b) => a - b), 50)) } : {}), goalMs: GOAL_MS, seedSeconds, indexSeconds, prefixDocs,
      })}\n`,
    );
  } finally {
    await conn.close();
    await mongo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
