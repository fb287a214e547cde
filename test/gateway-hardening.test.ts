import { createHash } from 'node:crypto';
import { startGateway } from '../gateway/src/server';
import type { GatewayConfig } from '../gateway/src/config';
import { gatewayConfigFor, postGraphQL, startStack, type TestStack } from './support/stack';

/**
 * What an attacker or a sloppy client meets at a production gateway: client mistakes are answered
 * as client errors (4xx with a code, never 500), nothing about the schema leaks through
 * suggestions, every alias counts against the alias limit, and /metrics is not public.
 */
describe('a production gateway answers probes with client errors and leaks nothing', () => {
  let stack: TestStack;
  const gateways: Array<{ stop(): Promise<void> }> = [];
  let base: string;

  async function gatewayWith(overrides: Partial<GatewayConfig> = {}) {
    const gw = await startGateway(gatewayConfigFor(stack.config, { nodeEnv: 'production', ...overrides }));
    gateways.push(gw);
    return gw.url!;
  }

  beforeAll(async () => {
    stack = await startStack();
    base = await gatewayWith();
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.stop();
    await stack?.stop();
  });

  const post = (body: unknown, url = `${base}/graphql`) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (res) => ({ status: res.status, body: (await res.json()) as any }));

  it('answers an unknown operationName with a 400 client error', async () => {
    const res = await post({ query: 'query A { products(first: 1) { totalCount } }', operationName: 'NotThere' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('OPERATION_RESOLUTION_FAILURE');
  });

  it('answers a persisted query whose hash does not match its text with a 400 client error', async () => {
    const query = '{ products(first: 1) { totalCount } }';
    const wrong = createHash('sha256').update(`${query} `).digest('hex');
    const apqOn = `${await gatewayWith({ persistedQueries: { enabled: true } })}/graphql`;
    const res = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: wrong } } }, apqOn);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('suggests no enum values in production', async () => {
    const res = await postGraphQL<any>(`${base}/graphql`, '{ products(sort: NEWST, first: 1) { totalCount } }', {});
    expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0].message).not.toMatch(/Did you mean|NEWEST/);
  });

  it('counts __typename aliases against the alias limit', async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `t${i}: __typename`).join(' ');
    const res = await postGraphQL<any>(`${base}/graphql`, `{ ${aliases} }`, {});
    expect(res.errors?.[0].extensions?.code).toBe('MAX_ALIASES_EXCEEDED');
  });

  it('serves no /metrics in production without a token, and only to its bearer with one', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const token = 'scrape-token-0123456789';
    const guarded = await gatewayWith({ metricsToken: token });
    expect((await fetch(`${guarded}/metrics`)).status).toBe(401);
    expect((await fetch(`${guarded}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const scraped = await fetch(`${guarded}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('graphql_operation_duration_seconds');
  });

  it('keeps client-chosen operation names from growing the metrics without bound', async () => {
    const token = 'scrape-token-0123456789';
    const url = await gatewayWith({ metricsToken: token });
    for (let i = 0; i < 150; i++) await post({ query: `query Made${i} { __typename }`, operationName: `Made${i}` }, `${url}/graphql`);
    const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    const names = new Set([...text.matchAll(/graphql_operation_duration_seconds_count\{service="gateway",operation="([^"]+)"/g)].map((m) => m[1]));
    expect(names.has('(other)')).toBe(true);
    expect([...names].filter((n) => !n.startsWith('(')).length).toBeLessThanOrEqual(100);
  });

  /** Registers `query` by APQ at `url`, then asks for it by hash alone (after Apollo's unawaited write). */
  async function apqRoundTrip(url: string, query: string) {
    const ext = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
    const registered = await post({ query, extensions: ext }, url);
    await new Promise((r) => setTimeout(r, 200));
    return { registered, byHash: await post({ extensions: ext }, url) };
  }

  it('lets no client store queries in production (APQ off unless enabled; clients fall back to plain queries)', async () => {
    const { registered, byHash } = await apqRoundTrip(`${base}/graphql`, `{ products(first: 1) { totalCount } }`);
    expect(registered.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    expect(byHash.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
  });

  it('stores no query longer than the APQ size limit where APQ is on', async () => {
    const url = `${await gatewayWith({ persistedQueries: { enabled: true, maxBytes: 200 } })}/graphql`;
    const small = await apqRoundTrip(url, `{ products(first: 2) { totalCount } }`);
    expect(small.byHash.body.data.products.totalCount).toEqual(expect.any(Number));
    const padded = `{ products(first: 3) { totalCount } }${' '.repeat(300)}`;
    const big = await apqRoundTrip(url, padded);
    expect(big.registered.body.data.products.totalCount).toEqual(expect.any(Number));
    expect(big.byHash.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});
