import type { Queue } from 'bullmq';
import { newId } from '../subgraphs/lib/ids';
import { analyticsEventSchema, analyticsEventsQueue, openQueue, type AnalyticsEvent } from '../subgraphs/lib/queues';
import { addJob } from './support/queues';
import { startAnalyticsWorker } from '../subgraphs/orders/analytics/worker-main';
import { planIncrements, incrementsOf } from '../subgraphs/orders/analytics/plan';
import { rollupModel } from '../subgraphs/orders/analytics/model';
import { newScenarioIds, scenarioEvents, scenarioOrdersAndPayments, SCENARIO_FIGURES, type ScenarioIds } from './support/analytics-scenario';
import type { AnalyticsModule } from '../subgraphs/orders/analytics/module';
import { ORDER_STATUSES } from '../subgraphs/orders/model';
import { startStack, type TestStack } from './support/stack';

const CHART = `query Chart($from: String, $to: String, $g: Granularity, $period: SalesPeriod) {
  salesChart(from: $from, to: $to, granularity: $g, period: $period) { granularity currency from to points { period total successful failed revenueCents refundsCents } }
}`;
const STATS = `query Stats($from: String!, $to: String!) {
  orderStatistics(from: $from, to: $to) {
    totalOrders successfulOrders totalRevenueCents refundsCents netRevenueCents averageOrderValueCents successRate
    ordersByStatus { status count }
    topProducts(limit: 5) { product { id } unitsSold revenueCents }
  }
  topCustomers(limit: 5) { customer { id } orderCount lifetimeValueCents }
}`;
const RECONCILE = `query Reconcile($from: String, $to: String) {
  reconciliationReport(from: $from, to: $to) { from to driftCount unmatchedCount drift { currency figure rollup recomputed } classes { kind count ids } }
}`;

/** Waits until the analytics queue has finished `n` jobs and has nothing left to do. */
async function drained(queue: Queue, n: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const c = await queue.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    if (c.failed) throw new Error(`analytics jobs failed: ${JSON.stringify(await queue.getFailed())}`);
    if (c.completed >= n && !c.wait && !c.active && !c.delayed && !c.prioritized) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('analytics queue did not drain');
}

