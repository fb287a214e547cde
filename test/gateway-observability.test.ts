import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { print, parse } from 'graphql';
import Transport from 'winston-transport';
import type { Worker } from 'bullmq';
import { startGateway } from '../gateway/src/server';
import type { GatewayConfig } from '../gateway/src/config';
import { sha256 } from '../gateway/src/persisted-queries';
import { newId } from '../subgraphs/lib/ids';
import { addLogTransport, createLogger } from '../subgraphs/lib/logger';
import { openQueue, queueDeps, reservationExpiryQueue } from '../subgraphs/lib/queues';
import { createRedis } from '../subgraphs/lib/redis';
import { configureShutdown } from '../subgraphs/lib/shutdown';
import { createValidatedWorker } from '../subgraphs/lib/worker';
import { SUPERGRAPH_PATH } from '../scripts/supergraph';
import { ROOT } from '../scripts/backing/processes';
import { startStack, postGraphQL, type TestStack, gatewayConfigFor } from './support/stack';

class Capture extends Transport {
  lines: Array<Record<string, any>> = [];
  override log(info: any, next: () => void) {
    this.lines.push(info);
    next();
  }
}

const ORDER_QUERY = `query Order($id: ID!) {
  order(id: $id) { id customer { email } lines { product { name } } payment { status } }
}`;

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

