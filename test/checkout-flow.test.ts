import type { Queue } from 'bullmq';
import { freePort } from '../scripts/backing/processes';
import { newId } from '../subgraphs/lib/ids';
import { IDENTITY_HEADER, bindingFor, signIdentity } from '../subgraphs/lib/identity';
import { startPaymentsService } from '../subgraphs/payments';
import { loadPayment, publishedResults, resultsQueue } from './support/payments';
import { postGraphQL, startStack, type TestStack } from './support/stack';

const CHECKOUT = `mutation Checkout($input: CheckoutInput!) {
  checkout(input: $input) {
    clientSecret publishableKey
    payment { id status amountCents currency lines { name sku unitPriceCents quantity product { id } } shippingAddress { name line1 city postalCode country } }
  }
}`;
const STOCK = `query Stock($id: ID!) { product(id: $id) { stock { onHand reserved available } } }`;
const CREATE_PRODUCT = `mutation Create($input: CreateProductInput!) { createProduct(input: $input) { id } }`;
const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { accepted } }`;
const LOGIN = `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken customer { id } } }`;
const ADD_ADDRESS = `mutation Address($input: AddAddressInput!) { addAddress(input: $input) { id } }`;
const ADD_TO_CART = `mutation Add($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, quantity: $quantity) { totalQuantity } }`;
const SIMULATE = `mutation Simulate($paymentId: ID!) { simulatePaymentWebhook(paymentId: $paymentId, outcome: SUCCEEDED) { id status } }`;

describe('checkout prices from the catalog, holds stock and starts a Stripe payment', () => {
  let stack: TestStack;
  let queue: Queue;
  let adminToken: string;
  let customer: { id: string; token: string; addressId: string };
  let lamp: string;
  let desk: string;

  const createProduct = async (name: string, priceCents: number, initialStock: number) => {
    const res = await stack.gql(CREATE_PRODUCT, { input: { sku: `${name.toUpperCase()}-${newId('product').slice(-6)}`, name, priceCents, currency: 'USD', initialStock } }, { token: adminToken });
    expect(res.errors).toBeUndefined();
    return res.data.createProduct.id as string;
  };
  const stock = async (id: string) => (await stack.gql(STOCK, { id }, { token: adminToken })).data.product.stock;
  const registerCustomer = async () => {
    const email = `shopper-${newId('customer').slice(-10)}@example.com`;
    const reg = await stack.gql(REGISTER, { input: { email, password: 'correct horse battery', name: 'Grace Hopper' } });
    expect(reg.errors).toBeUndefined();
    const signedIn = await stack.gql(LOGIN, { email, password: 'correct horse battery' });
    expect(signedIn.errors).toBeUndefined();
    const token = signedIn.data.login.accessToken as string;
    const addr = await stack.gql(ADD_ADDRESS, { input: { line1: '1 Harbour St', city: 'Arlington', postalCode: '22201', region: 'VA', country: 'US' } }, { token });
    expect(addr.errors).toBeUndefined();
    return { id: signedIn.data.login.customer.id as string, token, addressId: addr.data.addAddress.id as string };
  };

  beforeAll(async () => {
    stack = await startStack();
    queue = resultsQueue(stack.config.redisUrl, stack.config.queuePrefix);
    adminToken = await stack.tokenFor(newId('customer'), 'ADMIN');
    lamp = await createProduct('Lamp', 4599, 20);
    desk = await createProduct('Desk', 19900, 2);
    customer = await registerCustomer();
  });
  afterAll(async () => {
    await queue?.close();
    await stack?.stop();
  });

  it('charges the catalog price, holds the stock, snapshots the address and returns a client secret', async () => {
    const res = await stack.gql(CHECKOUT, { input: { shippingAddressId: customer.addressId, lines: [{ productId: lamp, quantity: 2 }, { productId: desk, quantity: 1 }] } }, { token: customer.token });
    expect(res.errors).toBeUndefined();
    const { payment, clientSecret, publishableKey } = res.data.checkout;
    expect(payment).toMatchObject({
      status: 'PENDING',
      amountCents: 2 * 4599 + 19900,
      currency: 'USD',
      shippingAddress: { name: 'Grace Hopper', line1: '1 Harbour St', city: 'Arlington', postalCode: '22201', country: 'US' },
    });
    expect(payment.lines).toEqual([
      { name: 'Lamp', sku: expect.stringMatching(/^LAMP-/), unitPriceCents: 4599, quantity: 2, product: { id: lamp } },
      { name: 'Desk', sku: expect.stringMatching(/^DESK-/), unitPriceCents: 19900, quantity: 1, product: { id: desk } },
    ]);
    expect(clientSecret).toEqual(expect.any(String));
    expect(clientSecret.length).toBeGreaterThan(10);
    expect(publishableKey).toBe(stack.config.stripe.publishableKey);
    expect(await stock(lamp)).toEqual({ onHand: 20, reserved: 2, available: 18 });

    const stored = await loadPayment(stack, payment.id);
    expect(stored.intentId).toMatch(/^pi_/);
    expect(stored.reservationId).toMatch(/^res_/);

    // Paying it publishes the result orders needs to create the order.
    const paid = await stack.gql(SIMULATE, { paymentId: payment.id }, { token: customer.token });
    expect(paid.data.simulatePaymentWebhook.status).toBe('SUCCEEDED');
    const [job] = await publishedResults(queue, payment.id);
    expect(job.data).toMatchObject({ outcome: 'succeeded', customerId: customer.id, amountCents: 29098, reservationId: stored.reservationId, shippingAddress: { city: 'Arlington', region: 'VA' } });
  });

  it('a price sent by the client is not even accepted: the input has no price field', async () => {
    const res = await stack.gql(CHECKOUT, { input: { shippingAddressId: customer.addressId, lines: [{ productId: lamp, quantity: 1, unitPriceCents: 1 }] } }, { token: customer.token });
    expect(res.errors?.[0].message).toMatch(/unitPriceCents/);
    expect(res.data?.checkout).toBeUndefined();
  });

  it('insufficient stock is a CONFLICT naming the product, and nothing is held or charged', async () => {
    const before = { lamp: await stock(lamp), desk: await stock(desk), payments: await stack.payments.deps.payments.countDocuments({ customerId: customer.id }) };
    const res = await stack.gql(CHECKOUT, { input: { shippingAddressId: customer.addressId, lines: [{ productId: lamp, quantity: 1 }, { productId: desk, quantity: 2 }] } }, { token: customer.token });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'INSUFFICIENT_STOCK', productId: desk });
    expect(await stock(lamp)).toEqual(before.lamp);
    expect(await stock(desk)).toEqual(before.desk);
    expect(await stack.payments.deps.payments.countDocuments({ customerId: customer.id })).toBe(before.payments);
  });

  it('retrying with the same idempotency key returns the same payment and holds stock once', async () => {
    const input = { shippingAddressId: customer.addressId, lines: [{ productId: lamp, quantity: 1 }], idempotencyKey: `retry-${newId('payment')}` };
    const first = await stack.gql(CHECKOUT, { input }, { token: customer.token });
    const held = await stock(lamp);
    const second = await stack.gql(CHECKOUT, { input }, { token: customer.token });
    expect(second.errors).toBeUndefined();
    expect(second.data.checkout.payment.id).toBe(first.data.checkout.payment.id);
    expect(await stock(lamp)).toEqual(held);
    expect(await stack.payments.deps.payments.countDocuments({ customerId: customer.id, idempotencyKey: input.idempotencyKey })).toBe(1);
  });

  it('two concurrent checkouts with the same key make one payment and hold stock once', async () => {
    const before = await stock(lamp);
    const input = { shippingAddressId: customer.addressId, lines: [{ productId: lamp, quantity: 1 }], idempotencyKey: `race-${newId('payment')}` };
    const [a, b] = await Promise.all([stack.gql(CHECKOUT, { input }, { token: customer.token }), stack.gql(CHECKOUT, { input }, { token: customer.token })]);
    expect([a.errors, b.errors]).toEqual([undefined, undefined]);
    expect(a.data.checkout.payment.id).toBe(b.data.checkout.payment.id);
    expect(await stock(lamp)).toEqual({ ...before, reserved: before.reserved + 1, available: before.available - 1 });
  });

  it('checks out the cart when no lines are given, and empties it', async () => {
    const shopper = await registerCustomer();
    await stack.gql(ADD_TO_CART, { productId: lamp, quantity: 1 }, { token: shopper.token });
    const res = await stack.gql(CHECKOUT, { input: { shippingAddressId: shopper.addressId } }, { token: shopper.token });
    expect(res.errors).toBeUndefined();
    expect(res.data.checkout.payment).toMatchObject({ amountCents: 4599, lines: [{ product: { id: lamp }, quantity: 1 }] });
    const cart = await stack.gql(`query { cart { totalQuantity } }`, {}, { token: shopper.token });
    expect(cart.data.cart.totalQuantity).toBe(0);

    const empty = await stack.gql(CHECKOUT, { input: { shippingAddressId: shopper.addressId } }, { token: shopper.token });
    expect(empty.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.lines' });
  });

  it('someone else’s address is refused and nothing is held', async () => {
    const other = await registerCustomer();
    const before = await stock(lamp);
    const res = await stack.gql(CHECKOUT, { input: { shippingAddressId: other.addressId, lines: [{ productId: lamp, quantity: 1 }] } }, { token: customer.token });
    expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(await stock(lamp)).toEqual(before);
  });

  it('when Stripe cannot be reached, checkout fails with PAYMENT_FAILED and the stock is released', async () => {
    const deadStripe = { ...stack.config.stripe, host: '127.0.0.1', port: await freePort(), protocol: 'http' as const };
    const payments = await startPaymentsService({ ...stack.config, port: 0, stripe: deadStripe });
    try {
      const before = await stock(lamp);
      const variables = { input: { shippingAddressId: customer.addressId, lines: [{ productId: lamp, quantity: 1 }] } };
      const identity = signIdentity({ sub: customer.id, role: 'CUSTOMER', rid: 'stripe-down' }, stack.config.internalSecret, bindingFor('payments', { query: CHECKOUT, variables }));
      const res = await postGraphQL<any>(`${payments.url}/graphql`, CHECKOUT, variables, { [IDENTITY_HEADER]: identity });
      expect(res.errors?.[0].extensions?.code).toBe('PAYMENT_FAILED');
      expect(res.errors?.[0].message).toMatch(/could not be started/);
      expect(await stock(lamp)).toEqual(before);
      const failed = await loadPayment(stack, res.errors![0].extensions!.paymentId);
      expect(failed.status).toBe('FAILED');
    } finally {
      await payments.stop();
    }
  });
});
