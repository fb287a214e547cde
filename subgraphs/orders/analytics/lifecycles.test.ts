import { analyticsEventSchema, type AnalyticsEvent } from '../../lib/queues';
import { incrementsOf, planIncrements } from './plan';
import { recompute, type OrderFact } from './reconcile';

/**
 * Whole order lifecycles, as the orders domain reports them: each event names the status it moved
 * the order from and to, the cumulative refunded amount and when the order was placed. For each,
 * the figures the worker adds up (planIncrements, event by event) are checked by hand and against
 * what reconciliation recomputes from the final order: both must be built on the same rules.
 */
type Step = { kind: AnalyticsEvent['kind']; to: string; at: string; refundedCents?: number };

const LINES = [
  { productId: 'prod_a', name: 'A', unitPriceCents: 1000, quantity: 2 },
  { productId: 'prod_b', name: 'B', unitPriceCents: 500, quantity: 1 },
];
const TOTAL = 2500;

function lifecycle(steps: Step[], orderId = 'ord_1'): { events: AnalyticsEvent[]; order: OrderFact } {
  const placedAt = steps[0].at;
  let from: string | null = null;
  let refunded = 0;
  const events = steps.map((s) => {
    const cumulative = s.refundedCents ?? refunded;
    const suffix = s.kind === 'order.refunded' ? `refunded-${cumulative}` : s.kind === 'order.status_changed' ? `status-${s.to}` : s.kind.slice('order.'.length);
    const event = analyticsEventSchema.parse({
      eventId: `${orderId}-${suffix}`,
      kind: s.kind,
      orderId,
      paymentId: 'pay_1',
      customerId: 'cus_1',
      lines: LINES,
      amountCents: TOTAL,
      refundCents: cumulative - refunded,
      refundedCents: cumulative,
      fromStatus: from,
      toStatus: s.to,
      placedAt,
      currency: 'USD',
      occurredAt: s.at,
      requestId: 'r',
    });
    from = s.to;
    refunded = cumulative;
    return event;
  });
  const order: OrderFact = {
    _id: orderId, paymentId: 'pay_1', customerId: 'cus_1', status: from as unknown as OrderFact['status'], lines: LINES, amountCents: TOTAL, refundedCents: refunded,
    currency: 'USD', placedAt: new Date(placedAt), createdAt: new Date(placedAt),
  };
  return { events, order };
}

const PAID = { kind: 'order.paid', to: 'PAID', at: '2024-02-01T10:00:00Z' } as const;
const LIFECYCLES: Record<string, Step[]> = {
  paid: [PAID],
  failed: [{ kind: 'order.failed', to: 'FAILED', at: '2024-02-01T10:00:00Z' }],
  'failed, then paid the next day': [{ kind: 'order.failed', to: 'FAILED', at: '2024-02-01T23:50:00Z' }, { kind: 'order.paid', to: 'PAID', at: '2024-02-02T00:10:00Z' }],
  'canceled, then refunded': [PAID, { kind: 'order.canceled', to: 'CANCELED', at: '2024-02-01T11:00:00Z' }, { kind: 'order.refunded', to: 'CANCELED', at: '2024-02-01T11:05:00Z', refundedCents: TOTAL }],
  'partially refunded': [PAID, { kind: 'order.refunded', to: 'PARTIALLY_REFUNDED', at: '2024-02-03T10:00:00Z', refundedCents: 700 }],
  'refunded in full in two steps': [
    PAID,
    { kind: 'order.refunded', to: 'PARTIALLY_REFUNDED', at: '2024-02-03T10:00:00Z', refundedCents: 700 },
    { kind: 'order.refunded', to: 'REFUNDED', at: '2024-03-04T10:00:00Z', refundedCents: TOTAL },
  ],
  'oversold, refunded automatically': [{ kind: 'order.oversold', to: 'OVERSOLD_REFUNDED', at: '2024-02-01T10:00:00Z' }, { kind: 'order.refunded', to: 'OVERSOLD_REFUNDED', at: '2024-02-01T10:02:00Z', refundedCents: TOTAL }],
  'shipped, then delivered': [PAID, { kind: 'order.status_changed', to: 'SHIPPED', at: '2024-02-02T10:00:00Z' }, { kind: 'order.status_changed', to: 'DELIVERED', at: '2024-02-05T10:00:00Z' }],
};

/** Every counter path an event's increments touch, summed over the DAY (or MONTH) targets; zeros dropped. */
function summed(events: AnalyticsEvent[], level: 'DAY:' | 'MONTH:' | 'customer') {
  const sums: Record<string, number> = {};
  for (const t of events.flatMap(planIncrements)) {
    const wanted = level === 'customer' ? t.kind === 'customer' : t.key.startsWith(level);
    if (!wanted) continue;
    for (const [path, n] of Object.entries(incrementsOf(t))) sums[path] = (sums[path] ?? 0) + n;
  }
  return Object.fromEntries(Object.entries(sums).filter(([, n]) => n !== 0));
}

/** recompute()'s figures in the same flat shape (byStatus.<status>, products.<id>.<field>). */
function recomputed(order: OrderFact) {
  const { periods, products, customers } = recompute([order]);
  const { byStatus = {}, ...counters } = (periods.get('USD') ?? {}) as Record<string, unknown> & { byStatus?: Record<string, number> };
  const flat: Record<string, number> = { ...(counters as Record<string, number>) };
  for (const [status, n] of Object.entries(byStatus)) flat[`byStatus.${status}`] = n;
  for (const [key, p] of products) {
    const productId = key.slice('USD:'.length);
    flat[`products.${productId}.unitsSold`] = p.unitsSold;
    flat[`products.${productId}.revenueCents`] = p.revenueCents;
  }
  const customer = customers.get('cus_1:USD');
  return {
    period: Object.fromEntries(Object.entries(flat).filter(([, n]) => n !== 0)),
    customer: Object.fromEntries(Object.entries(customer ?? {}).filter(([, n]) => n !== 0)),
  };
}

