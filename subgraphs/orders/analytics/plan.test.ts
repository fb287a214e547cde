import { analyticsEventSchema, type AnalyticsEvent } from '../../lib/queues';
import { incrementsOf, planIncrements, productIdFromMapKey, productMapKey } from './plan';
import { classify, orderFactTime, recompute } from './reconcile';

const event = (over: Partial<AnalyticsEvent>): AnalyticsEvent =>
  analyticsEventSchema.parse({
    eventId: 'ord_1-paid',
    kind: 'order.paid',
    orderId: 'ord_1',
    paymentId: 'pay_1',
    customerId: 'cus_1',
    lines: [
      { productId: 'prod_a', name: 'A', unitPriceCents: 500, quantity: 2 },
      { productId: 'prod_a', name: 'A', unitPriceCents: 500, quantity: 1 },
      { productId: 'prod_b', name: 'B', unitPriceCents: 250, quantity: 4 },
    ],
    amountCents: 2500,
    refundedCents: 0,
    fromStatus: null,
    toStatus: 'PAID',
    currency: 'usd',
    placedAt: '2024-03-31T23:30:00-01:00',
    occurredAt: '2024-03-31T23:30:00-01:00',
    requestId: 'r1',
    ...over,
  });

describe('what an analytics event adds to the rollups', () => {
  it('a paid order adds to its UTC day and month (with each product, merged) and its customer', () => {
    const targets = planIncrements(event({}));
    expect(targets.map((t) => [t.kind, t.key])).toEqual([
      ['period', 'DAY:2024-04-01:USD'],
      ['periodProducts', 'DAY:2024-04-01:USD'],
      ['period', 'MONTH:2024-04:USD'],
      ['periodProducts', 'MONTH:2024-04:USD'],
      ['customer', 'cus_1:USD'],
    ]);
    expect(targets[0].inc).toEqual({ attempted: 1, succeeded: 1, revenueCents: 2500 });
    expect(targets[3].productFigures).toEqual([
      { key: 'prod_a', unitsSold: 3, revenueCents: 1500 },
      { key: 'prod_b', unitsSold: 4, revenueCents: 1000 },
    ]);
    expect(targets[4].inc).toEqual({ orderCount: 1, lifetimeValueCents: 2500 });
  });

  it('a refund counts a refund step and takes its amount off the customer; a failure only counts', () => {
    const refund = planIncrements(event({ kind: 'order.refunded', eventId: 'ord_1-refunded-700', refundCents: 700, refundedCents: 700, fromStatus: 'PAID', toStatus: 'PARTIALLY_REFUNDED' }));
    expect(refund.map((t) => [t.key, t.inc])).toEqual([
      ['DAY:2024-04-01:USD', { refunded: 1, refundsCents: 700 }],
      ['MONTH:2024-04:USD', { refunded: 1, refundsCents: 700 }],
      ['cus_1:USD', { lifetimeValueCents: -700 }],
    ]);
    expect(planIncrements(event({ kind: 'order.failed', toStatus: 'FAILED' })).map((t) => t.inc)).toEqual([{ attempted: 1, failed: 1 }, { attempted: 1, failed: 1 }]);
  });

  it('a paid order also counts each product in its periods\' products documents, for top products by period', () => {
    const day = planIncrements(event({}))[1];
    expect(day.productFigures).toEqual([
      { key: 'prod_a', unitsSold: 3, revenueCents: 1500 },
      { key: 'prod_b', unitsSold: 4, revenueCents: 1000 },
    ]);
    expect(incrementsOf(day)).toEqual({
      'products.prod_a.unitsSold': 3, 'products.prod_a.revenueCents': 1500,
      'products.prod_b.unitsSold': 4, 'products.prod_b.revenueCents': 1000,
    });
    expect(planIncrements(event({ kind: 'order.failed', toStatus: 'FAILED' })).some((t) => t.productFigures)).toBe(false);
  });

  it('escapes a product id that could not be a stored key, and restores it', () => {
    for (const id of ['prod_a', 'we.ird', '$start', '100%.$']) {
      expect(productMapKey(id)).not.toMatch(/[.$]/);
      expect(productIdFromMapKey(productMapKey(id))).toBe(id);
    }
  });

  it('never builds a key with a dot or a dollar sign', () => {
    for (const t of planIncrements(event({}))) {
      expect(t.key).not.toMatch(/[.$]/);
      for (const k of [...Object.keys(t.inc), ...Object.keys(t.meta), ...Object.keys(t.byStatus ?? {}), ...(t.productFigures ?? []).map((p) => p.key)]) expect(k).not.toMatch(/[.$]/);
    }
  });
});

