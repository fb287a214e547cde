import { newId } from '../subgraphs/lib/ids';
import { QUEUES, type PaymentResult } from '../subgraphs/lib/queues';
import type { OrderDoc } from '../subgraphs/orders/model';
import { startOrdersWorker } from '../subgraphs/orders/worker';
import { startAnalyticsWorker } from '../subgraphs/orders/analytics/worker-main';
import { createProduct, paymentResult, pipelineQueues, productsClient, reserve, waitFor } from './support/orders';
import { startStack, type TestStack } from './support/stack';

/**
 * Real order lifecycles through the real pipeline (payment results → orders worker → outbox →
 * analytics worker → rollups), read back as an admin through the gateway. Each story uses its own
 * currency, so each reads only its own figures. Payment outcomes happen on 2024-06-10 (UTC).
 */
const STATS = `query Stats($currency: String) {
  orderStatistics(from: "2024-06-10", to: "2024-06-11", currency: $currency) {
    totalOrders successfulOrders totalRevenueCents refundsCents netRevenueCents averageOrderValueCents successRate
    ordersByStatus { status count }
    topProducts(limit: 5) { unitsSold revenueCents }
  }
  topCustomers(limit: 5, currency: $currency) { orderCount lifetimeValueCents }
}`;
const CHART = `query Chart($currency: String) {
  salesChart(from: "2024-06-10", to: "2024-06-12", granularity: DAY, currency: $currency) { points { period total successful failed revenueCents refundsCents } }
}`;
const RECONCILE = `query { reconciliationReport(from: "2024-06-01", to: "2024-07-01") { driftCount drift { currency figure rollup recomputed } } }`;
const TRACK = `mutation($id: ID!) { updateTracking(orderId: $id, carrier: "DHL", trackingNumber: "JD0146") { id status } }`;
const SET_STATUS = `mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(orderId: $id, status: $status) { id status } }`;

type StatusCount = { status: string; count: number };
const nonZero = (counts: StatusCount[]) => Object.fromEntries(counts.filter((c) => c.count).map((c) => [c.status, c.count]));