const PRODUCTS = { 'products.prod_a.unitsSold': 2, 'products.prod_a.revenueCents': 2000, 'products.prod_b.unitsSold': 1, 'products.prod_b.revenueCents': 500 };

/** The figures each lifecycle must leave, worked out by hand (period counters and products; the customer). */
const EXPECTED: Record<string, { period: Record<string, number>; customer: Record<string, number> }> = {
  paid: { period: { attempted: 1, succeeded: 1, revenueCents: TOTAL, 'byStatus.PAID': 1 }, customer: { orderCount: 1, lifetimeValueCents: TOTAL } },
  failed: { period: { attempted: 1, failed: 1, 'byStatus.FAILED': 1 }, customer: {} },
  'failed, then paid the next day': { period: { attempted: 1, succeeded: 1, revenueCents: TOTAL, 'byStatus.PAID': 1 }, customer: { orderCount: 1, lifetimeValueCents: TOTAL } },
  'canceled, then refunded': {
    period: { attempted: 1, succeeded: 1, canceled: 1, refunded: 1, revenueCents: TOTAL, refundsCents: TOTAL, 'byStatus.CANCELED': 1 },
    customer: { orderCount: 1 },
  },
  'partially refunded': {
    period: { attempted: 1, succeeded: 1, refunded: 1, revenueCents: TOTAL, refundsCents: 700, 'byStatus.PARTIALLY_REFUNDED': 1 },
    customer: { orderCount: 1, lifetimeValueCents: TOTAL - 700 },
  },
  'refunded in full in two steps': {
    period: { attempted: 1, succeeded: 1, refunded: 1, revenueCents: TOTAL, refundsCents: TOTAL, 'byStatus.REFUNDED': 1 },
    customer: { orderCount: 1 },
  },
  'oversold, refunded automatically': { period: { attempted: 1, oversold: 1, 'byStatus.OVERSOLD_REFUNDED': 1 }, customer: {} },
  'shipped, then delivered': { period: { attempted: 1, succeeded: 1, revenueCents: TOTAL, 'byStatus.DELIVERED': 1 }, customer: { orderCount: 1, lifetimeValueCents: TOTAL } },
};
const withProducts = (name: string) => (EXPECTED[name].customer.orderCount ? { ...EXPECTED[name].period, ...PRODUCTS } : EXPECTED[name].period);

describe('an order lifecycle adds up to the figures of its final state', () => {
  it.each(Object.keys(LIFECYCLES))('%s: the worker\'s increments, per day and per month', (name) => {
    const { events } = lifecycle(LIFECYCLES[name]);
    expect(summed(events, 'DAY:')).toEqual(withProducts(name));
    expect(summed(events, 'MONTH:')).toEqual(withProducts(name));
    expect(summed(events, 'customer')).toEqual(EXPECTED[name].customer);
  });

  it.each(Object.keys(LIFECYCLES))('%s: reconciliation recomputes the same figures from the final order', (name) => {
    const { order } = lifecycle(LIFECYCLES[name]);
    expect(recomputed(order)).toEqual({ period: withProducts(name), customer: EXPECTED[name].customer });
  });

  it('counts an order in the period it was placed in, whenever later facts happen: never a negative count in a bucket', () => {
    const { events } = lifecycle(LIFECYCLES['failed, then paid the next day']);
    const targets = events.flatMap(planIncrements).filter((t) => t.kind === 'period');
    expect(new Set(targets.map((t) => t.key))).toEqual(new Set(['DAY:2024-02-01:USD', 'MONTH:2024-02:USD']));
    const [, paid] = events;
    // The success moves the order from FAILED to PAID: it was already counted as attempted.
    expect(incrementsOf(planIncrements(paid)[0])).toEqual({ succeeded: 1, failed: -1, revenueCents: TOTAL, 'byStatus.FAILED': -1, 'byStatus.PAID': 1 });
  });

  it('the automatic refund of an oversold order changes no figure at all', () => {
    const [, refund] = lifecycle(LIFECYCLES['oversold, refunded automatically']).events;
    expect(planIncrements(refund)).toEqual([]);
  });

  it('each refund step of a paid order takes its own amount off refunds and lifetime value; only the first counts a refunded order', () => {
    const [, first, second] = lifecycle(LIFECYCLES['refunded in full in two steps']).events;
    expect(planIncrements(first).map((t) => [t.key, incrementsOf(t)])).toEqual([
      ['DAY:2024-02-01:USD', { refunded: 1, refundsCents: 700, 'byStatus.PAID': -1, 'byStatus.PARTIALLY_REFUNDED': 1 }],
      ['MONTH:2024-02:USD', { refunded: 1, refundsCents: 700, 'byStatus.PAID': -1, 'byStatus.PARTIALLY_REFUNDED': 1 }],
      ['cus_1:USD', { lifetimeValueCents: -700 }],
    ]);
    // Refunded in March, but the order was placed in February: its figures stay with February.
    expect(planIncrements(second).map((t) => [t.key, incrementsOf(t)])).toEqual([
      ['DAY:2024-02-01:USD', { refundsCents: 1800, 'byStatus.PARTIALLY_REFUNDED': -1, 'byStatus.REFUNDED': 1 }],
      ['MONTH:2024-02:USD', { refundsCents: 1800, 'byStatus.PARTIALLY_REFUNDED': -1, 'byStatus.REFUNDED': 1 }],
      ['cus_1:USD', { lifetimeValueCents: -1800 }],
    ]);
  });
});