describe('reconciliation classes', () => {
  const order = (id: string, paymentId: string, over: Record<string, unknown> = {}) => ({
    _id: id, paymentId, customerId: 'cus_1', status: 'PAID' as const, lines: [{ productId: 'prod_a', name: 'A', unitPriceCents: 100, quantity: 1 }],
    amountCents: 100, refundedCents: 0, currency: 'USD', createdAt: new Date('2024-01-01T00:00:00Z'), ...over,
  });
  const payment = (id: string, over: Record<string, unknown> = {}) => ({ id, status: 'SUCCEEDED', amountCents: 100, refundedCents: 0, currency: 'USD', ...over });

  it('places an order at its payment outcome time, as the rollups do, even when the worker ran days later', () => {
    const late = order('ord_late', 'pay_late', {
      createdAt: new Date('2024-02-03T08:00:00Z'),
      placedAt: new Date('2024-01-31T23:59:00Z'),
      statusHistory: [{ to: 'PAID', at: new Date('2024-02-03T08:00:00Z') }],
    });
    expect(orderFactTime(late).toISOString()).toBe('2024-01-31T23:59:00.000Z');
    expect(orderFactTime(order('ord_old', 'pay_old')).toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('sorts payments and orders into matched, unmatched and mismatched', () => {
    const classes = classify({
      payments: [payment('pay_ok'), payment('pay_lost'), payment('pay_diff', { amountCents: 99 }), payment('pay_failed', { status: 'FAILED' }), payment('pay_over', { status: 'REFUNDED', refundedCents: 100 })],
      orders: [order('ord_ok', 'pay_ok'), order('ord_diff', 'pay_diff'), order('ord_failed', 'pay_failed', { status: 'FAILED' }), order('ord_orphan', 'pay_none'), order('ord_over', 'pay_over', { status: 'OVERSOLD_REFUNDED', refundedCents: 100 })],
      duplicateEventIds: ['ord_ok-paid'],
      failedJobIds: ['payment-results:pay_x-succeeded'],
    });
    expect(Object.fromEntries(classes)).toEqual({
      MATCHED: ['pay_ok', 'pay_failed', 'pay_over'],
      PAID_WITHOUT_ORDER: ['pay_lost'],
      ORDER_WITHOUT_PAYMENT: ['ord_orphan'],
      DUPLICATE_EVENT_SUPPRESSED: ['ord_ok-paid'],
      AMOUNT_OR_CURRENCY_MISMATCH: ['pay_diff'],
      OVERSOLD_AND_REFUNDED: ['pay_over'],
      STUCK_IN_FAILED_JOBS: ['payment-results:pay_x-succeeded'],
    });
  });

  it('recomputes the figures from orders: failed attempts count as attempts only, refunds reduce lifetime value', () => {
    const { periods, customers } = recompute([order('o1', 'p1', { refundedCents: 30 }), order('o2', 'p2', { status: 'FAILED' })]);
    expect(periods.get('USD')).toMatchObject({ attempted: 2, succeeded: 1, failed: 1, revenueCents: 100, refundsCents: 30 });
    expect(customers.get('cus_1:USD')).toEqual({ orderCount: 1, lifetimeValueCents: 70 });
  });
});
