import { startMailpit, type Mailpit } from '../scripts/backing/mail';
import { newId } from '../subgraphs/lib/ids';
import type { RunningService } from '../subgraphs/lib/service';
import type { OrderDoc } from '../subgraphs/orders/model';
import { buildIntentEvent } from '../subgraphs/payments/simulated-webhooks';
import { startPaymentsWorker } from '../subgraphs/payments/worker';
import { startOrdersWorker } from '../subgraphs/orders/worker';
import { startProductsWorker } from '../subgraphs/products/worker';
import { registerCustomer, type Session } from './auth-flows';
import { inbox, startNotifications, waitForRecord, type Inbox, type InboxMessage } from './notifications-flows';
import { deliver, loadPayment, waitFor } from './support/payments';
import { startStack, type TestStack } from './support/stack';

/**
 * A shopper's order through the gateway with every worker running, and the emails they receive
 * at each step, read from a real SMTP server's inbox (Mailpit's API).
 */
describe('a shopper is emailed at each step of their order, once', () => {
  let stack: TestStack;
  let mailpit: Mailpit;
  let mail: Inbox;
  const workers: RunningService[] = [];
  let shopper: Session;
  let addressId: string;
  let admin: string;

  const ok = (res: { data?: any; errors?: unknown[] }): any => {
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data;
  };
  async function aProduct(name: string, priceCents: number) {
    const _id = newId('product');
    await stack.products.deps.products.create({ _id, sku: `SKU-${_id.slice(-10)}`, name, priceCents, currency: 'EUR', onHand: 50 });
    return _id;
  }
  /** Cart → checkout → Stripe's signed success webhook (the same event twice, then a second event for it). */
  async function buyAndPay(lines: Array<[string, number]>) {
    const token = shopper.accessToken;
    for (const [productId, quantity] of lines) ok(await stack.gql(`mutation($p: ID!, $q: Int!) { addToCart(productId: $p, quantity: $q) { id } }`, { p: productId, q: quantity }, { token }));
    const checkout = ok(await stack.gql(`mutation($input: CheckoutInput!) { checkout(input: $input) { payment { id } } }`, { input: { shippingAddressId: addressId } }, { token })).checkout;
    const payment = await loadPayment(stack, checkout.payment.id);
    const event = buildIntentEvent({ payment, outcome: 'succeeded' });
    for (const delivery of [event, event, buildIntentEvent({ payment, outcome: 'succeeded' })]) expect((await deliver(stack, delivery)).status).toBe(200);
    return waitFor(async () => stack.orders.deps.orders.findOne({ paymentId: payment._id, status: 'PAID' }).lean<OrderDoc>(), 30_000, 'the paid order');
  }
  /** The emails about one order (their subjects name it), once every job about it has finished. */
  async function emailsAbout(orderId: string, expected: number): Promise<InboxMessage[]> {
    await mail.waitForMessages(shopper.customer.email, 1);
    await waitFor(async () => (await mail.messagesTo(shopper.customer.email)).filter((m) => m.Subject.includes(orderId)).length >= expected, 30_000, `${expected} email(s) about ${orderId}`);
    await waitFor(async () => !(await stack.orders.deps.notifications.records.exists({ orderId, status: { $in: ['PENDING', 'SENDING'] } })), 30_000, 'every email settled');
    return (await mail.messagesTo(shopper.customer.email)).filter((m) => m.Subject.includes(orderId));
  }

  beforeAll(async () => {
    [stack, mailpit] = await Promise.all([startStack(), startMailpit()]);
    mail = inbox(mailpit.webUrl);
    for (const start of [startProductsWorker, startPaymentsWorker, startOrdersWorker]) workers.push(await start({ ...stack.config, port: 0 }));
    workers.push(await startNotifications(stack, mailpit.smtpUrl));
    shopper = await registerCustomer(stack, { name: 'Grace Hopper' });
    addressId = ok(await stack.gql(`mutation($input: AddAddressInput!) { addAddress(input: $input) { id } }`, { input: { name: 'Grace Hopper', line1: '1 Main St', city: 'Springfield', region: 'IL', postalCode: '62701', country: 'US' } }, { token: shopper.accessToken })).addAddress.id;
    admin = await stack.tokenFor(newId('customer'), 'ADMIN');
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await stack?.stop();
    await mailpit?.stop();
  });

  it('a paid checkout delivers exactly one confirmation, even when the payment webhook arrives three times', async () => {
    const lamp = await aProduct('Desk lamp', 4_599);
    const bulb = await aProduct('LED bulb', 350);
    const order = await buyAndPay([[lamp, 2], [bulb, 3]]);

    const emails = await emailsAbout(order._id, 1);
    expect(emails).toHaveLength(1);
    const [confirmation] = emails;
    expect(confirmation.Subject).toBe(`Order ${order._id} confirmed`);
    expect(confirmation.To.map((t) => t.Address)).toEqual([shopper.customer.email]);
    for (const part of [confirmation.Text, confirmation.HTML]) {
      expect(part).toContain('Hello Grace Hopper');
      expect(part).toContain(order._id);
      expect(part).toContain('€45.99');
      expect(part).toContain('€91.98');
      expect(part).toContain('€10.50');
      expect(part).toContain('€102.48');
      expect(part).toContain('1 Main St');
      expect(part).toContain('Springfield, IL 62701');
      expect(part).toContain(`https://shop.test/orders/${order._id}`);
      // No internal id but the order number: not the customer's, the payment's, the products' or the hold's.
      for (const internal of [shopper.customer.id, order.paymentId, order.reservationId, lamp, bulb]) expect(part).not.toContain(internal);
    }
    expect(confirmation.Text).toContain('2 x Desk lamp at €45.99 = €91.98');

    const seen = ok(await stack.gql(`query($id: ID!) { order(id: $id) { notifications { event status attempts sentAt recipient subject } } }`, { id: order._id }, { token: admin })).order.notifications;
    expect(seen).toEqual([{ event: 'ORDER_PLACED', status: 'SENT', attempts: 1, sentAt: expect.any(String), recipient: shopper.customer.email, subject: confirmation.Subject }]);
  });

  it('shipping with tracking sends one email with the carrier, the tracking number and a link to follow it', async () => {
    const order = await buyAndPay([[await aProduct('Stool', 2_500), 1]]);
    const track = `mutation($id: ID!, $n: String!) { updateTracking(orderId: $id, carrier: "UPS", trackingNumber: $n) { status } }`;
    expect(ok(await stack.gql(track, { id: order._id, n: '1Z999AA10123456784' }, { token: admin })).updateTracking.status).toBe('SHIPPED');
    await waitForRecord(stack, 'the shipping email', { orderId: order._id, event: 'SHIPPED', status: 'SENT' });
    // Correcting the tracking number later ships nothing new, so it sends nothing new.
    ok(await stack.gql(track, { id: order._id, n: '1Z999AA10123456785' }, { token: admin }));

    const shipped = (await emailsAbout(order._id, 2)).filter((m) => m.Subject === `Order ${order._id} has shipped`);
    expect(shipped).toHaveLength(1);
    expect(shipped[0].Text).toContain('Carrier: UPS');
    expect(shipped[0].Text).toContain('Tracking number: 1Z999AA10123456784');
    expect(shipped[0].HTML).toContain('https://www.ups.com/track?tracknum&#x3D;1Z999AA10123456784');
  });

  it('a cancellation email states the amount refunded', async () => {
    const order = await buyAndPay([[await aProduct('Armchair', 12_900), 1]]);
    ok(await stack.gql(`mutation($id: ID!) { cancelOrder(orderId: $id, reason: "changed my mind") { status } }`, { id: order._id }, { token: shopper.accessToken }));

    const canceled = (await emailsAbout(order._id, 2)).filter((m) => m.Subject.includes('canceled'));
    expect(canceled).toHaveLength(1);
    expect(canceled[0].Subject).toBe(`Order ${order._id} canceled: €129.00 refunded`);
    expect(canceled[0].Text).toContain('We are refunding €129.00 to the card you paid with');
  });
});
