import { QUEUES, analyticsEventSchema, inventoryCommandSchema, notificationSchema, refundRequestSchema, type PaymentResult } from '../lib/queues';
import { analyticsEventId, analyticsEntry, canceledFollowUps, followUpsFor, orderFromPaymentResult } from './events';
import { pendingEntries } from '../lib/outbox';

const result: PaymentResult = {
  paymentId: 'pay_1',
  customerId: 'cus_1',
  outcome: 'succeeded',
  lines: [{ productId: 'prod_1', name: 'Widget', sku: 'W-1', unitPriceCents: 250, quantity: 2 }],
  amountCents: 500,
  currency: 'EUR',
  refundedCents: 0,
  reservationId: 'res_1',
  shippingAddress: { line1: '1 Main St', city: 'Paris', postalCode: '75001', country: 'FR' },
  occurredAt: '2024-05-01T10:00:00.000Z',
  requestId: 'req-1',
};
const now = new Date('2024-05-01T10:00:01.000Z');

describe('payment result → order mapping', () => {
  it('snapshots lines, totals, currency, customer and address, and owes one paid event and the confirmation email', () => {
    const order = orderFromPaymentResult(result, 'ord_1', 'PAID', now);
    expect(order).toMatchObject({ _id: 'ord_1', paymentId: 'pay_1', customerId: 'cus_1', status: 'PAID', lines: result.lines, amountCents: 500, currency: 'EUR', reservationId: 'res_1', refundedCents: 0, shippingAddress: result.shippingAddress });
    expect(order.statusHistory).toEqual([{ from: null, to: 'PAID', at: now, by: 'system:payments', reason: 'payment succeeded' }]);
    expect(order.outbox.map((e) => e.id)).toEqual(['ord_1-paid', 'notify-ord_1-ORDER_PLACED']);
    expect(order.outboxPending).toBe(2);
    const event = analyticsEventSchema.parse(JSON.parse(order.outbox[0].payload));
    expect(event).toMatchObject({ eventId: 'ord_1-paid', kind: 'order.paid', orderId: 'ord_1', amountCents: 500, refundCents: 0, occurredAt: result.occurredAt });
  });

  it('records a failed attempt that keeps its hold (the customer may pay again), and releases it once the payment is canceled', () => {
    const order = orderFromPaymentResult({ ...result, outcome: 'failed', failureReason: 'card_declined' }, 'ord_2', 'FAILED', now);
    expect(order.failureReason).toBe('card_declined');
    expect(order.outbox.map((e) => [e.queue, e.id])).toEqual([
      [QUEUES.analytics, 'ord_2-failed'],
      [QUEUES.notifications, 'notify-ord_2-PAYMENT_FAILED'],
    ]);
    const [release] = canceledFollowUps(order, 'req-9');
    expect([release.queue, release.id]).toEqual([QUEUES.inventory, 'release-res_1']);
    expect(inventoryCommandSchema.parse(JSON.parse(release.payload))).toMatchObject({ command: 'release', reservationId: 'res_1' });
  });

  it("a payment canceled before any attempt records a FAILED attempt whose email says its items were released", () => {
    const emailOf = (order: ReturnType<typeof orderFromPaymentResult>) => notificationSchema.parse(JSON.parse(order.outbox.find((e) => e.queue === QUEUES.notifications)!.payload));
    expect(emailOf(orderFromPaymentResult({ ...result, outcome: 'canceled' }, 'ord_5', 'FAILED', now))).toMatchObject({ event: 'PAYMENT_FAILED', paymentCanceled: true });
    expect(emailOf(orderFromPaymentResult({ ...result, outcome: 'failed', failureReason: 'card_declined' }, 'ord_6', 'FAILED', now))).toMatchObject({ event: 'PAYMENT_FAILED', paymentCanceled: false });
  });

  it('refunds an oversold payment and reports it', () => {
    const order = orderFromPaymentResult(result, 'ord_3', 'OVERSOLD_REFUNDED', now);
    expect(order.outbox.map((e) => [e.queue, e.id])).toEqual([
      [QUEUES.refunds, 'refund-ord_3-oversold'],
      [QUEUES.analytics, 'ord_3-oversold'],
      [QUEUES.notifications, 'notify-ord_3-OVERSOLD_REFUNDED'],
    ]);
    expect(refundRequestSchema.parse(JSON.parse(order.outbox[0].payload))).toMatchObject({ paymentId: 'pay_1', orderId: 'ord_3', reason: 'oversold' });
  });

  it('canceling owes a refund request, a restock of the sold units and a canceled event', () => {
    const order = orderFromPaymentResult(result, 'ord_4', 'PAID', now);
    expect(followUpsFor(order, 'CANCELED', now, 'req-2').map((e) => e.id)).toEqual(['refund-ord_4-order_canceled', 'restock-res_1', 'ord_4-canceled', 'notify-ord_4-CANCELED']);
    expect(followUpsFor(order, 'REFUNDED', now, 'req-2')).toEqual([]);
  });

  it('every status move reports the order state before and after it to analytics, with when the order was placed', () => {
    const paid = { ...orderFromPaymentResult(result, 'ord_7', 'PAID', now), createdAt: now };
    expect(JSON.parse(paid.outbox[0].payload)).toMatchObject({ fromStatus: null, toStatus: 'PAID', refundedCents: 0, placedAt: result.occurredAt });
    const [shipped] = followUpsFor(paid, 'SHIPPED', '2024-05-03T08:00:00.000Z', 'req-3');
    expect(shipped).toMatchObject({ id: 'ord_7-status-SHIPPED', queue: QUEUES.analytics });
    expect(analyticsEventSchema.parse(JSON.parse(shipped.payload))).toMatchObject({ kind: 'order.status_changed', fromStatus: 'PAID', toStatus: 'SHIPPED', placedAt: result.occurredAt, occurredAt: '2024-05-03T08:00:00.000Z' });
    const failed = orderFromPaymentResult({ ...result, outcome: 'failed' }, 'ord_8', 'FAILED', now);
    expect(JSON.parse(followUpsFor(failed, 'PAID', '2024-05-02T00:00:00.000Z', 'r')[0].payload)).toMatchObject({ kind: 'order.paid', fromStatus: 'FAILED', toStatus: 'PAID', placedAt: result.occurredAt });
  });

  it('names refund events by their cumulative amount and carries the step', () => {
    expect(analyticsEventId('ord_5', 'order.refunded', 700)).toBe('ord_5-refunded-700');
    const order = orderFromPaymentResult(result, 'ord_5', 'PAID', now);
    const entry = analyticsEntry({ ...order, refundedCents: 500 }, 'order.refunded', now, 'r', { to: 'PARTIALLY_REFUNDED', refund: { stepCents: 200, cumulativeCents: 700 } });
    expect(JSON.parse(entry.payload)).toMatchObject({ eventId: 'ord_5-refunded-700', refundCents: 200, refundedCents: 700, fromStatus: 'PAID', toStatus: 'PARTIALLY_REFUNDED' });
  });

  it('lists only outbox entries not yet published', () => {
    const order = orderFromPaymentResult({ ...result, outcome: 'failed' }, 'ord_6', 'FAILED', now);
    expect(pendingEntries({ ...order, outboxDone: ['ord_6-failed'] }).map((e) => e.id)).toEqual(['notify-ord_6-PAYMENT_FAILED']);
  });
});
