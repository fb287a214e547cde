import { randomBytes } from 'node:crypto';
import { newId } from '../../subgraphs/lib/ids';
import { issueAccessToken } from '../../subgraphs/lib/tokens';
import type { PaymentFacts } from '../../subgraphs/payments/simulated-webhooks';
import { pool, sleep, type Random } from './random';

/**
 * The shop side of the chaos run, all through the gateway as a storefront would: an admin adds
 * products, customers register, sign in and save an address, then N checkouts are made.
 */
const CREATE_PRODUCT = `mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }`;
const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { accepted } }`;
const LOGIN = `mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken customer { id } } }`;
const ADD_ADDRESS = `mutation ($input: AddAddressInput!) { addAddress(input: $input) { id } }`;
const CHECKOUT = `mutation ($input: CheckoutInput!) { checkout(input: $input) { clientSecret payment { id amountCents currency } } }`;

export interface Shopper {
  id: string;
  email: string;
  password: string;
  /** Access tokens live 15 minutes: signed in again when one expires. */
  token: string;
  addressId: string;
}

/** A checkout made: what Stripe knows about its payment, and what was bought. */
export interface Checkout extends PaymentFacts {
  intentId: string;
  lines: Array<{ productId: string; quantity: number }>;
}

export interface Catalog {
  productIds: string[];
  /** Units on hand each product started with. */
  initialStock: number;
}

type Gql = <T>(query: string, variables: Record<string, unknown>, token?: string) => Promise<T>;

/** A GraphQL call through the gateway; errors (and non-JSON answers) throw with their code. */
export function gatewayClient(url: string): Gql {
  return async <T>(query: string, variables: Record<string, unknown>, token?: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json().catch(() => null)) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> } | null;
    if (body?.errors?.length || !body?.data) throw new Error(`gateway answered ${res.status}: ${body?.errors?.map((e) => `${e.extensions?.code ?? ''} ${e.message}`).join('; ') ?? 'no data'}`);
    return body.data;
  };
}

/** Products, created by an admin through the gateway, with enough stock that nothing oversells. */
export async function createCatalog(gql: Gql, jwtSecret: string, count: number, initialStock: number): Promise<Catalog> {
  const admin = await issueAccessToken({ sub: newId('customer'), role: 'ADMIN' }, jwtSecret);
  const productIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const input = { sku: `CHAOS-${randomBytes(4).toString('hex')}-${i}`, name: `Chaos item ${i}`, priceCents: 500 + 137 * i, currency: 'USD', initialStock };
    productIds.push((await gql<{ createProduct: { id: string } }>(CREATE_PRODUCT, { input }, admin)).createProduct.id);
  }
  return { productIds, initialStock };
}

export async function registerShoppers(gql: Gql, count: number): Promise<Shopper[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const email = `chaos-${randomBytes(5).toString('hex')}@example.com`;
      const password = `chaos-password-${i}-${randomBytes(4).toString('hex')}`;
      await gql(REGISTER, { input: { email, password, name: `Chaos Shopper ${i}` } });
      const { login } = await gql<{ login: { accessToken: string; customer: { id: string } } }>(LOGIN, { email, password });
      const address = await gql<{ addAddress: { id: string } }>(ADD_ADDRESS, { input: { line1: `${i} Chaos Lane`, city: 'Testville', postalCode: '00000', country: 'US' } }, login.accessToken);
      return { id: login.customer.id, email, password, token: login.accessToken, addressId: address.addAddress.id };
    }),
  );
}

async function signInAgain(gql: Gql, shopper: Shopper): Promise<void> {
  shopper.token = (await gql<{ login: { accessToken: string } }>(LOGIN, { email: shopper.email, password: shopper.password })).login.accessToken;
}

/** One checkout, retried with the same idempotency key (one payment, however many tries); each failed try is noted in `failures`. */
async function checkoutOnce(gql: Gql, shopper: Shopper, lines: Checkout['lines'], key: string, failures: string[]): Promise<Checkout> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { checkout } = await gql<{ checkout: { clientSecret: string; payment: { id: string; amountCents: number; currency: string } } }>(
        CHECKOUT,
        { input: { shippingAddressId: shopper.addressId, lines, idempotencyKey: key } },
        shopper.token,
      );
      return { _id: checkout.payment.id, intentId: checkout.clientSecret.split('_secret_')[0], amountCents: checkout.payment.amountCents, currency: checkout.payment.currency, customerId: shopper.id, lines };
    } catch (err) {
      // A busy machine can make stripe-mock slow (PAYMENT_FAILED, nothing charged): the shopper tries again.
      if (attempt >= 10) throw err;
      failures.push(String(err).split('\n')[0]);
      await sleep(1_000 * attempt);
      if (String(err).includes('UNAUTHENTICATED')) await signInAgain(gql, shopper).catch(() => undefined);
    }
  }
}

/** N checkouts of one or two products (one or two units each), `concurrency` at a time. */
export async function makeCheckouts(gql: Gql, shoppers: Shopper[], catalog: Catalog, n: number, random: Random, opts: { concurrency: number; onProgress?: (done: number) => void; failures: string[] }): Promise<Checkout[]> {
  const plans = Array.from({ length: n }, (_, i) => {
    const first = random.pick(catalog.productIds);
    const second = random.pick(catalog.productIds.filter((id) => id !== first));
    const lines = [{ productId: first, quantity: random.int(1, 2) }, ...(random.chance(0.3) ? [{ productId: second, quantity: random.int(1, 2) }] : [])];
    return { shopper: shoppers[i % shoppers.length], lines, key: `chaos-${i}` };
  });
  const done: Checkout[] = [];
  await pool(plans, opts.concurrency, async (plan) => {
    done.push(await checkoutOnce(gql, plan.shopper, plan.lines, plan.key, opts.failures));
    opts.onProgress?.(done.length);
  });
  return done;
}
