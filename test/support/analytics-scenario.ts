import { newId } from '../../subgraphs/lib/ids';
import { analyticsEventSchema, type AnalyticsEvent, type LineSnapshot } from '../../subgraphs/lib/queues';

/**
 * A scripted history of order facts with known figures, shared by the analytics tests, the
 * dashboard test and reconciliation checks. Everything happens in February 2024 (UTC).
 */
export interface ScenarioIds {
  customers: [string, string];
  products: [string, string];
  orders: [string, string, string, string, string];
  payments: [string, string, string, string, string];
}

/** Fresh ids for one run of the scenario, so test files never collide. */
export function newScenarioIds(): ScenarioIds {
  const five = (kind: 'order' | 'payment') => [newId(kind), newId(kind), newId(kind), newId(kind), newId(kind)] as ScenarioIds['orders'];
  return { customers: [newId('customer'), newId('customer')], products: [newId('product'), newId('product')], orders: five('order'), payments: five('payment') };
}

export function scenarioEvents(ids: ScenarioIds): AnalyticsEvent[] {
  const [alice, bob] = ids.customers;
  const [pa, pb] = ids.products;
  const line = (productId: string, unitPriceCents: number, quantity: number): LineSnapshot => ({ productId, name: productId, unitPriceCents, quantity });
  const ev = (i: number, kind: AnalyticsEvent['kind'], occurredAt: string, customerId: string, lines: LineSnapshot[], extra: Partial<AnalyticsEvent> = {}) => {
    const totalCents = lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0);
    const suffix = kind === 'order.refunded' ? `refunded-${extra.refundCents}` : kind.slice('order.'.length);
    return analyticsEventSchema.parse({
      eventId: `${ids.orders[i]}-${suffix}`,
      kind,
      orderId: ids.orders[i],
      paymentId: ids.payments[i],
      customerId,
      lines,
      totalCents,
      currency: 'USD',
      occurredAt,
      requestId: `scenario-${i}`,
      ...extra,
    });
  };
  const o0 = [line(pa, 1000, 2), line(pb, 500, 1)]; // 2500
  const o1 = [line(pb, 500, 4)]; // 2000
  const o2 = [line(pa, 1000, 1)]; // 1000, fails
  const o3 = [line(pa, 1000, 3)]; // 3000, refunded in full (out of order)
  const o4 = [line(pb, 500, 2)]; // 1000, paid then cancelled and refunded
  return [
    ev(0, 'order.paid', '2024-02-01T10:00:00Z', alice, o0),
    ev(1, 'order.paid', '2024-02-03T23:59:59Z', bob, o1),
    ev(2, 'order.failed', '2024-02-03T12:00:00Z', bob, o2),
    ev(3, 'order.paid', '2024-02-05T09:00:00Z', alice, o3),
    ev(3, 'order.refunded', '2024-02-06T09:00:00Z', alice, o3, { refundCents: 3000 }),
    ev(4, 'order.paid', '2024-02-05T15:00:00Z', bob, o4),
    ev(4, 'order.cancelled', '2024-02-05T16:00:00Z', bob, o4),
    ev(4, 'order.refunded', '2024-02-05T16:05:00Z', bob, o4, { refundCents: 1000 }),
  ];
}

/** The figures the scenario must produce, worked out by hand. */
export const SCENARIO_FIGURES = {
  attempted: 5,
  succeeded: 4,
  failed: 1,
  cancelled: 1,
  refunded: 2,
  revenueCents: 2500 + 2000 + 3000 + 1000,
  refundsCents: 4000,
  /** 8500 / 4 = 2125. */
  averageOrderValueCents: 2125,
  successRate: 0.8,
  /** Days Feb 1–6: total, successful, failed, revenue. */
  days: [
    { period: '2024-02-01', total: 1, successful: 1, failed: 0, revenueCents: 2500 },
    { period: '2024-02-02', total: 0, successful: 0, failed: 0, revenueCents: 0 },
    { period: '2024-02-03', total: 2, successful: 1, failed: 1, revenueCents: 2000 },
    { period: '2024-02-04', total: 0, successful: 0, failed: 0, revenueCents: 0 },
    { period: '2024-02-05', total: 2, successful: 2, failed: 0, revenueCents: 4000 },
    { period: '2024-02-06', total: 0, successful: 0, failed: 0, revenueCents: 0 },
  ],
  /** product a: 2 + 3 = 5 units, 5000; product b: 1 + 4 + 2 = 7 units, 3500. */
  products: [
    { index: 0, unitsSold: 5, revenueCents: 5000 },
    { index: 1, unitsSold: 7, revenueCents: 3500 },
  ],
  /** alice: 2 orders, 2500 + 3000 − 3000; bob: 2 orders, 2000 + 1000 − 1000. */
  customers: [
    { index: 0, orderCount: 2, lifetimeValueCents: 2500 },
    { index: 1, orderCount: 2, lifetimeValueCents: 2000 },
  ],
};

/** The orders and payments (as stored by their services) consistent with the scenario's final state. */
export function scenarioOrdersAndPayments(ids: ScenarioIds, events: AnalyticsEvent[]) {
  return ids.orders.map((orderId, i) => {
    const facts = events.filter((e) => e.orderId === orderId);
    const first = facts.find((e) => e.kind === 'order.paid' || e.kind === 'order.failed')!;
    const refunded = facts.filter((e) => e.kind === 'order.refunded').reduce((s, e) => s + e.refundCents, 0);
    const cancelled = facts.some((e) => e.kind === 'order.cancelled');
    const failed = first.kind === 'order.failed';
    const at = new Date(first.occurredAt);
    const history = [{ from: null, to: failed ? 'FAILED' : 'PAID', at, by: 'scenario' }, ...(cancelled ? [{ from: 'PAID', to: 'CANCELLED', at, by: 'scenario' }] : [])];
    return {
      order: {
        _id: orderId, paymentId: ids.payments[i], customerId: first.customerId, status: failed ? 'FAILED' : cancelled ? 'CANCELLED' : refunded ? 'REFUNDED' : 'PAID', items: first.lines,
        totalCents: first.totalCents, refundedCents: refunded, currency: first.currency, reservationId: `res_scenario${i}`, statusHistory: history,
        outbox: [], outboxDone: [], outboxPending: 0, createdAt: at, updatedAt: at,
      },
      payment: {
        _id: ids.payments[i], customerId: first.customerId, idempotencyKey: `scenario-${i}`, status: failed ? 'FAILED' : refunded ? 'REFUNDED' : 'SUCCEEDED', lines: first.lines,
        amountCents: first.totalCents, refundedCents: refunded, currency: first.currency, reservationId: `res_scenario${i}`, results: [], outbox: [], published: [], refunds: [], createdAt: at, updatedAt: at,
      },
    };
  });
}
