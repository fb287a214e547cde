import { newId } from '../../subgraphs/lib/ids';
import { analyticsEventSchema, type AnalyticsEvent, type LineSnapshot } from '../../subgraphs/lib/queues';

/**
 * A scripted history of order facts with known figures, shared by the analytics tests and the
 * reconciliation checks. Every order is placed in February 2024 (UTC). Each event carries what
 * the orders domain reports: the status it moved the order from and to, the cumulative refunded
 * amount and when the order was placed.
 */
export interface ScenarioIds {
  customers: [string, string];
  products: [string, string];
  /** Seven orders (and their payments): index i is order i of the story in scenarioEvents. */
  orders: string[];
  payments: string[];
}

/** Fresh ids for one run of the scenario, so test files never collide. */
export function newScenarioIds(): ScenarioIds {
  const seven = (kind: 'order' | 'payment') => Array.from({ length: 7 }, () => newId(kind));
  return { customers: [newId('customer'), newId('customer')], products: [newId('product'), newId('product')], orders: seven('order'), payments: seven('payment') };
}

type Fact = [kind: AnalyticsEvent['kind'], toStatus: string, occurredAt: string, refundedCents?: number];

/**
 * 0. alice pays 2500 on Feb 1; shipped Feb 2, delivered Feb 4.
 * 1. bob pays 2000 on Feb 3 at 23:59:59.
 * 2. bob's payment of 1000 fails on Feb 3.
 * 3. alice pays 3000 on Feb 5; refunded in full on Feb 6.
 * 4. bob pays 1000 on Feb 5, cancels, and is refunded.
 * 5. alice pays 4000 on Feb 2 after the stock is gone: oversold, refunded automatically.
 * 6. bob's payment of 1000 fails on Feb 2 at 23:50, then succeeds on Feb 3 at 00:10.
 */
export function scenarioEvents(ids: ScenarioIds): AnalyticsEvent[] {
  const [alice, bob] = ids.customers;
  const [pa, pb] = ids.products;
  const line = (productId: string, unitPriceCents: number, quantity: number): LineSnapshot => ({ productId, name: productId, unitPriceCents, quantity });
  const order = (i: number, customerId: string, lines: LineSnapshot[], facts: Fact[]): AnalyticsEvent[] => {
    const amountCents = lines.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0);
    let fromStatus: string | null = null;
    let refunded = 0;
    return facts.map(([kind, toStatus, occurredAt, cumulative = refunded]) => {
      const suffix = kind === 'order.refunded' ? `refunded-${cumulative}` : kind === 'order.status_changed' ? `status-${toStatus}` : kind.slice('order.'.length);
      const event = analyticsEventSchema.parse({
        eventId: `${ids.orders[i]}-${suffix}`,
        kind,
        orderId: ids.orders[i],
        paymentId: ids.payments[i],
        customerId,
        lines,
        amountCents,
        refundCents: cumulative - refunded,
        refundedCents: cumulative,
        fromStatus,
        toStatus,
        placedAt: facts[0][2],
        currency: 'USD',
        occurredAt,
        requestId: `scenario-${i}`,
      });
      fromStatus = toStatus;
      refunded = cumulative;
      return event;
    });
  };
  return [
    ...order(0, alice, [line(pa, 1000, 2), line(pb, 500, 1)], [
      ['order.paid', 'PAID', '2024-02-01T10:00:00Z'],
      ['order.status_changed', 'SHIPPED', '2024-02-02T09:00:00Z'],
      ['order.status_changed', 'DELIVERED', '2024-02-04T09:00:00Z'],
    ]),
    ...order(1, bob, [line(pb, 500, 4)], [['order.paid', 'PAID', '2024-02-03T23:59:59Z']]),
    ...order(2, bob, [line(pa, 1000, 1)], [['order.failed', 'FAILED', '2024-02-03T12:00:00Z']]),
    ...order(3, alice, [line(pa, 1000, 3)], [
      ['order.paid', 'PAID', '2024-02-05T09:00:00Z'],
      ['order.refunded', 'REFUNDED', '2024-02-06T09:00:00Z', 3000],
    ]),
    ...order(4, bob, [line(pb, 500, 2)], [
      ['order.paid', 'PAID', '2024-02-05T15:00:00Z'],
      ['order.canceled', 'CANCELED', '2024-02-05T16:00:00Z'],
      ['order.refunded', 'CANCELED', '2024-02-05T16:05:00Z', 1000],
    ]),
    ...order(5, alice, [line(pa, 1000, 4)], [
      ['order.oversold', 'OVERSOLD_REFUNDED', '2024-02-02T08:00:00Z'],
      ['order.refunded', 'OVERSOLD_REFUNDED', '2024-02-02T08:01:00Z', 4000],
    ]),
    ...order(6, bob, [line(pb, 500, 2)], [
      ['order.failed', 'FAILED', '2024-02-02T23:50:00Z'],
      ['order.paid', 'PAID', '2024-02-03T00:10:00Z'],
    ]),
  ];
}

