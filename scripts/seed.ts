/**
 * `npm run seed`: demo data for the Sandbox and the dashboard.
 *
 * Customers (with an admin) and the catalog go straight into their services' databases (both
 * idempotent: re-running updates rather than duplicates). Payments and orders are then made the
 * way a storefront makes them — sign in, check out, pay (a signed webhook, as Stripe would send) —
 * through the running gateway, so the real pipeline (queue → orders → analytics) creates them.
 * Each run adds a few more orders.
 */
import mongoose from 'mongoose';
import { baseEnvSchema } from '../subgraphs/lib/config';
import { parseEnvOrExit } from '../subgraphs/lib/env';
import { SEED_ADMIN, SEED_CUSTOMERS, SEED_CUSTOMER_PASSWORD, seedCustomers } from '../subgraphs/customers/seed';
import { seedCatalog } from '../subgraphs/products/seed';
import { loadStackEnv } from './backing/stack-env';

const log = (m: string) => process.stdout.write(`[seed] ${m}\n`);
const GATEWAY = process.env.GATEWAY_URL ?? 'http://localhost:4000/graphql';

async function seedDatabases(): Promise<void> {
  const env = parseEnvOrExit(baseEnvSchema);
  // Demo accounts with passwords printed in the README have no place in production.
  if (env.NODE_ENV === 'production') throw new Error('npm run seed makes demo accounts with public passwords: refused with NODE_ENV=production (use npm run create-admin)');
  for (const [service, seed] of [
    ['customers', seedCustomers],
    ['products', (conn: mongoose.Connection) => seedCatalog(conn)],
  ] as const) {
    const conn = await mongoose.createConnection(env.MONGODB_URI, { dbName: `${env.DB_PREFIX}${service}` }).asPromise();
    try {
      log(`${service}: ${JSON.stringify(await seed(conn))}`);
    } finally {
      await conn.close();
    }
  }
}

/** POST to the gateway; waits out RATE_LIMITED answers (login and checkout are strictly limited). */
async function gql<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  for (;;) {
    const res = await fetch(GATEWAY, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string; retryAfterSeconds?: number } }> };
    const err = body.errors?.[0];
    if (err?.extensions?.code === 'RATE_LIMITED') {
      const wait = Math.min(err.extensions.retryAfterSeconds ?? 5, 60);
      log(`rate limited; waiting ${wait}s`);
      await new Promise((r) => setTimeout(r, wait * 1000));
      continue;
    }
    if (err) throw new Error(`${err.extensions?.code ?? 'ERROR'}: ${err.message}`);
    return body.data as T;
  }
}

const login = (email: string, password: string) =>
  gql<{ login: { accessToken: string } }>(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: email, p: password }).then((d) => d.login.accessToken);

async function seedPurchases(): Promise<void> {
  const { products } = await gql<{ products: { edges: Array<{ node: { id: string } }> } }>(`{ products(filter: { inStockOnly: true }, first: 40) { edges { node { id } } } }`);
  const catalog = products.edges.map((e) => e.node.id);
  const paid: string[] = [];
  let n = 0;
  for (const customer of SEED_CUSTOMERS) {
    const token = await login(customer.email, SEED_CUSTOMER_PASSWORD);
    const { me } = await gql<{ me: { addresses: Array<{ id: string }> } }>(`{ me { addresses { id } } }`, {}, token);
    for (let i = 0; i < 2; i++, n++) {
      const lines = [catalog[(n * 3) % catalog.length], catalog[(n * 3 + 1) % catalog.length]].map((productId, k) => ({ productId, quantity: 1 + ((n + k) % 3) }));
      const { checkout } = await gql<{ checkout: { payment: { id: string; amountCents: number } } }>(
        `mutation($input: CheckoutInput!) { checkout(input: $input) { payment { id amountCents } } }`,
        { input: { shippingAddressId: me.addresses[0].id, lines } },
        token,
      );
      const outcome = n % 5 === 4 ? 'FAILED' : 'SUCCEEDED';
      await gql(`mutation($id: ID!, $o: SimulatedPaymentOutcome!) { simulatePaymentWebhook(paymentId: $id, outcome: $o) { id } }`, { id: checkout.payment.id, o: outcome }, token);
      if (outcome === 'SUCCEEDED') paid.push(checkout.payment.id);
      log(`${customer.email}: payment ${checkout.payment.id} ${checkout.payment.amountCents} cents ${outcome.toLowerCase()}`);
    }
  }
  if (paid.length) {
    const admin = await login(SEED_ADMIN.email, SEED_ADMIN.password);
    await gql(`mutation($id: ID!, $key: String!) { refundPayment(paymentId: $id, amountCents: 500, idempotencyKey: $key) { id status } }`, { id: paid[0], key: `seed-partial-${paid[0]}` }, admin);
    log(`admin refunded 500 cents of ${paid[0]}`);
  }
}

async function main() {
  const running = loadStackEnv();
  log(running ? 'using the backing services of the running `npm start`' : 'no running `npm start` found; using the environment');
  await seedDatabases();
  const up = await fetch(GATEWAY.replace(/\/graphql$/, '/ready')).then((r) => r.ok, () => false);
  if (!up) {
    log(`the gateway at ${GATEWAY} is not ready: start the stack (npm start), then run npm run seed again to create orders and payments`);
    return;
  }
  await seedPurchases();
  log(`done. Sign in as ${SEED_ADMIN.email} / ${SEED_ADMIN.password} (admin) or any seeded customer / ${SEED_CUSTOMER_PASSWORD}`);
}

main().catch((err) => {
  process.stderr.write(`[seed] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
