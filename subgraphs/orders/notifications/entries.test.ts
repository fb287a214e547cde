import { notificationJobId, notificationSchema } from '../../lib/queues';
import { notificationRecordId } from './model';
import { refundNotifications, statusNotifications, type NotifiedOrder } from './entries';

const order: NotifiedOrder = {
  _id: 'ord_1',
  customerId: 'cus_1',
  lines: [{ productId: 'prod_1', name: 'Widget', sku: 'W-1', unitPriceCents: 250, quantity: 2 }],
  amountCents: 500,
  currency: 'EUR',
  refundedCents: 0,
  shippingAddress: { line1: '1 Main St', city: 'Paris', postalCode: '75001', country: 'FR' },
  tracking: { carrier: 'DHL', trackingNumber: 'JD0146', updatedAt: new Date() },
  failureReason: 'card_declined',
};
const payload = (entries: ReturnType<typeof statusNotifications>) => notificationSchema.parse(JSON.parse(entries[0].payload));

describe('the emails an order owes', () => {
  it('one per status a customer cares about; none for PROCESSING', () => {
    expect(statusNotifications(order, 'PAID', new Date(), 'r').map((e) => e.id)).toEqual(['notify-ord_1-ORDER_PLACED']);
    expect(statusNotifications(order, 'DELIVERED', new Date(), 'r').map((e) => e.id)).toEqual(['notify-ord_1-DELIVERED']);
    expect(statusNotifications(order, 'PROCESSING', new Date(), 'r')).toEqual([]);
  });

  it('a shipping email carries the tracking; only a payment failure carries the failure reason', () => {
    expect(payload(statusNotifications(order, 'SHIPPED', new Date(), 'r'))).toMatchObject({ event: 'SHIPPED', tracking: { carrier: 'DHL', trackingNumber: 'JD0146' } });
    expect(payload(statusNotifications(order, 'SHIPPED', new Date(), 'r')).failureReason).toBeUndefined();
    expect(payload(statusNotifications(order, 'FAILED', new Date(), 'r')).failureReason).toBe('card_declined');
  });

  it('a payment failure says whether the payment was canceled for good (its items released) or may still be paid', () => {
    expect(payload(statusNotifications(order, 'FAILED', new Date(), 'r')).paymentCanceled).toBe(false);
    expect(payload(statusNotifications(order, 'FAILED', new Date(), 'r', { paymentCanceled: true })).paymentCanceled).toBe(true);
    // Only a payment failure carries it.
    expect(payload(statusNotifications(order, 'PAID', new Date(), 'r', { paymentCanceled: true })).paymentCanceled).toBe(false);
  });

  it('a cancellation announces what is still to be refunded, an oversold order its whole total', () => {
    expect(payload(statusNotifications({ ...order, refundedCents: 100 }, 'CANCELED', new Date(), 'r'))).toMatchObject({ refundCents: 400, refundedCents: 100 });
    expect(payload(statusNotifications(order, 'OVERSOLD_REFUNDED', new Date(), 'r'))).toMatchObject({ refundCents: 500 });
  });

  it('each partial refund is its own email (named by the cumulative amount); refunds completing a cancellation send none', () => {
    const first = refundNotifications(order, 'PARTIALLY_REFUNDED', { stepCents: 100, cumulativeCents: 100 }, new Date(), 'r');
    const second = refundNotifications(order, 'PARTIALLY_REFUNDED', { stepCents: 150, cumulativeCents: 250 }, new Date(), 'r');
    expect([first[0].id, second[0].id]).toEqual(['notify-ord_1-PARTIALLY_REFUNDED-100', 'notify-ord_1-PARTIALLY_REFUNDED-250']);
    expect(payload(second)).toMatchObject({ refundCents: 150, refundedCents: 250 });
    expect(notificationRecordId(payload(second))).toBe('ord_1:PARTIALLY_REFUNDED-250');
    expect(refundNotifications(order, 'REFUNDED', { stepCents: 500, cumulativeCents: 500 }, new Date(), 'r')[0].id).toBe('notify-ord_1-REFUNDED');
    expect(refundNotifications(order, null, { stepCents: 500, cumulativeCents: 500 }, new Date(), 'r')).toEqual([]);
  });

  it('a resend is a new job of the same record', () => {
    const n = payload(statusNotifications(order, 'PAID', new Date(), 'r'));
    expect(notificationJobId({ ...n, resend: 2 })).toBe('notify-ord_1-ORDER_PLACED-resend-2');
    expect(notificationRecordId({ ...n, resend: 2 } as typeof n)).toBe('ord_1:ORDER_PLACED');
  });
});
