import { randomBytes } from 'node:crypto';
import { DEV_SECRET, SUBGRAPH_NAMES, type ServiceConfig, type SubgraphName } from '../../subgraphs/lib/config';
import { freePort } from '../../scripts/backing/processes';
import { issueAccessToken } from '../../subgraphs/lib/tokens';
import { startCustomersService } from '../../subgraphs/customers';
import { startProductsService } from '../../subgraphs/products';
import { startOrdersService } from '../../subgraphs/orders';
import { startPaymentsService } from '../../subgraphs/payments';
import { startGateway } from '../../gateway/src/server';
import type { GatewayConfig } from '../../gateway/src/config';
import { SUPERGRAPH_PATH } from '../../scripts/supergraph';

/**
 * The whole system in this test process, on real backing services (started by global-setup):
 * the four subgraphs and the gateway on free ports, with this file's own databases and queue prefix.
 */
export function testConfig(overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  const id = randomBytes(4).toString('hex');
  return {
    nodeEnv: 'test',
    logLevel: (process.env.TEST_LOG_LEVEL as ServiceConfig['logLevel']) ?? 'error',
    host: '127.0.0.1',
    mongoUri: required('MONGODB_URI'),
    dbPrefix: `t${id}_`,
    redisUrl: required('REDIS_URL'),
    queuePrefix: `test-${id}`,
    internalSecret: DEV_SECRET,
    jwtSecret: DEV_SECRET,
    port: 0,
    peers: { customers: '', products: '', orders: '', payments: '' },
    stripe: {
      secretKey: required('STRIPE_SECRET_KEY'),
      publishableKey: process.env.STRIPE_PUBLISHABLE_KEY ?? 'pk_test_mock_local',
      webhookSecret: process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_local_development_secret',
      host: process.env.STRIPE_API_HOST,
      port: process.env.STRIPE_API_PORT ? Number(process.env.STRIPE_API_PORT) : undefined,
      protocol: process.env.STRIPE_API_PROTOCOL as 'http' | 'https' | undefined,
    },
    // Tests pay with simulated webhooks the way a developer does in Sandbox.
    paymentSimulation: true,
    ...overrides,
  };
}

/** Free ports for the four subgraphs, known before any starts, so each can be told where its peers are. */
export async function allocatePeers(): Promise<{ ports: Record<SubgraphName, number>; peers: Record<SubgraphName, string> }> {
  const ports = {} as Record<SubgraphName, number>;
  const peers = {} as Record<SubgraphName, string>;
  for (const name of SUBGRAPH_NAMES) {
    ports[name] = await freePort();
    peers[name] = `http://127.0.0.1:${ports[name]}/graphql`;
  }
  return { ports, peers };
}

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: integration tests run under jest's global setup (npm test)`);
  return v;
}

/** A gateway over the subgraphs of `config` (its peers), on a free port; tests override what they probe. */
export function gatewayConfigFor(config: ServiceConfig, overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    nodeEnv: config.nodeEnv,
    logLevel: config.logLevel,
    host: '127.0.0.1',
    port: 0,
    supergraphPath: SUPERGRAPH_PATH,
    subgraphUrls: config.peers,
    subgraphTimeoutMs: 10_000,
    internalSecret: config.internalSecret,
    jwtSecret: config.jwtSecret,
    redisUrl: config.redisUrl,
    queuePrefix: config.queuePrefix,
    ...overrides,
  };
}

export async function startStack(overrides: Partial<ServiceConfig> = {}) {
  const { ports, peers } = await allocatePeers();
  const config = testConfig({ peers, ...overrides });
  const [customers, products, orders, payments] = await Promise.all([
    startCustomersService({ ...config, port: ports.customers }),
    startProductsService({ ...config, port: ports.products }),
    startOrdersService({ ...config, port: ports.orders }),
    startPaymentsService({ ...config, port: ports.payments }),
  ]);
  const gateway = await startGateway(gatewayConfigFor(config));
  const graphqlUrl = `${gateway.url}/graphql`;

  return {
    config,
    graphqlUrl,
    customers,
    products,
    orders,
    payments,
    gateway,
    /** A valid access token, as the customers service would issue it. */
    tokenFor: (customerId: string, role: 'CUSTOMER' | 'ADMIN' = 'CUSTOMER') => issueAccessToken({ sub: customerId, role }, config.jwtSecret),
    gql: <T = any>(query: string, variables: Record<string, unknown> = {}, opts: { token?: string; headers?: Record<string, string> } = {}) =>
      postGraphQL<T>(graphqlUrl, query, variables, { ...opts.headers, ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) }),
    async stop() {
      await gateway.stop();
      await Promise.all([customers, products, orders, payments].map((s) => s.stop()));
    },
  };
}
export type TestStack = Awaited<ReturnType<typeof startStack>>;

export interface GraphQLResponse<T> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }>;
  headers: Headers;
}

export async function postGraphQL<T>(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: GraphQLResponse<T>['errors'] };
  return { status: res.status, data: body.data ?? undefined, errors: body.errors, headers: res.headers };
}