describe('observability, persisted queries and draining at the gateway', () => {
  let stack: TestStack;
  const capture = new Capture();
  let removeCapture: () => void;
  const gateways: Array<{ stop(): Promise<void> }> = [];
  const tempDirs: string[] = [];
  const customerId = newId('customer');
  const productId = newId('product');
  const orderId = newId('order');

  async function gatewayWith(overrides: Partial<GatewayConfig>) {
    const gw = await startGateway(gatewayConfigFor(stack.config, { nodeEnv: 'test', logLevel: 'error', subgraphTimeoutMs: 5_000, ...overrides }));
    gateways.push(gw);
    return gw;
  }

  beforeAll(async () => {
    removeCapture = addLogTransport(capture);
    stack = await startStack({ logLevel: 'http' });
    await stack.customers.deps.service.models.customers.create({ _id: customerId, email: 'obs@example.com', name: 'Obs' });
    await stack.products.deps.products.create({ _id: productId, sku: `SKU-${productId.slice(-8)}`, name: 'Gizmo', priceCents: 700, currency: 'USD', onHand: 3 });
    const paymentId = newId('payment');
    const lines = [{ productId, name: 'Gizmo', unitPriceCents: 700, quantity: 1 }];
    await stack.payments.deps.payments.create({ _id: paymentId, customerId, status: 'SUCCEEDED', lines, amountCents: 700, currency: 'USD', reservationId: newId('reservation') });
    await stack.orders.deps.orders.create({ _id: orderId, paymentId, customerId, status: 'PAID', lines, amountCents: 700, currency: 'USD', reservationId: newId('reservation') });
  });
  afterAll(async () => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    removeCapture?.();
    configureShutdown({ drainDelayMs: 0 });
    for (const gw of gateways) await gw.stop();
    await stack?.stop();
  });

  it('carries one request id from the client through the gateway and subgraphs into queue jobs and worker logs', async () => {
    const res = await stack.gql(ORDER_QUERY, { id: orderId }, { token: await stack.tokenFor(customerId), headers: { 'x-request-id': 'trace-me-42' } });
    expect(res.errors).toBeUndefined();
    expect(res.headers.get('x-request-id')).toBe('trace-me-42');
    const services = new Set(capture.lines.filter((l) => l.requestId === 'trace-me-42').map((l) => l.service));
    for (const s of ['gateway', 'orders', 'customers', 'products', 'payments']) expect(services).toContain(s);

    // A producer puts the request id into the payload; the worker logs every line under it.
    const connection = createRedis(stack.config.redisUrl);
    const deps = queueDeps(connection, `${stack.config.queuePrefix}-obs`);
    const queue = openQueue(reservationExpiryQueue, deps);
    let worker: Worker | undefined;
    try {
      const handled = new Promise<void>((resolve) => {
        worker = createValidatedWorker(
          reservationExpiryQueue,
          async (payload, { logger }) => {
            logger.info('expiring reservation', { reservationId: payload.reservationId });
            setTimeout(resolve, 50);
          },
          { ...deps, logger: createLogger('products-worker', 'info') },
        );
      });
      await queue.publish({ reservationId: 'res_obs', requestId: res.headers.get('x-request-id')! });
      await handled;
      await new Promise((r) => setTimeout(r, 100));
      const workerLines = capture.lines.filter((l) => l.service === 'products-worker' && l.requestId === 'trace-me-42').map((l) => l.message);
      expect(workerLines).toEqual(expect.arrayContaining(['expiring reservation', 'job done']));
    } finally {
      await worker?.close();
      await queue.close();
      connection.disconnect();
    }
  });

  it('exposes Prometheus metrics, health and readiness on the gateway and every subgraph', async () => {
    await stack.gql(ORDER_QUERY, { id: orderId }, { token: await stack.tokenFor(customerId) });
    const gatewayMetrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    expect(gatewayMetrics).toMatch(/graphql_operation_duration_seconds_count\{service="gateway",operation="Order",type="query",outcome="ok"\} [1-9]/);
    expect(gatewayMetrics).toMatch(/gateway_subgraph_call_duration_seconds_count\{subgraph="orders",outcome="ok"\} [1-9]/);
    expect(gatewayMetrics).toMatch(/queue_job_duration_seconds_count\{queue="reservation-expiry",outcome="completed"\} [1-9]/);
    expect(gatewayMetrics).toMatch(/process_resident_memory_bytes/);
    for (const service of [stack.customers, stack.products, stack.orders, stack.payments, stack.gateway]) {
      expect((await fetch(`${service.url}/health`)).status).toBe(200);
      expect((await fetch(`${service.url}/ready`)).status).toBe(200);
      expect((await fetch(`${service.url}/metrics`)).status).toBe(200);
    }
    expect(await (await fetch(`${stack.orders.url}/metrics`)).text()).toMatch(/http_request_duration_seconds_count\{service="orders",method="POST",route="\/graphql",status="200"\}/);
  });

  it('shares automatic persisted queries between gateway instances through Redis', async () => {
    const query = `query ProductName($id: ID!) { product(id: $id) { name } }`;
    const hash = sha256(query);
    const ext = { persistedQuery: { version: 1, sha256Hash: hash } };
    const first = await post(stack.graphqlUrl, { extensions: ext, variables: { id: productId } });
    expect(first.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await post(stack.graphqlUrl, { query, extensions: ext, variables: { id: productId } });
    expect(registered.body.data.product.name).toBe('Gizmo');

    const other = await gatewayWith({});
    await new Promise((r) => setTimeout(r, 200)); // the cache write is not awaited by Apollo
    const hit = await post(`${other.url}/graphql`, { extensions: ext, variables: { id: productId } });
    expect(hit.body.data.product.name).toBe('Gizmo');
  });

  it('in safelist mode runs only operations registered with npm run register-operations', async () => {
    const queuePrefix = `${stack.config.queuePrefix}-safe`;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ops-'));
    tempDirs.push(dir);
    writeFileSync(path.join(dir, 'product.graphql'), 'query ProductCard($id: ID!) {\n  product(id: $id) { ...Card }\n}\nfragment Card on Product { id name }\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/register-operations.ts', dir], {
      cwd: ROOT,
      // DATA_DIR: an empty folder, so a developer's running `npm start` lends no settings to this run.
      env: { ...process.env, REDIS_URL: stack.config.redisUrl, QUEUE_PREFIX: queuePrefix, DATA_DIR: dir },
    });
    const manifest = JSON.parse(stdout.trim().split('\n').pop()!);
    const text = print(parse('query ProductCard($id: ID!) { product(id: $id) { ...Card } } fragment Card on Product { id name }'));
    expect(manifest.ProductCard).toBe(sha256(text));

    const gw = await gatewayWith({ queuePrefix, persistedQueries: { safelist: true } });
    const url = `${gw.url}/graphql`;
    const byText = await post(url, { query: text, variables: { id: productId } });
    expect(byText.body.data.product).toEqual({ id: productId, name: 'Gizmo' });
    const byHash = await post(url, { extensions: { persistedQuery: { version: 1, sha256Hash: manifest.ProductCard } }, variables: { id: productId } });
    expect(byHash.body.data.product.name).toBe('Gizmo');
    const adHoc = await post(url, { query: `{ product(id: "${productId}") { id name } }` });
    expect(adHoc.status).toBe(400);
    expect(adHoc.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    const sneaky = await post(url, { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ __typename }') } } });
    expect(sneaky.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
  });

  it('turns readiness to 503 before it stops serving, then finishes and closes', async () => {
    configureShutdown({ drainDelayMs: 600 });
    const gw = await gatewayWith({});
    const stopped = gw.stop();
    const ready = await fetch(`${gw.url}/ready`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).status).toBe('draining');
    // Still answering during the drain delay, asking keep-alive clients to go elsewhere.
    const during = await postGraphQL<any>(`${gw.url}/graphql`, '{ __typename }', {});
    expect(during.data).toEqual({ __typename: 'Query' });
    expect(during.headers.get('connection')).toBe('close');
    await stopped;
    configureShutdown({ drainDelayMs: 0 });
    await expect(fetch(`${gw.url}/health`)).rejects.toThrow();
  });
});
