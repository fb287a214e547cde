/**
 * `npm run bench:gateway`: what the gateway costs on top of a subgraph. Starts its own backing
 * services (or uses MONGODB_URI/REDIS_URL/STRIPE_* from the environment), runs the four subgraphs
 * and the gateway as child processes in production mode (rate limits off), seeds one order, then
 * runs autocannon on loopback against
 *   (a) the gateway: an order with customer, items { product } and payment (four subgraphs), and
 *   (b) the orders subgraph directly, with a signed identity header: the same order's own fields.
 * Prints requests/s and p50/p95/p99 for each, their ratio and each process's RSS; the last line
 * is one JSON object. Env: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 10).
 */
import autocannon from 'autocannon';
import mongoose from 'mongoose';
import { percentile, rssMb, startBenchStack } from './backing/bench-stack';
import { SUBGRAPH_PROCESSES, GATEWAY_PROCESS } from './stack-processes';
import { IDENTITY_HEADER, bindingFor, signIdentity } from '../subgraphs/lib/identity';
import { newId } from '../subgraphs/lib/ids';
import { issueAccessToken } from '../subgraphs/lib/tokens';
import { customerModel } from '../subgraphs/customers/model';
import { productModel } from '../subgraphs/products/model';
import { orderModel } from '../subgraphs/orders/model';
import { paymentModel } from '../subgraphs/payments/model';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const log = (m: string) => process.stdout.write(`[bench] ${m}\n`);

const GATEWAY_QUERY = `query Order($id: ID!) {
  order(id: $id) {
    id status totalCents currency
    customer { id email name }
    items { quantity unitPriceCents product { id name priceCents } }
    payment { id status }
  }
}`;
/** The orders subgraph's own share of the same answer (references resolve to ids only). */
const DIRECT_QUERY = `query Order($id: ID!) {
  order(id: $id) {
    id status totalCents currency
    customer { id }
    items { quantity unitPriceCents product { id } }
    payment { id }
  }
}`;

interface RunResult {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** autocannon reports p97.5 but not p95, so every response time is kept and ranked here. */
async function run(url: string, headers: Record<string, string>, body: string, seconds: number): Promise<RunResult> {
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, connections: CONNECTIONS, duration: seconds }, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
  });
  times.sort((a, b) => a - b);
  return { rps: result.requests.average, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), non2xx: result.non2xx, errors: result.errors + result.timeouts };
}

async function main() {
  const stack = await startBenchStack(log);
  const { ports, secrets, children } = stack;
  try {
    for (const p of SUBGRAPH_PROCESSES) await stack.launch(p);
    await stack.launch(GATEWAY_PROCESS);
    const gatewayPort = ports.gateway;
    log(`started ${children.map((c) => c.name).join(', ')} (NODE_ENV=production, rate limits off)`);

    const { orderId, customerId } = await seed(stack.mongoUri, stack.dbPrefix);
    const runId = stack.queuePrefix;
    const token = await issueAccessToken({ sub: customerId, role: 'CUSTOMER' }, secrets.JWT_SECRET);
    const identity = signIdentity({ sub: customerId, role: 'CUSTOMER', rid: runId }, secrets.INTERNAL_SECRET, bindingFor('orders', { query: DIRECT_QUERY, variables: { id: orderId } }));
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}/graphql`;
    const directUrl = `http://127.0.0.1:${ports.orders}/graphql`;
    const gatewayReq = { url: gatewayUrl, headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ query: GATEWAY_QUERY, variables: { id: orderId }, operationName: 'Order' }) };
    const directReq = { url: directUrl, headers: { [IDENTITY_HEADER]: identity }, body: JSON.stringify({ query: DIRECT_QUERY, variables: { id: orderId }, operationName: 'Order' }) };

    for (const [label, req] of [['gateway', gatewayReq], ['direct', directReq]] as const) {
      const res = await fetch(req.url, { method: 'POST', headers: { 'content-type': 'application/json', ...req.headers }, body: req.body });
      const json = (await res.json()) as { data?: { order?: { items?: Array<{ product?: { name?: string } }> } }; errors?: unknown };
      if (!res.ok || json.errors || !json.data?.order) throw new Error(`${label} sanity check failed: ${res.status} ${JSON.stringify(json)}`);
      if (label === 'gateway' && !json.data.order.items?.[0]?.product?.name) throw new Error('gateway answer lacks product names: not spanning subgraphs');
    }
    log(`sanity checks passed; warming up, then ${SECONDS}s per target with ${CONNECTIONS} connections`);

    await run(gatewayReq.url, gatewayReq.headers, gatewayReq.body, 2);
    await run(directReq.url, directReq.headers, directReq.body, 2);
    const gateway = await run(gatewayReq.url, gatewayReq.headers, gatewayReq.body, SECONDS);
    const direct = await run(directReq.url, directReq.headers, directReq.body, SECONDS);

    const fmt = (r: RunResult) => `${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(1)} ms   p95 ${r.p95.toFixed(1)} ms   p99 ${r.p99.toFixed(1)} ms   non-2xx ${r.non2xx}   errors ${r.errors}`;
    log(`(a) gateway, order across 4 subgraphs: ${fmt(gateway)}`);
    log(`(b) orders subgraph directly:          ${fmt(direct)}`);
    const ratio = Math.round((gateway.rps / direct.rps) * 1000) / 1000;
    log(`gateway/direct throughput ratio: ${ratio}`);
    log(`resident memory (RSS, MB): ${children.map((c) => `${c.name} ${rssMb(c.proc.child.pid)}`).join(', ')}`);
    const summary = { gatewayRps: Math.round(gateway.rps), directRps: Math.round(direct.rps), ratio, gatewayP95Ms: gateway.p95, directP95Ms: direct.p95 };
    await stack.stop();
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

/** One customer, three products, a payment and an order, written with each domain's own models. */
async function seed(uri: string, dbPrefix: string) {
  const db = (name: string) => mongoose.createConnection(uri, { dbName: `${dbPrefix}${name}` }).asPromise();
  const [customers, products, orders, payments] = await Promise.all(['customers', 'products', 'orders', 'payments'].map(db));
  try {
    const customerId = newId('customer');
    const productIds = [newId('product'), newId('product'), newId('product')];
    const paymentId = newId('payment');
    const orderId = newId('order');
    await customerModel(customers).create({ _id: customerId, email: `bench-${customerId.slice(-6)}@example.com`, name: 'Bench Customer' });
    await productModel(products).create(productIds.map((id, i) => ({ _id: id, sku: `BENCH-${i}-${id.slice(-6)}`, name: `Bench widget ${i}`, priceCents: 1000 + i, currency: 'USD', onHand: 100 })));
    const lines = productIds.map((productId, i) => ({ productId, name: `Bench widget ${i}`, unitPriceCents: 1000 + i, quantity: i + 1 }));
    const totalCents = lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0);
    await paymentModel(payments).create({ _id: paymentId, customerId, status: 'SUCCEEDED', lines, amountCents: totalCents, currency: 'USD', reservationId: newId('reservation') });
    await orderModel(orders).create({ _id: orderId, paymentId, customerId, status: 'PAID', items: lines, totalCents, currency: 'USD', reservationId: newId('reservation') });
    return { orderId, customerId };
  } finally {
    await Promise.all([customers, products, orders, payments].map((c) => c.close()));
  }
}

main().catch((err) => {
  process.stderr.write(`[bench] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
