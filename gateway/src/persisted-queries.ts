import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { KeyvAdapter } from '@apollo/utils.keyvadapter';
import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { createKeyv } from '@keyv/redis';
import type { RequestHandler } from 'express';
import { Kind, parse, print, visit, type DefinitionNode, type DocumentNode, type FragmentDefinitionNode } from 'graphql';
import type { Redis } from 'ioredis';
import client from 'prom-client';
import { jsonError } from '../../subgraphs/lib/http';
import type { Logger } from '../../subgraphs/lib/logger';
import { registry } from '../../subgraphs/lib/metrics';

/**
 * Persisted queries.
 * - APQ (automatic): clients send a sha256 first and the full query only on a miss; the hash → query
 *   cache lives in Redis (`${QUEUE_PREFIX}:apq:apq:<sha256>`), so every gateway instance shares it.
 *   That Redis is the queues' (noeviction), so what clients may store is bounded: per entry (size,
 *   one day at most) and in total (ApqBudget: new entries per UTC day).
 * - Safelist (PERSISTED_QUERIES_SAFELIST=true): only operations registered with
 *   `npm run register-operations` run. They live in one Redis hash, `${QUEUE_PREFIX}:pq:safelist`
 *   (sha256 → query text), read by every instance; hash-only requests for them always hit.
 */
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export const safelistKey = (queuePrefix: string) => `${queuePrefix}:pq:safelist`;

/** The registered operations, in Redis. */
export class Safelist {
  constructor(private readonly redis: Redis, private readonly key: string, private readonly logger?: Logger) {}

  async get(hash: string): Promise<string | undefined> {
    try {
      return (await this.redis.hget(this.key, hash)) ?? undefined;
    } catch (err) {
      this.logger?.warn('safelist lookup failed', { error: String(err) });
      return undefined;
    }
  }

  async has(hash: string): Promise<boolean> {
    return (await this.get(hash)) !== undefined;
  }

  async register(entries: Array<{ hash: string; text: string }>): Promise<number> {
    if (!entries.length) return 0;
    return this.redis.hset(this.key, Object.fromEntries(entries.map((e) => [e.hash, e.text])));
  }
}

/** APQ cache over Redis (Keyv + @keyv/redis through Apollo's KeyvAdapter). */
export function createApqCache(redisUrl: string, queuePrefix: string, logger: Logger) {
  const keyv = createKeyv(redisUrl, { namespace: `${queuePrefix}:apq`, keyPrefixSeparator: ':', throwOnConnectError: false, connectionTimeout: 2000 });
  // Without a listener an error event would crash the process; a cache outage only costs misses.
  keyv.on('error', (err: unknown) => logger.warn('persisted query cache error', { error: String(err) }));
  return { cache: new KeyvAdapter<string>(keyv as any), close: () => keyv.disconnect().catch(() => undefined) };
}

const DAY_SECONDS = 24 * 3600;

/** APQ stores refused, by reason: `size` (query over the limit) or `budget` (the day's entries spent). */
export const apqStoreRefused =
  (registry.getSingleMetric('apq_store_refused_total') as client.Counter<'reason'> | undefined) ??
  new client.Counter({ name: 'apq_store_refused_total', help: 'Automatic persisted queries not stored, by reason (size | budget)', labelNames: ['reason'] as const, registers: [registry] });

export const apqBudgetKey = (queuePrefix: string, now: Date) => `${queuePrefix}:pq:apq-budget:${now.toISOString().slice(0, 10)}`;

/**
 * How many new APQ entries all instances together may store per UTC day: one atomic INCR on
 * `${QUEUE_PREFIX}:pq:apq-budget:<YYYY-MM-DD>`, which expires after two days.
 * Storage bound: an entry lives at most one day (PersistedQueryCache caps its TTL), so the entries
 * in Redis at any moment were stored on at most two UTC days: at most 2 × maxEntriesPerDay ×
 * maxBytes (defaults: 2 × 5,000 × 8 KiB ≈ 78 MiB, plus Redis' per-key overhead).
 */
export class ApqBudget {
  constructor(private readonly redis: Redis, private readonly queuePrefix: string, private readonly maxEntriesPerDay: number) {}

  /** Spends one entry of today's budget; false once it is spent. Throws if Redis cannot count. */
  async take(now = new Date()): Promise<boolean> {
    const key = apqBudgetKey(this.queuePrefix, now);
    const results = await this.redis.multi().incr(key).expire(key, 2 * DAY_SECONDS).exec();
    const [error, count] = results?.[0] ?? [new Error('APQ budget transaction discarded'), 0];
    if (error) throw error;
    return Number(count) <= this.maxEntriesPerDay;
  }
}

export interface PersistedQueryStores {
  /** The APQ cache; absent when clients may not store queries. */
  apq?: KeyValueCache<string>;
  budget: ApqBudget;
  safelist: Safelist;
  maxBytes: number;
}