/** The figures the scenario must produce, worked out by hand (every order counts on the day it was placed). */
export const SCENARIO_FIGURES = {
  /** Seven orders had a payment attempt; 0, 1, 3, 4 and 6 were paid; 2 failed; 5 was oversold. */
  attempted: 7,
  succeeded: 5,
  failed: 1,
  oversold: 1,
  canceled: 1,
  /** Orders 3 and 4 (the oversold order's automatic refund is no refund of revenue). */
  refunded: 2,
  revenueCents: 2500 + 2000 + 3000 + 1000 + 1000,
  refundsCents: 3000 + 1000,
  /** 9500 / 5. */
  averageOrderValueCents: 1900,
  successRate: 5 / 7,
  /** Each order once, in its current status. */
  ordersByStatus: { DELIVERED: 1, PAID: 2, FAILED: 1, REFUNDED: 1, CANCELED: 1, OVERSOLD_REFUNDED: 1 },
  /** Days Feb 1–6 by the day each order was placed: total, successful, failed, revenue, refunds. */
  days: [
    { period: '2024-02-01', total: 1, successful: 1, failed: 0, revenueCents: 2500, refundsCents: 0 },
    { period: '2024-02-02', total: 2, successful: 1, failed: 0, revenueCents: 1000, refundsCents: 0 },
    { period: '2024-02-03', total: 2, successful: 1, failed: 1, revenueCents: 2000, refundsCents: 0 },
    { period: '2024-02-04', total: 0, successful: 0, failed: 0, revenueCents: 0, refundsCents: 0 },
    { period: '2024-02-05', total: 2, successful: 2, failed: 0, revenueCents: 4000, refundsCents: 4000 },
    { period: '2024-02-06', total: 0, successful: 0, failed: 0, revenueCents: 0, refundsCents: 0 },
  ],
  /** product a: 2 + 3 = 5 units, 5000; product b: 1 + 4 + 2 + 2 = 9 units, 4500 (the oversold lines count nowhere). */
  products: [
    { index: 0, unitsSold: 5, revenueCents: 5000 },
    { index: 1, unitsSold: 9, revenueCents: 4500 },
  ],
  /** bob: 3 paid orders, 2000 + 1000 − 1000 + 1000; alice: 2 paid orders, 2500 + 3000 − 3000. */
  customers: [
    { index: 1, orderCount: 3, lifetimeValueCents: 3000 },
    { index: 0, orderCount: 2, lifetimeValueCents: 2500 },
  ],
};

/** The orders and payments (as stored by their services) consistent with the scenario's final state. */
export function scenarioOrdersAndPayments(ids: ScenarioIds, events: AnalyticsEvent[]) {
  return ids.orders.map((orderId, i) => {
    const facts = events.filter((e) => e.orderId === orderId);
    const [first, last] = [facts[0], facts[facts.length - 1]];
    const placedAt = new Date(first.placedAt);
    const history = facts.filter((e) => e.fromStatus !== e.toStatus).map((e) => ({ from: e.fromStatus, to: e.toStatus, at: new Date(e.occurredAt), by: 'scenario' }));
    const refunded = last.refundedCents;
    const paymentStatus = last.toStatus === 'FAILED' ? 'FAILED' : refunded >= first.amountCents ? 'REFUNDED' : refunded ? 'PARTIALLY_REFUNDED' : 'SUCCEEDED';
    return {
      order: {
        _id: orderId, paymentId: ids.payments[i], customerId: first.customerId, status: last.toStatus, lines: first.lines, amountCents: first.amountCents, refundedCents: refunded,
        currency: first.currency, reservationId: `res_scenario${i}`, placedAt, statusHistory: history, outbox: [], outboxDone: [], outboxPending: 0, createdAt: placedAt, updatedAt: placedAt,
      },
      payment: {
        _id: ids.payments[i], customerId: first.customerId, idempotencyKey: `scenario-${i}`, status: paymentStatus, lines: first.lines,
        amountCents: first.amountCents, refundedCents: refunded, currency: first.currency, reservationId: `res_scenario${i}`, results: [], outbox: [], outboxDone: [], outboxPending: 0, refunds: [], createdAt: placedAt, updatedAt: placedAt,
      },
    };
  });
}
