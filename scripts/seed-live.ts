/**
 * The live part of `npm run seed`: a few checkouts made the way a storefront makes them (sign in,
 * check out, pay with a signed webhook as Stripe would send it) through the running gateway, so the
 * real pipeline (reservations, queues, workers) creates today's orders, and one partial refund.
 */
import { SEED_ADMIN, SEED_CUSTOMERS, SEED_CUSTOMER_PASSWORD } from '../subgraphs/customers/seed';

type Log = (m: string) => void;

/** POST to the gateway; waits out RATE_LIMITED answers (login and checkout are strictly limited). */
async function gql<T>(gateway: string, log: Log, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  for (;;) {
    const res = await fetch(gateway, {
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

export async function gatewayIsReady(gateway: string): Promise<boolean> {
  return fetch(gateway.replace(/\/graphql$/, '/ready')).then((r) => r.ok, () => false);
}

export async function seedLivePurchases(gateway: string, log: Log): Promise<void> {
  const call = <T>(query: string, variables: Record<string, unknown> = {}, token?: string) => gql<T>(gateway, log, query, variables, token);
  const login = (email: string, password: string) =>
    call<{ login: { accessToken: string } }>(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: email, p: password }).then((d) => d.login.accessToken);
  const { products } = await call<{ products: { edges: Array<{ node: { id: string } }> } }>(`{ products(filter: { inStockOnly: true }, first: 40) { edges { node { id } } } }`);
  const catalog = products.edges.map((e) => e.node.id);
  const paid: string[] = [];
  let n = 0;
  for (const customer of SEED_CUSTOMERS) {
    const token = await login(customer.email, SEED_CUSTOMER_PASSWORD);
    const { me } = await call<{ me: { addresses: Array<{ id: string }> } }>(`{ me { addresses { id } } }`, {}, token);
    for (let i = 0; i < 2; i++, n++) {
      const lines = [catalog[(n * 3) % catalog.length], catalog[(n * 3 + 1) % catalog.length]].map((productId, k) => ({ productId, quantity: 1 + ((n + k) % 3) }));
      const { checkout } = await call<{ checkout: { payment: { id: string; amountCents: number } } }>(
        `mutation($input: CheckoutInput!) { checkout(input: $input) { payment { id amountCents } } }`,
        { input: { shippingAddressId: me.addresses[0].id, lines } },
        token,
      );
      const outcome = n % 5 === 4 ? 'FAILED' : 'SUCCEEDED';
      await call(`mutation($id: ID!, $o: SimulatedPaymentOutcome!) { simulatePaymentWebhook(paymentId: $id, outcome: $o) { id } }`, { id: checkout.payment.id, o: outcome }, token);
      if (outcome === 'SUCCEEDED') paid.push(checkout.payment.id);
      log(`live ${n + 1}/10: ${customer.email} paid ${checkout.payment.amountCents} cents (${outcome.toLowerCase()}), payment ${checkout.payment.id}`);
    }
  }
  if (paid.length) {
    const admin = await login(SEED_ADMIN.email, SEED_ADMIN.password);
    await call(`mutation($id: ID!, $key: String!) { refundPayment(paymentId: $id, amountCents: 500, idempotencyKey: $key) { id status } }`, { id: paid[0], key: `seed-partial-${paid[0]}` }, admin);
    log(`live: admin refunded 500 cents of ${paid[0]}`);
  }
}
