import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { startGateway } from '../gateway/src/server';
import { apqBudgetKey, sha256 } from '../gateway/src/persisted-queries';
import { createRedis } from '../subgraphs/lib/redis';
import { gatewayConfigFor, startStack, type TestStack } from './support/stack';
import { waitFor } from './support/wait';

/**
 * Automatic persisted queries share the queues' noeviction Redis, so what clients may store there
 * is bounded in total, not only per entry: a day's budget of new entries, counted in Redis.
 */
describe('APQ storage budget', () => {
  let stack: TestStack;
  let redis: Redis;
  let gateway: { url?: string; stop(): Promise<void> };
  let url: string;
  const token = 'scrape-token-0123456789';
  const queuePrefix = `apq-budget-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    // The budget is per UTC day: a run straddling midnight would start a fresh budget mid-test.
    const msToMidnight = 86_400_000 - (Date.now() % 86_400_000);
    if (msToMidnight < 60_000) await new Promise((r) => setTimeout(r, msToMidnight + 1_000));
    stack = await startStack();
    redis = createRedis(stack.config.redisUrl);
    gateway = await startGateway(
      gatewayConfigFor(stack.config, {
        nodeEnv: 'production',
        queuePrefix,
        metricsToken: token,
        // A week asked for: stored for a day at most, which the storage bound relies on.
        persistedQueries: { enabled: true, maxBytes: 200, maxEntriesPerDay: 3, ttlSeconds: 7 * 24 * 3600 },
      }),
    );
    url = `${gateway.url}/graphql`;
  }, 150_000);
  afterAll(async () => {
    await gateway?.stop();
    await redis?.quit();
    await stack?.stop();
  });

  const post = (body: unknown) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (res) => (await res.json()) as any);
  const ext = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });
  const byHash = (query: string) => post({ extensions: ext(query) });

  async function refused(reason: 'size' | 'budget'): Promise<number> {
    const text = await (await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    return Number(text.match(new RegExp(`^apq_store_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm'))?.[1] ?? 0);
  }

  /** Sends the full query with its hash (an APQ registration); Apollo stores it without awaiting. */
  async function register(query: string) {
    const res = await post({ query, extensions: ext(query) });
    expect(res.data.products.totalCount).toEqual(expect.any(Number));
  }
  const stored = (query: string) => waitFor(`"${query}" stored`, async () => (await byHash(query)).data?.products, 10_000, 50);
  const queries = [1, 2, 3, 4].map((n) => `{ products(first: ${n}) { totalCount } }`);

  it('stores at most the day’s budget of new entries; beyond it queries run but are not stored, and are counted', async () => {
    const [sizeBefore, budgetBefore] = [await refused('size'), await refused('budget')];

    // Oversize: refused for its size, before the budget is touched.
    const big = `{ products(first: 5) { totalCount } }${' '.repeat(300)}`;
    await register(big);
    await waitFor('size refusal counted', async () => (await refused('size')) === sizeBefore + 1, 10_000, 50);

    for (const query of queries.slice(0, 3)) {
      await register(query);
      await stored(query);
      // Registering what is already stored spends nothing (else this would use up the budget).
      await register(queries[0]);
    }

    await register(queries[3]);
    await waitFor('budget refusal counted', async () => (await refused('budget')) === budgetBefore + 1, 10_000, 50);
    expect((await byHash(queries[3])).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await byHash(big)).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    for (const query of queries.slice(0, 3)) expect((await byHash(query)).data.products.totalCount).toEqual(expect.any(Number));
    expect(await refused('size')).toBe(sizeBefore + 1);

    // The day's counter is one key that expires within two days; each entry lives a day at most.
    const key = apqBudgetKey(queuePrefix, new Date());
    expect(await redis.get(key)).toBe('4');
    expect(await redis.ttl(key)).toBeGreaterThan(24 * 3600);
    expect(await redis.ttl(key)).toBeLessThanOrEqual(2 * 24 * 3600);
    const entryTtl = await redis.ttl(`${queuePrefix}:apq:apq:${sha256(queries[0])}`);
    expect(entryTtl).toBeGreaterThan(0);
    expect(entryTtl).toBeLessThanOrEqual(24 * 3600);
  });
});
