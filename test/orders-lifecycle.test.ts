import { newId } from '../subgraphs/lib/ids';
import { QUEUES } from '../subgraphs/lib/queues';
import type { OrderDoc, OrderStatus } from '../subgraphs/orders/model';
import { pipelineQueues, waitFor } from './support/orders';
import { startStack, type TestStack } from './support/stack';

const ORDER_FIELDS = `id status amountCents refundedCents tracking { carrier trackingNumber } statusHistory { from to by reason } shippingAddress { city country }`;
const CANCEL = `mutation($id: ID!, $reason: String) { cancelOrder(orderId: $id, reason: $reason) { ${ORDER_FIELDS} } }`;
const SET_STATUS = `mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(orderId: $id, status: $status) { ${ORDER_FIELDS} } }`;
const TRACK = `mutation($id: ID!) { updateTracking(orderId: $id, carrier: "DHL", trackingNumber: "JD0146 0000 1234") { ${ORDER_FIELDS} } }`;
const PAGE_INFO = `pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;
const MY_ORDERS = `query($status: OrderStatus, $first: Int, $after: String, $last: Int, $before: String) {
  myOrders(status: $status, first: $first, after: $after, last: $last, before: $before) { totalCount ${PAGE_INFO} edges { node { id status amountCents } } }
}`;
const ADMIN_ORDERS = `query($filter: OrderFilter, $sortBy: OrderSortBy, $direction: OrderSortDirection, $first: Int, $after: String) {
  orders(filter: $filter, sortBy: $sortBy, direction: $direction, first: $first, after: $after) { totalCount ${PAGE_INFO} edges { node { id status amountCents customer { id } } } }
}`;
/** The orders of a connection, in page order. */
const nodes = <T = { id: string; status: string; amountCents: number }>(connection: { edges: Array<{ node: T }> }) => connection.edges.map((e) => e.node);
const totals = (connection: { edges: Array<{ node: { amountCents: number } }> }) => nodes(connection).map((o) => o.amountCents);

describe('order lifecycle, history and access through the gateway', () => {
  let stack: TestStack;
  let q: ReturnType<typeof pipelineQueues>;
  const ada = newId('customer');
  const bob = newId('customer');
  const admin = newId('customer');
  let adaToken: string;
  let bobToken: string;
  let adminToken: string;

  /** An order as the worker would have created it (the pipeline itself is covered by orders-pipeline.test.ts). */
  async function placeOrder(customerId: string, amountCents: number, status: OrderStatus = 'PAID', createdAt = new Date()): Promise<OrderDoc> {
    const _id = newId('order');
    const doc = {
      _id,
      paymentId: newId('payment'),
      customerId,
      status,
      lines: [{ productId: newId('product'), name: 'Thing', unitPriceCents: amountCents, quantity: 1 }],
      amountCents,
      currency: 'USD',
      reservationId: newId('reservation'),
      shippingAddress: { line1: '1 Main St', city: 'Oslo', postalCode: '0150', country: 'NO' },
      statusHistory: [{ from: null, to: status, at: createdAt, by: 'system:payments' }],
      createdAt,
    };
    await stack.orders.deps.orders.collection.insertOne({ ...doc, updatedAt: createdAt, refundedCents: 0, outbox: [], outboxDone: [], outboxPending: 0 } as never);
    return (await stack.orders.deps.orders.findById(_id).lean<OrderDoc>())!;
  }

  beforeAll(async () => {
    stack = await startStack();
    q = pipelineQueues(stack);
    [adaToken, bobToken, adminToken] = await Promise.all([stack.tokenFor(ada), stack.tokenFor(bob), stack.tokenFor(admin, 'ADMIN')]);
  });
  afterAll(async () => {
    await q?.close();
    await stack?.stop();
  });

  describe('canceling', () => {
    it('the owner cancels a paid order: it is kept as CANCELED with its history, the payment refund and the restock are queued', async () => {
      const order = await placeOrder(ada, 4200);
      const res = await stack.gql(CANCEL, { id: order._id, reason: 'changed my mind' }, { token: adaToken });
      expect(res.errors).toBeUndefined();
      expect(res.data.cancelOrder).toMatchObject({ id: order._id, status: 'CANCELED', shippingAddress: { city: 'Oslo', country: 'NO' } });
      expect(res.data.cancelOrder.statusHistory).toEqual([
        { from: null, to: 'PAID', by: 'system:payments', reason: null },
        { from: 'PAID', to: 'CANCELED', by: ada, reason: 'changed my mind' },
      ]);
      const refund = await waitFor('refund request', () => q.queues[QUEUES.refunds].getJob(`refund-${order._id}-order_canceled`));
      expect(refund.data).toMatchObject({ paymentId: order.paymentId, orderId: order._id, reason: 'order_canceled' });
      const restock = await q.queues[QUEUES.inventory].getJob(`restock-${order.reservationId}`);
      expect(restock?.data).toMatchObject({ command: 'restock', reservationId: order.reservationId });
      expect(await q.jobIds(QUEUES.analytics)).toContain(`${order._id}-canceled`);
      expect(await stack.orders.deps.orders.findById(order._id).lean()).toMatchObject({ outboxPending: 0 });
    });

    it('canceling twice is refused with CONFLICT and queues nothing more', async () => {
      const order = await placeOrder(ada, 1000);
      await stack.gql(CANCEL, { id: order._id }, { token: adaToken });
      const again = await stack.gql(CANCEL, { id: order._id }, { token: adaToken });
      expect(again.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', from: 'CANCELED', to: 'CANCELED' });
      expect((await stack.orders.deps.orders.findById(order._id).lean())!.statusHistory).toHaveLength(2);
    });

    it('a customer cannot see or cancel another customer’s order, and cannot tell it exists', async () => {
      const order = await placeOrder(ada, 1500);
      const see = await stack.gql(`query($id: ID!) { order(id: $id) { id } }`, { id: order._id }, { token: bobToken });
      const cancel = await stack.gql(CANCEL, { id: order._id }, { token: bobToken });
      const missing = await stack.gql(CANCEL, { id: newId('order') }, { token: bobToken });
      expect(see.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(cancel.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(missing.errors?.[0]).toMatchObject({ message: cancel.errors?.[0].message, extensions: { code: 'FORBIDDEN' } });
      expect(await stack.orders.deps.orders.findById(order._id).lean()).toMatchObject({ status: 'PAID' });
    });

    it('a customer cannot cancel once shipped; an admin may cancel a processing order', async () => {
      const shipped = await placeOrder(ada, 2000, 'SHIPPED');
      const refused = await stack.gql(CANCEL, { id: shipped._id }, { token: adaToken });
      expect(refused.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', from: 'SHIPPED', to: 'CANCELED' });

      const processing = await placeOrder(ada, 2000, 'PROCESSING');
      const byAdmin = await stack.gql(CANCEL, { id: processing._id, reason: 'fraud check' }, { token: adminToken });
      expect(byAdmin.data.cancelOrder.statusHistory[1]).toEqual({ from: 'PROCESSING', to: 'CANCELED', by: `admin:${admin}`, reason: 'fraud check' });
    });
  });

  describe('admin status changes and tracking', () => {
    it('moves PAID → PROCESSING, ships with tracking, then DELIVERED, recording each step', async () => {
      const order = await placeOrder(ada, 3000);
      const processing = await stack.gql(SET_STATUS, { id: order._id, status: 'PROCESSING' }, { token: adminToken });
      expect(processing.data.updateOrderStatus.status).toBe('PROCESSING');
      const shipped = await stack.gql(TRACK, { id: order._id }, { token: adminToken });
      expect(shipped.errors).toBeUndefined();
      expect(shipped.data.updateTracking).toMatchObject({ status: 'SHIPPED', tracking: { carrier: 'DHL', trackingNumber: 'JD0146 0000 1234' } });
      const delivered = await stack.gql(SET_STATUS, { id: order._id, status: 'DELIVERED' }, { token: adminToken });
      expect(delivered.data.updateOrderStatus.statusHistory.map((c: { to: string }) => c.to)).toEqual(['PAID', 'PROCESSING', 'SHIPPED', 'DELIVERED']);
    });

    it('refuses illegal moves with CONFLICT naming from and to, changing nothing', async () => {
      const order = await placeOrder(ada, 3000);
      const skip = await stack.gql(SET_STATUS, { id: order._id, status: 'DELIVERED' }, { token: adminToken });
      expect(skip.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', from: 'PAID', to: 'DELIVERED' });
      const refund = await stack.gql(SET_STATUS, { id: order._id, status: 'REFUNDED' }, { token: adminToken });
      expect(refund.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', from: 'PAID', to: 'REFUNDED' });
      const delivered = await placeOrder(ada, 3000, 'DELIVERED');
      const track = await stack.gql(TRACK, { id: delivered._id }, { token: adminToken });
      expect(track.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', from: 'DELIVERED' });
      const after = await stack.orders.deps.orders.findById(order._id).lean<OrderDoc>();
      expect(after).toMatchObject({ status: 'PAID' });
      expect(after!.statusHistory).toHaveLength(1);
    });

    it('status changes and tracking are for admins only', async () => {
      const order = await placeOrder(ada, 3000);
      const status = await stack.gql(SET_STATUS, { id: order._id, status: 'PROCESSING' }, { token: adaToken });
      const track = await stack.gql(TRACK, { id: order._id }, { token: adaToken });
      expect(status.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(track.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    });
  });

  describe('order history', () => {
    const carol = newId('customer');
    let carolToken: string;
    const placed: OrderDoc[] = [];

    beforeAll(async () => {
      carolToken = await stack.tokenFor(carol);
      await stack.customers.deps.service.models.customers.create({ _id: carol, email: `carol-${carol.slice(-6)}@example.com`, name: 'Carol' });
      const day = (n: number) => new Date(Date.UTC(2024, 0, n, 12));
      for (let i = 1; i <= 7; i++) placed.push(await placeOrder(carol, i * 1000, i % 3 === 0 ? 'SHIPPED' : 'PAID', day(i)));
      placed.push(await placeOrder(carol, 9999, 'FAILED', day(8)));
    });

    it('myOrders pages the signed-in customer’s orders, newest first, without failed attempts, forwards and back', async () => {
      const first = await stack.gql(MY_ORDERS, { first: 3 }, { token: carolToken });
      expect(first.errors).toBeUndefined();
      expect(first.data.myOrders).toMatchObject({ totalCount: 7, pageInfo: { hasNextPage: true, hasPreviousPage: false } });
      expect(totals(first.data.myOrders)).toEqual([7000, 6000, 5000]);
      const second = await stack.gql(MY_ORDERS, { first: 3, after: first.data.myOrders.pageInfo.endCursor }, { token: carolToken });
      expect(totals(second.data.myOrders)).toEqual([4000, 3000, 2000]);
      const last = await stack.gql(MY_ORDERS, { first: 3, after: second.data.myOrders.pageInfo.endCursor }, { token: carolToken });
      expect(last.data.myOrders).toMatchObject({ totalCount: 7, pageInfo: { hasNextPage: false, hasPreviousPage: true } });
      expect(totals(last.data.myOrders)).toEqual([1000]);

      const back = await stack.gql(MY_ORDERS, { last: 3, before: last.data.myOrders.pageInfo.startCursor }, { token: carolToken });
      expect(back.data.myOrders.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
      expect(totals(back.data.myOrders)).toEqual([4000, 3000, 2000]);
      const start = await stack.gql(MY_ORDERS, { last: 3, before: back.data.myOrders.pageInfo.startCursor }, { token: carolToken });
      expect(start.data.myOrders.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      expect(totals(start.data.myOrders)).toEqual([7000, 6000, 5000]);
    });

    it('myOrders filters by status, including failed attempts when asked', async () => {
      const shipped = await stack.gql(MY_ORDERS, { status: 'SHIPPED' }, { token: carolToken });
      expect(totals(shipped.data.myOrders)).toEqual([6000, 3000]);
      const failed = await stack.gql(MY_ORDERS, { status: 'FAILED' }, { token: carolToken });
      expect(failed.data.myOrders.totalCount).toBe(1);
      const others = await stack.gql(MY_ORDERS, {}, { token: bobToken });
      expect(nodes(others.data.myOrders).map((o) => o.id)).not.toEqual(expect.arrayContaining([placed[0]._id]));
    });

    it('rejects a page size over the limit, and a cursor it did not give, with BAD_USER_INPUT', async () => {
      const res = await stack.gql(MY_ORDERS, { first: 1000 }, { token: carolToken });
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      const forged = await stack.gql(MY_ORDERS, { after: Buffer.from('["x","2024-01-01T00:00:00.000Z","ord_1"]').toString('base64url') }, { token: carolToken });
      expect(forged.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    });

    it('admins search all orders by customer, amount and date, sorted by amount or status', async () => {
      const byAmount = await stack.gql(
        ADMIN_ORDERS,
        { filter: { customerId: carol, minAmountCents: 2000, maxAmountCents: 6000, from: '2024-01-03T00:00:00Z' }, sortBy: 'AMOUNT', direction: 'ASC', first: 2 },
        { token: adminToken },
      );
      expect(byAmount.errors).toBeUndefined();
      expect(byAmount.data.orders).toMatchObject({ totalCount: 4, pageInfo: { hasNextPage: true } });
      expect(totals(byAmount.data.orders)).toEqual([3000, 4000]);
      expect(byAmount.data.orders.edges[0].node.customer).toEqual({ id: carol });
      const nextByAmount = await stack.gql(ADMIN_ORDERS, { filter: { customerId: carol, minAmountCents: 2000, maxAmountCents: 6000, from: '2024-01-03T00:00:00Z' }, sortBy: 'AMOUNT', direction: 'ASC', first: 2, after: byAmount.data.orders.pageInfo.endCursor }, { token: adminToken });
      expect(totals(nextByAmount.data.orders)).toEqual([5000, 6000]);
      const otherSort = await stack.gql(ADMIN_ORDERS, { filter: { customerId: carol }, sortBy: 'CREATED_AT', after: byAmount.data.orders.pageInfo.endCursor }, { token: adminToken });
      expect(otherSort.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });

      const byStatus = await stack.gql(ADMIN_ORDERS, { filter: { customerId: carol }, sortBy: 'STATUS', direction: 'DESC', first: 20 }, { token: adminToken });
      expect(nodes(byStatus.data.orders).map((o) => o.status)).toEqual(['SHIPPED', 'SHIPPED', 'PAID', 'PAID', 'PAID', 'PAID', 'PAID', 'FAILED']);

      const failedOnly = await stack.gql(ADMIN_ORDERS, { filter: { customerId: carol, status: 'FAILED' } }, { token: adminToken });
      expect(nodes(failedOnly.data.orders).map((o) => o.id)).toEqual([placed[7]._id]);

      const customer = await stack.gql(ADMIN_ORDERS, {}, { token: carolToken });
      expect(customer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    });

    it('Customer.orders is there for the customer themself and admins only', async () => {
      const mine = await stack.gql(`query { me { id orders(first: 2) { totalCount edges { node { amountCents } } } } }`, {}, { token: carolToken });
      expect(mine.errors).toBeUndefined();
      expect(mine.data.me.orders.totalCount).toBe(7);
      expect(totals(mine.data.me.orders)).toEqual([7000, 6000]);
      const asAdmin = await stack.gql(`query($id: ID!) { order(id: $id) { customer { id orders { totalCount } } } }`, { id: placed[0]._id }, { token: adminToken });
      expect(asAdmin.data.order.customer.orders.totalCount).toBe(7);
    });
  });
});
