import { newId } from '../subgraphs/lib/ids';
import { buildIntentEvent } from '../subgraphs/payments/simulated-webhooks';
import { startProductsWorker } from '../subgraphs/products/worker';
import { startPaymentsWorker } from '../subgraphs/payments/worker';
import { startOrdersWorker } from '../subgraphs/orders/worker';
import { startAnalyticsWorker } from '../subgraphs/orders/analytics/worker-main';
import type { RunningService } from '../subgraphs/lib/service';
import { registerCustomer, signInAdmin } from './auth-flows';
import { deliver, loadPayment, waitFor } from './support/payments';
import { startStack, type TestStack } from './support/stack';

/**
 * The whole storefront path through the gateway, with every worker running: browse, fill the cart,
 * check out, pay (Stripe's signed webhook), and the order appears exactly once, the stock is sold,
 * and the admin's analytics count it.
 */
describe('a shopper buys through the gateway: cart → checkout → pay → order', () => {
  let stack: TestStack;
  const workers: RunningService[] = [];

  beforeAll(async () => {
    stack = await startStack();
    for (const start of [startProductsWorker, startPaymentsWorker, startOrdersWorker, startAnalyticsWorker]) {
      workers.push(await start({ ...stack.config, port: 0 }));
    }
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await stack?.stop();
  });

  async function aProduct(name: string, priceCents: number, onHand: number) {
    const _id = newId('product');
    await stack.products.deps.products.create({ _id, sku: `SKU-${_id.slice(-10)}`, name, priceCents, currency: 'USD', onHand });
    return _id;
  }
  const ok = <T>(res: { data?: T; errors?: unknown[] }): T => {
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data as T;
  };

  it('a paid checkout creates exactly one order, sells the stock and shows up in analytics', async () => {
    const lamp = await aProduct('Desk lamp', 4_500, 10);
    const bulb = await aProduct('LED bulb', 350, 100);
    const shopper = await registerCustomer(stack);
    const token = shopper.accessToken;

    const address = ok<any>(await stack.gql(`mutation($input: AddAddressInput!) { addAddress(input: $input) { id } }`, { input: { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' } }, { token })).addAddress;
    ok(await stack.gql(`mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { id } }`, { p: lamp, q: 1 }, { token }));
    const cart = ok<any>(await stack.gql(`mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { lines { quantity product { id name priceCents } } } }`, { p: bulb, q: 4 }, { token })).addToCart;
    expect(cart.lines).toEqual(
      expect.arrayContaining([
        { quantity: 1, product: { id: lamp, name: 'Desk lamp', priceCents: 4_500 } },
        { quantity: 4, product: { id: bulb, name: 'LED bulb', priceCents: 350 } },
      ]),
    );

    const checkout = ok<any>(
      await stack.gql(`mutation($input: CheckoutInput!) { checkout(input: $input) { clientSecret publishableKey payment { id status amountCents currency } } }`, { input: { shippingAddressId: address.id } }, { token }),
    ).checkout;
    expect(checkout.payment).toMatchObject({ status: 'PENDING', amountCents: 4_500 + 4 * 350, currency: 'USD' });
    expect(checkout.clientSecret).toEqual(expect.any(String));
    expect((await stack.products.deps.stock.current(lamp))!.reserved).toBe(1);

    // Stripe delivers the same success event three times.
    const event = buildIntentEvent({ payment: await loadPayment(stack, checkout.payment.id), outcome: 'succeeded' });
    for (let i = 0; i < 3; i++) expect((await deliver(stack, event)).status).toBe(200);

    const order = await waitFor(async () => {
      const page = ok<any>(await stack.gql(`{ myOrders { totalCount edges { node { id status amountCents lines { quantity product { name } } payment { id status } } } } }`, {}, { token })).myOrders;
      return page.totalCount > 0 && page;
    }, 30_000, 'the order');
    expect(order.totalCount).toBe(1);
    expect(order.edges[0].node).toMatchObject({ status: 'PAID', amountCents: 5_900, payment: { id: checkout.payment.id, status: 'SUCCEEDED' } });

    await waitFor(async () => (await stack.products.deps.stock.current(lamp))!.onHand === 9, 20_000, 'the stock to be sold');
    expect(await stack.products.deps.stock.current(lamp)).toMatchObject({ onHand: 9, reserved: 0 });
    expect(await stack.orders.deps.orders.countDocuments({ paymentId: checkout.payment.id })).toBe(1);

    const admin = await signInAdmin(stack);
    const day = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const stats = await waitFor(async () => {
      const s = ok<any>(await stack.gql(`query($f: String!, $t: String!) { orderStatistics(from: $f, to: $t) { successfulOrders totalRevenueCents } }`, { f: day, t: tomorrow }, { token: admin.accessToken })).orderStatistics;
      return s.successfulOrders > 0 && s;
    }, 30_000, 'analytics');
    // Money totals are BigInt strings: they never overflow.
    expect(stats).toEqual({ successfulOrders: 1, totalRevenueCents: '5900' });
  });
});
