import Transport from 'winston-transport';
import { startGateway } from '../gateway/src/server';
import type { GatewayConfig } from '../gateway/src/config';
import { newId } from '../subgraphs/lib/ids';
import { addLogTransport } from '../subgraphs/lib/logger';
import { SUPERGRAPH_PATH } from '../scripts/supergraph';
import { freePort } from '../scripts/backing/processes';
import { startStack, postGraphQL, type TestStack, gatewayConfigFor } from './support/stack';

/** Every log line written by any logger created in this process, as parsed objects. */
class Capture extends Transport {
  lines: Array<Record<string, any>> = [];
  override log(info: any, next: () => void) {
    this.lines.push(info);
    next();
  }
}

const ORDER_QUERY = `query Order($id: ID!) { order(id: $id) { id payment { id status } } }`;

describe('production mode hides the internals; development serves Sandbox out of the box', () => {
  let stack: TestStack;
  const capture = new Capture();
  let removeCapture: () => void;
  const gateways: Array<{ stop(): Promise<void> }> = [];
  const customerId = newId('customer');
  const orderId = newId('order');

  async function gatewayWith(overrides: Partial<GatewayConfig>) {
    const gw = await startGateway(gatewayConfigFor(stack.config, { nodeEnv: 'production', logLevel: 'info', subgraphTimeoutMs: 5_000, ...overrides }));
    gateways.push(gw);
    return gw.url;
  }

  beforeAll(async () => {
    removeCapture = addLogTransport(capture);
    stack = await startStack();
    const paymentId = newId('payment');
    const lines = [{ productId: newId('product'), name: 'Gadget', unitPriceCents: 900, quantity: 1 }];
    await stack.payments.deps.payments.create({ _id: paymentId, customerId, status: 'SUCCEEDED', lines, amountCents: 900, currency: 'USD', reservationId: newId('reservation') });
    await stack.orders.deps.orders.create({ _id: orderId, paymentId, customerId, status: 'PAID', lines, amountCents: 900, currency: 'USD', reservationId: newId('reservation') });
  });
  afterAll(async () => {
    removeCapture?.();
    for (const gw of gateways) await gw.stop();
    await stack?.stop();
  });

  it('refuses introspection and hides field suggestions and the landing page in production', async () => {
    const base = await gatewayWith({});
    const introspection = await postGraphQL<any>(`${base}/graphql`, '{ __schema { queryType { name } } }', {});
    expect(introspection.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(introspection.errors?.[0].message).toMatch(/introspection/i);
    expect(introspection.data).toBeUndefined();

    const typo = await postGraphQL<any>(`${base}/graphql`, '{ prodcut(id: "x") { id } }', {});
    expect(typo.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(typo.errors?.[0].message).not.toMatch(/Did you mean|product/);
    // The development/test gateway still helps with the typo.
    const helpful = await stack.gql('{ prodcut(id: "x") { id } }');
    expect(helpful.errors?.[0].message).toMatch(/Did you mean "product/);

    const page = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/sandbox/i);
  });

  it('masks an unexpected subgraph failure as INTERNAL_SERVER_ERROR with the request id, sends no stack, logs it all', async () => {
    const deadPort = await freePort();
    const base = await gatewayWith({ subgraphUrls: { ...stack.config.peers, payments: `http://127.0.0.1:${deadPort}/graphql` } });
    const res = await postGraphQL<any>(`${base}/graphql`, ORDER_QUERY, { id: orderId }, { authorization: `Bearer ${await stack.tokenFor(customerId)}`, 'x-request-id': 'prod-mask-1' });
    expect(res.errors).toHaveLength(1);
    expect(res.errors?.[0].message).toBe('Internal server error');
    expect(res.errors?.[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'prod-mask-1' });
    expect(JSON.stringify(res)).not.toMatch(/ECONNREFUSED|stack|127\.0\.0\.1/);
    const logged = capture.lines.filter((l) => l.service === 'gateway' && l.requestId === 'prod-mask-1' && l.level === 'error');
    expect(JSON.stringify(logged)).toMatch(/ECONNREFUSED/);
  });

  it('allows browsers only from CORS_ORIGINS', async () => {
    const base = await gatewayWith({ security: { corsOrigins: ['https://shop.example'] } });
    const preflight = (origin: string) =>
      fetch(`${base}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    const allowed = await preflight('https://shop.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('in development serves Sandbox at /graphql and lets Apollo’s hosted Sandbox call it', async () => {
    const base = await gatewayWith({ nodeEnv: 'development' });
    const page = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/embeddable-sandbox/);
    const preflight = await fetch(`${base}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://sandbox.embed.apollographql.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://sandbox.embed.apollographql.com');
    const introspection = await postGraphQL<any>(`${base}/graphql`, '{ __schema { queryType { name } } }', {});
    expect(introspection.data.__schema.queryType.name).toBe('Query');
  });
});