describe('analytics follow real order lifecycles', () => {
  let stack: TestStack;
  let ordersWorker: Awaited<ReturnType<typeof startOrdersWorker>>;
  let analyticsWorker: Awaited<ReturnType<typeof startAnalyticsWorker>>;
  let q: ReturnType<typeof pipelineQueues>;
  let adminToken: string;

  beforeAll(async () => {
    stack = await startStack();
    ordersWorker = await startOrdersWorker({ ...stack.config, port: 0 }, { relayIntervalMs: 300 });
    analyticsWorker = await startAnalyticsWorker({ ...stack.config, port: 0 });
    q = pipelineQueues(stack);
    adminToken = await stack.tokenFor(newId('customer'), 'ADMIN');
  });
  afterAll(async () => {
    await q?.close();
    await analyticsWorker?.stop();
    await ordersWorker?.stop();
    await stack?.stop();
  });

  const orders = () => stack.orders.deps.orders;
  /** The order of a payment once it is in `status` and every message it owes is published and applied by analytics. */
  async function settled(paymentId: string, status: string): Promise<OrderDoc> {
    const order = await waitFor(`order of ${paymentId} ${status}`, () => orders().findOne({ paymentId, status, outboxPending: 0 }).lean<OrderDoc>());
    await waitFor('analytics applied', async () => {
      const c = await q.queues[QUEUES.analytics].getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed');
      if (c.failed) throw new Error(`analytics jobs failed: ${JSON.stringify((await q.queues[QUEUES.analytics].getFailed()).map((j) => j.failedReason))}`);
      return !c.wait && !c.active && !c.delayed && !c.prioritized;
    });
    return order;
  }
  const admin = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await stack.gql(query, variables, { token: adminToken });
    expect(res.errors).toBeUndefined();
    return res.data;
  };
  async function paidResult(currency: string, priceCents = 1250, quantity = 2, over: Partial<PaymentResult> = {}) {
    const product = await createProduct(stack, 10, priceCents);
    return paymentResult(newId('customer'), await reserve(stack, product, quantity), { currency, occurredAt: '2024-06-10T12:00:00Z', ...over });
  }

  it('an oversold payment, refunded automatically, adds no revenue, no refund and no customer value', async () => {
    const product = await createProduct(stack, 1);
    const hold = await reserve(stack, product, 1);
    // The hold ends and someone else takes the last unit before the payment succeeds.
    await productsClient(stack)(`mutation($id: ID!) { releaseReservation(reservationId: $id) { id } }`, { id: hold.reservationId });
    await reserve(stack, product, 1);
    const result = paymentResult(newId('customer'), hold, { currency: 'EUR', occurredAt: '2024-06-10T12:00:00Z' });
    await q.publish(result);
    const order = await settled(result.paymentId, 'OVERSOLD_REFUNDED');
    // The refund the oversold order asked for comes back from payments.
    await q.publish({ ...result, outcome: 'refunded', refundedCents: order.amountCents, occurredAt: '2024-06-10T12:01:00Z' });
    await waitFor('refund recorded', () => orders().findOne({ _id: order._id, refundedCents: order.amountCents, outboxPending: 0 }).lean());
    await settled(result.paymentId, 'OVERSOLD_REFUNDED');

    const data = await admin(STATS, { currency: 'EUR' });
    expect(data.orderStatistics).toMatchObject({ totalOrders: 1, successfulOrders: 0, totalRevenueCents: '0', refundsCents: '0', netRevenueCents: '0', successRate: 0, topProducts: [] });
    expect(nonZero(data.orderStatistics.ordersByStatus)).toEqual({ OVERSOLD_REFUNDED: 1 });
    expect(data.topCustomers).toEqual([]);
  });

  it('a payment that failed and then succeeded is one attempted order, and a successful one', async () => {
    const failed = await paidResult('GBP', 1250, 2, { outcome: 'failed', failureReason: 'card_declined', occurredAt: '2024-06-10T23:50:00Z' });
    await q.publish(failed);
    await settled(failed.paymentId, 'FAILED');
    await q.publish({ ...failed, outcome: 'succeeded', failureReason: undefined, occurredAt: '2024-06-11T00:10:00Z' });
    await settled(failed.paymentId, 'PAID');

    const data = await admin(STATS, { currency: 'GBP' });
    expect(data.orderStatistics).toMatchObject({ totalOrders: 1, successfulOrders: 1, successRate: 1, totalRevenueCents: '2500', averageOrderValueCents: '2500' });
    expect(nonZero(data.orderStatistics.ordersByStatus)).toEqual({ PAID: 1 });
    // Counted once, on the day it was placed (its first payment outcome), never as a negative failure the day after.
    const chart = await admin(CHART, { currency: 'GBP' });
    expect(chart.salesChart.points).toEqual([
      { period: '2024-06-10', total: 1, successful: 1, failed: 0, revenueCents: '2500', refundsCents: '0' },
      { period: '2024-06-11', total: 0, successful: 0, failed: 0, revenueCents: '0', refundsCents: '0' },
    ]);
  });

  it('an order shipped and then delivered counts once, in its current status', async () => {
    const results = [await paidResult('CAD'), await paidResult('CAD')];
    for (const r of results) await q.publish(r);
    const [shipped, delivered] = await Promise.all(results.map((r) => settled(r.paymentId, 'PAID')));
    expect((await admin(TRACK, { id: shipped._id })).updateTracking.status).toBe('SHIPPED');
    expect((await admin(TRACK, { id: delivered._id })).updateTracking.status).toBe('SHIPPED');
    expect((await admin(SET_STATUS, { id: delivered._id, status: 'DELIVERED' })).updateOrderStatus.status).toBe('DELIVERED');
    await settled(shipped.paymentId, 'SHIPPED');
    await settled(delivered.paymentId, 'DELIVERED');

    const stats = (await admin(STATS, { currency: 'CAD' })).orderStatistics;
    expect(nonZero(stats.ordersByStatus)).toEqual({ SHIPPED: 1, DELIVERED: 1 });
    expect(stats.ordersByStatus.reduce((n: number, c: StatusCount) => n + c.count, 0)).toBe(stats.totalOrders);
  });

  it('reports money totals beyond 2^31 - 1 minor units exactly, as strings of digits', async () => {
    const big = await paidResult('CHF', 1_500_000_000, 2);
    await q.publish(big);
    await settled(big.paymentId, 'PAID');

    const data = await admin(STATS, { currency: 'CHF' });
    expect(data.orderStatistics).toMatchObject({ totalOrders: 1, totalRevenueCents: '3000000000', netRevenueCents: '3000000000', averageOrderValueCents: '3000000000', topProducts: [{ unitsSold: 2, revenueCents: '3000000000' }] });
    expect(data.topCustomers).toEqual([{ orderCount: 1, lifetimeValueCents: '3000000000' }]);
    expect((await admin(CHART, { currency: 'CHF' })).salesChart.points[0]).toMatchObject({ revenueCents: '3000000000' });
  });

  it('reconciliation recomputes the same figures from these orders: no drift', async () => {
    const report = (await admin(RECONCILE)).reconciliationReport;
    expect(report.drift).toEqual([]);
    expect(report.driftCount).toBe(0);
  });
});