describe('analytics rollups fed by the queue', () => {
  let stack: TestStack;
  let worker: Awaited<ReturnType<typeof startAnalyticsWorker>>;
  let queue: Queue;
  let analytics: AnalyticsModule;
  let adminToken: string;
  const ids: ScenarioIds = newScenarioIds();
  const events = scenarioEvents(ids);
  const eventOf = (order: number, suffix: string) => events.find((e) => e.eventId === `${ids.orders[order]}-${suffix}`)!;
  /** Delivered twice: order 0's payment, order 3's refund, order 2's failure. */
  const duplicated = [eventOf(0, 'paid'), eventOf(3, 'refunded-3000'), eventOf(2, 'failed')];
  let jobs = 0;
  const deliver = async (e: AnalyticsEvent, jobId = e.eventId) => {
    jobs++;
    await addJob(queue, analyticsEventsQueue, e, jobId);
  };

  beforeAll(async () => {
    stack = await startStack();
    worker = await startAnalyticsWorker({ ...stack.config, port: 0 });
    queue = openQueue(analyticsEventsQueue, { connection: { url: stack.config.redisUrl }, prefix: stack.config.queuePrefix }).queue;
    analytics = (stack.orders.deps as unknown as { analytics: AnalyticsModule }).analytics;
    adminToken = await stack.tokenFor(newId('customer'), 'ADMIN');

    // Out of order: every order's later facts arrive before its earlier ones (the refund before the payment, the
    // delivery before the shipping, the success before the failure it follows).
    for (const e of [...events].reverse()) await deliver(e);
    // Duplicates: the same facts delivered again (as after a trimmed completed set or a republished outbox).
    await drained(queue, jobs);
    for (const e of duplicated) await deliver(e, `${e.eventId}-again`);
    await drained(queue, jobs);
  });

  afterAll(async () => {
    await queue?.close();
    await worker?.stop();
    await stack?.stop();
  });

  it('counts every fact exactly once, per UTC day, with empty days as zeros', async () => {
    const res = await stack.gql(CHART, { from: '2024-02-01', to: '2024-02-07', g: 'DAY' }, { token: adminToken });
    expect(res.errors).toBeUndefined();
    const chart = res.data.salesChart;
    expect(chart).toMatchObject({ granularity: 'DAY', currency: 'USD', from: '2024-02-01T00:00:00.000Z', to: '2024-02-07T00:00:00.000Z' });
    // Money totals are BigInt strings of digits.
    expect(chart.points).toEqual(SCENARIO_FIGURES.days.map((d) => ({ ...d, revenueCents: String(d.revenueCents), refundsCents: String(d.refundsCents) })));
  });

  it('answers the month chart and the statistics of the range exactly', async () => {
    const month = await stack.gql(CHART, { from: '2024-01-15', to: '2024-03-02', g: 'MONTH' }, { token: adminToken });
    expect(month.data.salesChart.points.map((p: { period: string; total: number; revenueCents: number }) => [p.period, p.total, p.revenueCents])).toEqual([
      ['2024-01', 0, '0'],
      ['2024-02', 7, '9500'],
      ['2024-03', 0, '0'],
    ]);
    const res = await stack.gql(STATS, { from: '2024-02-01', to: '2024-03-01' }, { token: adminToken });
    expect(res.errors).toBeUndefined();
    const f = SCENARIO_FIGURES;
    expect(res.data.orderStatistics).toEqual({
      totalOrders: f.attempted,
      successfulOrders: f.succeeded,
      totalRevenueCents: String(f.revenueCents),
      refundsCents: String(f.refundsCents),
      netRevenueCents: String(f.revenueCents - f.refundsCents),
      averageOrderValueCents: String(f.averageOrderValueCents),
      successRate: f.successRate,
      // Every status, in the order of the OrderStatus enum; each order once, in its current status.
      ordersByStatus: ORDER_STATUSES.map((status) => ({ status, count: (f.ordersByStatus as Record<string, number>)[status] ?? 0 })),
      topProducts: f.products.map((p) => ({ product: { id: ids.products[p.index] }, unitsSold: p.unitsSold, revenueCents: String(p.revenueCents) })),
    });
    expect(res.data.topCustomers).toEqual(f.customers.map((c) => ({ customer: { id: ids.customers[c.index] }, orderCount: c.orderCount, lifetimeValueCents: String(c.lifetimeValueCents) })));
  });

  it('a range of ragged days reads the same figures as the whole month (days + months agree)', async () => {
    const res = await stack.gql(STATS, { from: '2024-01-20', to: '2024-02-06' }, { token: adminToken });
    expect(res.data.orderStatistics).toMatchObject({ totalOrders: 7, totalRevenueCents: '9500', refundsCents: '4000' });
  });

  it('zero-fills a preset period with no sales at all', async () => {
    const res = await stack.gql(CHART, { period: 'LAST_6_MONTHS', g: 'MONTH' }, { token: adminToken });
    expect(res.data.salesChart.points).toHaveLength(6);
    expect(res.data.salesChart.points.every((p: { total: number; revenueCents: string }) => p.total === 0 && p.revenueCents === '0')).toBe(true);
  });

  it('finishes an event a crashed worker left half-applied, without counting any part twice', async () => {
    const event = analyticsEventSchema.parse({ ...events[0], eventId: `${ids.orders[0]}-crash`, occurredAt: '2024-04-10T10:00:00Z', placedAt: '2024-04-10T10:00:00Z' });
    const targets = planIncrements(event);
    // What a worker that died after its second $inc leaves behind: the marker (claim run out) and two applied targets.
    await analytics.models.appliedEvents.collection.insertOne({
      _id: event.eventId as never, kind: event.kind, orderId: event.orderId, paymentId: event.paymentId, customerId: event.customerId, currency: 'USD',
      amountCents: event.amountCents, refundCents: 0, occurredAt: new Date(event.occurredAt), targets, state: 'applying', claim: 'dead-worker',
      claimedUntil: new Date(Date.now() - 1000), duplicates: 0, createdAt: new Date(), updatedAt: new Date(),
    });
    for (const t of targets.slice(0, 2)) {
      const model = rollupModel(analytics.models, t.kind);
      await model.collection.updateOne({ _id: t.key as never }, { $inc: incrementsOf(t), $push: { pending: event.eventId } as never, $setOnInsert: t.meta }, { upsert: true });
    }
    await deliver(event);
    await drained(queue, jobs);
    const res = await stack.gql(STATS, { from: '2024-04-01', to: '2024-05-01' }, { token: adminToken });
    expect(res.data.orderStatistics).toMatchObject({ totalOrders: 1, totalRevenueCents: '2500', topProducts: [{ unitsSold: 2, revenueCents: '2000' }, { unitsSold: 1, revenueCents: '500' }] });
    const day = await stack.gql(CHART, { from: '2024-04-10', to: '2024-04-11', g: 'DAY' }, { token: adminToken });
    expect(day.data.salesChart.points).toEqual([{ period: '2024-04-10', total: 1, successful: 1, failed: 0, revenueCents: '2500', refundsCents: '0' }]);
    expect(await analytics.models.appliedEvents.countDocuments({ state: { $ne: 'done' } })).toBe(0);
    // Undo, so the reconciliation below sees only the scenario (this "order" exists only in analytics).
    for (const t of targets) {
      const model = rollupModel(analytics.models, t.kind);
      await model.collection.updateOne({ _id: t.key as never }, { $inc: Object.fromEntries(Object.entries(incrementsOf(t)).map(([k, v]) => [k, -v])) });
    }
    await analytics.models.appliedEvents.deleteOne({ _id: event.eventId });
  });

  it('leaves no event id pending in any rollup document', async () => {
    for (const model of [analytics.models.periods, analytics.models.periodProducts, analytics.models.customers]) {
      expect(await model.countDocuments({ 'pending.0': { $exists: true } })).toBe(0);
    }
  });

  it('refuses customers with FORBIDDEN and anonymous callers with UNAUTHENTICATED', async () => {
    const customer = await stack.tokenFor(ids.customers[0]);
    for (const [query, vars] of [[CHART, { period: 'LAST_YEAR' }], [STATS, { from: '2024-02-01', to: '2024-03-01' }], [RECONCILE, {}]] as const) {
      expect((await stack.gql(query, vars, { token: customer })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect((await stack.gql(query, vars)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('rejects a chart without a period or range with BAD_USER_INPUT', async () => {
    const res = await stack.gql(CHART, { g: 'DAY' }, { token: adminToken });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'period' });
  });

  describe('reconciliation', () => {
    beforeAll(async () => {
      // The payments and orders that produced the scenario's events, in their own databases.
      for (const { order, payment } of scenarioOrdersAndPayments(ids, events)) {
        await stack.orders.deps.orders.collection.insertOne(order as never);
        await stack.payments.deps.payments.collection.insertOne(payment as never);
      }
    });

    it('reports zero drift and zero unmatched after duplicate, late and out-of-order events', async () => {
      for (const range of [{ from: '2024-02-01', to: '2024-03-01' }, {}]) {
        const res = await stack.gql(RECONCILE, range, { token: adminToken });
        expect(res.errors).toBeUndefined();
        const report = res.data.reconciliationReport;
        expect(report.drift).toEqual([]);
        expect(report).toMatchObject({ driftCount: 0, unmatchedCount: 0 });
        const classes = Object.fromEntries(report.classes.map((c: { kind: string; count: number; ids: string[] }) => [c.kind, c]));
        expect(classes.MATCHED.count).toBe(7);
        expect(classes.OVERSOLD_AND_REFUNDED.ids).toEqual([ids.payments[5]]);
        expect(classes.DUPLICATE_EVENT_SUPPRESSED.ids.sort()).toEqual(duplicated.map((e) => e.eventId).sort());
        expect(classes.STUCK_IN_FAILED_JOBS.count).toBe(0);
      }
    });

    it('names the payment and the drift when a paid order is missing', async () => {
      const paymentId = newId('payment');
      await stack.payments.deps.payments.collection.insertOne({
        _id: paymentId as never, customerId: ids.customers[0], idempotencyKey: 'lost', status: 'SUCCEEDED', lines: [], amountCents: 700, refundedCents: 0, currency: 'USD',
        reservationId: newId('reservation'), results: [], outbox: [], outboxDone: [], outboxPending: 0, refunds: [], createdAt: new Date('2024-02-10T00:00:00Z'), updatedAt: new Date(),
      });
      const orderId = newId('order');
      await stack.orders.deps.orders.collection.insertOne({
        _id: orderId as never, paymentId, customerId: ids.customers[0], status: 'PAID', lines: [], amountCents: 700, refundedCents: 0, currency: 'USD', reservationId: 'r',
        statusHistory: [{ from: null, to: 'PAID', at: new Date('2024-02-10T00:00:00Z'), by: 'test' }], outbox: [], outboxDone: [], outboxPending: 0, createdAt: new Date('2024-02-10T00:00:00Z'), updatedAt: new Date(),
      });
      const report = (await stack.gql(RECONCILE, { from: '2024-02-01', to: '2024-03-01' }, { token: adminToken })).data.reconciliationReport;
      // The order exists but analytics never heard of it: the rollups are short by exactly that order.
      expect(report.drift).toEqual(expect.arrayContaining([{ currency: 'USD', figure: 'revenueCents', rollup: '9500', recomputed: '10200' }]));
      await stack.orders.deps.orders.deleteOne({ _id: orderId });
      const lost = (await stack.gql(RECONCILE, { from: '2024-02-01', to: '2024-03-01' }, { token: adminToken })).data.reconciliationReport;
      expect(lost.driftCount).toBe(0);
      // The graph sees payments only through orders, events and jobs: a payment with none of them is the script's to find.
      await stack.payments.deps.payments.deleteOne({ _id: paymentId });
    });
  });
});