/**
 * What Apollo looks persisted queries up in: registered operations first, then the APQ cache.
 * Apollo Server asks for `apq:<sha256>` (it prefixes every key it uses in a shared cache).
 * Clients store through set(): only when APQ is on, only queries of at most `maxBytes`, only
 * while the day's budget lasts, and for one day at most. A refused store costs the client nothing
 * but a PersistedQueryNotFound on its next hash-only request, after which it sends the full query.
 */
export class PersistedQueryCache implements KeyValueCache<string> {
  constructor(private readonly stores: PersistedQueryStores) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.stores.safelist.get(key.replace(/^apq:/, ''))) ?? (await this.stores.apq?.get(key));
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const { apq, budget, maxBytes } = this.stores;
    if (!apq) return;
    if (Buffer.byteLength(value) > maxBytes) return void apqStoreRefused.inc({ reason: 'size' });
    // Already stored (clients racing to register the same query): nothing new, so no budget spent,
    // and its life is not extended.
    if ((await apq.get(key)) !== undefined) return;
    if (!(await budget.take())) return void apqStoreRefused.inc({ reason: 'budget' });
    await apq.set(key, value, { ttl: Math.min(options?.ttl ?? DAY_SECONDS, DAY_SECONDS) });
  }

  async delete(key: string): Promise<boolean | void> {
    return this.stores.apq?.delete(key);
  }
}

function requestedOperation(req: Parameters<RequestHandler>[0]): { query?: unknown; hash?: unknown } {
  const source = req.method === 'GET' ? (req.query as Record<string, unknown>) : (req.body as Record<string, unknown>);
  let extensions = source?.extensions;
  if (typeof extensions === 'string') {
    try {
      extensions = JSON.parse(extensions);
    } catch {
      extensions = undefined;
    }
  }
  return { query: source?.query, hash: (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash };
}

/**
 * Safelist mode: a request runs only if its query text (exactly, or after normalising with
 * graphql's print) or its persisted-query hash is registered. Checked before parsing or planning.
 */
export function safelistOnly(safelist: Safelist, maxTokens: number): RequestHandler {
  return async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'POST') return next();
    const { query, hash } = requestedOperation(req);
    if (typeof query === 'string') {
      if (await safelist.has(sha256(query))) return next();
      const normalised = normalise(query, maxTokens);
      if (normalised && (await safelist.has(sha256(normalised)))) return next();
    } else if (typeof hash === 'string') {
      if (await safelist.has(hash)) return next();
    } else if (req.method === 'GET') {
      return next(); // the landing page, or Apollo's own "no query" answer
    }
    jsonError(res, 'PERSISTED_QUERY_NOT_IN_LIST', 'Only registered operations are accepted by this gateway');
  };
}

function normalise(query: string, maxTokens: number): string | null {
  try {
    return print(parse(query, { maxTokens }));
  } catch {
    return null;
  }
}

/** One registrable operation: its own definition plus every fragment it uses, printed. */
export interface RegisteredOperation {
  name: string;
  file: string;
  text: string;
  hash: string;
}

/** The operations in these .graphql files (directories are searched recursively). */
export function operationsFromPaths(paths: string[]): RegisteredOperation[] {
  const files = paths.flatMap((p) => graphqlFiles(path.resolve(p)));
  const docs = files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  const fragments = new Map<string, FragmentDefinitionNode>();
  const parsed = docs.map((d) => ({ ...d, doc: parse(d.text) }));
  for (const { doc } of parsed) for (const def of doc.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const out: RegisteredOperation[] = [];
  for (const { file, text, doc } of parsed) {
    const operations = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    for (const op of operations) {
      const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [op, ...fragmentsUsedBy(op, fragments)] };
      const printed = print(document);
      const name = op.name?.value ?? '(anonymous)';
      out.push({ name, file, text: printed, hash: sha256(printed) });
      // A file holding exactly one operation is also registered verbatim, as a client may send it as is.
      if (operations.length === 1 && text !== printed) out.push({ name, file, text, hash: sha256(text) });
    }
  }
  return out;
}

function fragmentsUsedBy(root: DefinitionNode, all: Map<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const walk = (node: DefinitionNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        const fragment = all.get(name);
        if (!fragment) throw new Error(`fragment ${name} is used but not defined in the given files`);
        if (!used.has(name)) {
          used.set(name, fragment);
          walk(fragment);
        }
      },
    });
  walk(root);
  return [...used.values()];
}

function graphqlFiles(p: string): string[] {
  if (statSync(p).isFile()) return [p];
  return readdirSync(p, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? graphqlFiles(path.join(p, e.name)) : /\.(graphql|gql)$/.test(e.name) ? [path.join(p, e.name)] : []))
    .sort();
}
