import { NOTIFICATION_EVENTS, notificationSchema, type Notification } from '../../lib/queues';
import { emailView, formatMoney, trackingUrl } from './format';
import { renderEmail } from './render';

const shop = { shopName: 'Corner Shop', shopUrl: 'https://shop.example' };
const base: Notification = notificationSchema.parse({
  orderId: 'ord_6650a1b2c3d4e5f601234567',
  customerId: 'cus_6650a1b2c3d4e5f6aaaaaaaa',
  event: 'ORDER_PLACED',
  lines: [
    { productId: 'prod_6650a1b2c3d4e5f6bbbbbbbb', name: 'Desk <lamp> & "shade"', sku: 'LAMP-1', unitPriceCents: 4599, quantity: 2 },
    { productId: 'prod_6650a1b2c3d4e5f6cccccccc', name: 'LED bulb', unitPriceCents: 350, quantity: 4 },
  ],
  amountCents: 10598,
  currency: 'USD',
  shippingAddress: { name: 'Ada Lovelace', line1: '1 Harbour St', city: 'Arlington', region: 'VA', postalCode: '22201', country: 'US' },
  occurredAt: '2026-05-01T10:00:00.000Z',
  requestId: 'req-1',
});
const render = (n: Partial<Notification>) => {
  const full = { ...base, ...n };
  return renderEmail(full.event, emailView(full, shop, 'Ada'));
};

describe('customer emails', () => {
  it('formats amounts in the order currency with its own number of decimals', () => {
    expect(formatMoney(4599, 'USD')).toBe('$45.99');
    expect(formatMoney(4599, 'EUR')).toBe('€45.99');
    expect(formatMoney(4599, 'JPY')).toBe('¥4,599');
    expect(formatMoney(12345, 'KWD').replace(/\u00a0/g, ' ')).toBe('KWD 12.345');
  });

  it('an order confirmation has the shop, the order number, every line with quantity and price, the total, the address and a link', () => {
    const { subject, html, text } = render({});
    expect(subject).toBe('Order ord_6650a1b2c3d4e5f601234567 confirmed');
    for (const part of [html, text]) {
      expect(part).toContain('Corner Shop');
      expect(part).toContain('ord_6650a1b2c3d4e5f601234567');
      expect(part).toContain('$45.99');
      expect(part).toContain('$91.98');
      expect(part).toContain('$14.00');
      expect(part).toContain('$105.98');
      expect(part).toContain('1 Harbour St');
      expect(part).toContain('Arlington, VA 22201');
      expect(part).toContain('United States');
      expect(part).toContain('https://shop.example/orders/ord_6650a1b2c3d4e5f601234567');
    }
    expect(text).toContain('- 2 x Desk <lamp> & "shade" at $45.99 = $91.98');
    expect(text).toContain('- 4 x LED bulb at $3.50 = $14.00');
  });

  it('escapes what customers and admins typed in the HTML part', () => {
    const { html } = render({ shippingAddress: { ...base.shippingAddress!, line1: '<script>alert(1)</script>' } });
    expect(html).toContain('Desk &lt;lamp&gt; &amp; &quot;shade&quot;');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
  });

  it('shows no internal id but the order number: no customer, product, payment or reservation ids, no SKU', () => {
    const variants: Array<Partial<Notification>> = [
      { tracking: { carrier: 'UPS', trackingNumber: '1Z999AA10123456784' }, failureReason: 'card_declined', refundCents: 500, refundedCents: 500 },
      { failureReason: 'Your card was declined.', paymentCanceled: true },
    ];
    for (const event of NOTIFICATION_EVENTS) {
      for (const variant of variants) {
        const { subject, html, text } = render({ event, ...variant });
        for (const part of [subject, html, text]) {
          expect(part).not.toMatch(/cus_|prod_|pay_|res_|LAMP-1/);
          expect(part.length).toBeGreaterThan(10);
        }
      }
    }
  });

  it('a shipping email names the carrier and tracking number and links to the carrier', () => {
    const { subject, html, text } = render({ event: 'SHIPPED', tracking: { carrier: 'UPS', trackingNumber: '1Z999AA10123456784' } });
    expect(subject).toBe('Order ord_6650a1b2c3d4e5f601234567 has shipped');
    expect(text).toContain('Carrier: UPS');
    expect(text).toContain('Tracking number: 1Z999AA10123456784');
    expect(html).toContain('href="https://www.ups.com/track?tracknum&#x3D;1Z999AA10123456784"');
    expect(trackingUrl('Acme Freight', 'X1')).toBeNull();
  });

  it('a shipping email without tracking promises nothing we do not send: it points to the order page', () => {
    // A tracking number added later to a SHIPPED order sends no email (docs/notifications.md), so none is promised.
    const { text, html } = render({ event: 'SHIPPED' });
    expect(text).not.toMatch(/we will (send|email)/i);
    expect(text).toContain('The carrier has not given us a tracking number yet. Once it does, you will find it on your order page <https://shop.example/orders/ord_6650a1b2c3d4e5f601234567>.');
    expect(html).toContain('href="https://shop.example/orders/ord_6650a1b2c3d4e5f601234567">your order page</a>');
  });

  it('a delivery email says the order has arrived', () => {
    const { subject, text } = render({ event: 'DELIVERED' });
    expect(subject).toBe('Order ord_6650a1b2c3d4e5f601234567 has been delivered');
    expect(text).toContain('Order ord_6650a1b2c3d4e5f601234567 has been delivered.');
  });

  it('a full refund email states this refund and the whole amount refunded, in the order currency', () => {
    const { subject, text } = render({ event: 'REFUNDED', currency: 'EUR', refundCents: 9198, refundedCents: 10598 });
    expect(subject).toBe('Refund of €91.98 for order ord_6650a1b2c3d4e5f601234567');
    expect(text).toContain('We have refunded €91.98 for order ord_6650a1b2c3d4e5f601234567. In total €105.98 of €105.98 has now been refunded');
  });

  it('cancellation and refund emails state the amount refunded; a failed payment says what to do next', () => {
    expect(render({ event: 'CANCELED', refundCents: 10598 }).subject).toBe('Order ord_6650a1b2c3d4e5f601234567 canceled: $105.98 refunded');
    expect(render({ event: 'CANCELED', refundCents: 10598 }).text).toContain('We are refunding $105.98');
    expect(render({ event: 'PARTIALLY_REFUNDED', refundCents: 1400, refundedCents: 1400 }).text).toContain('We have refunded $14.00 for order ord_6650a1b2c3d4e5f601234567. So far $14.00 of $105.98');
    expect(render({ event: 'OVERSOLD_REFUNDED', refundCents: 10598 }).text).toMatch(/apologise[\s\S]*\$105\.98/);
    const failed = render({ event: 'PAYMENT_FAILED', failureReason: 'insufficient_funds' }).text;
    expect(failed).toContain('because the card has insufficient funds');
    expect(failed).toContain('What to do next');
  });

  it("a failed payment names Stripe's decline code in words, and words a provider's message into the sentence", () => {
    const sentence = (failureReason: string) => render({ event: 'PAYMENT_FAILED', failureReason }).text.split('\n').find((l) => l.startsWith('We could not take your payment'));
    expect(sentence('generic_decline')).toBe('We could not take your payment of $105.98 because your card was declined. You have not been charged.');
    expect(sentence('insufficient_funds')).toBe('We could not take your payment of $105.98 because the card has insufficient funds. You have not been charged.');
    expect(sentence('Your card was declined.')).toBe('We could not take your payment of $105.98 because your card was declined. You have not been charged.');
    expect(sentence('  Your card has expired!  ')).toBe('We could not take your payment of $105.98 because your card has expired. You have not been charged.');
    expect(sentence('CVC check failed.')).toBe('We could not take your payment of $105.98 because CVC check failed. You have not been charged.');
  });

  it('a failed payment never shows a decline code a customer should not see, nor one it cannot word', () => {
    const sentence = (failureReason: string) => render({ event: 'PAYMENT_FAILED', failureReason }).text.split('\n').find((l) => l.startsWith('We could not take your payment'));
    // Stripe: present lost, stolen and fraud declines as a generic decline.
    expect(sentence('stolen_card')).toBe('We could not take your payment of $105.98 because your card was declined. You have not been charged.');
    expect(sentence('fraudulent')).toBe('We could not take your payment of $105.98 because your card was declined. You have not been charged.');
    expect(sentence('some_future_code')).toBe('We could not take your payment of $105.98. You have not been charged.');
    expect(sentence('payment failed')).toBe('We could not take your payment of $105.98. You have not been charged.');
  });

  it('a failed attempt says its items are held; a canceled payment says they were released and to check out again', () => {
    const held = render({ event: 'PAYMENT_FAILED', failureReason: 'card_declined' }).text;
    expect(held).toContain('we are holding your items for a short while');
    expect(held).not.toContain('released');
    const released = render({ event: 'PAYMENT_FAILED', paymentCanceled: true }).text;
    expect(released).toContain('Your payment of $105.98 was canceled before it went through. You have not been charged.');
    expect(released).toContain('we have released the items we were holding for you');
    expect(released).toContain('check out again');
    expect(released).not.toMatch(/holding your items|pay again/i);
    // An old payload (before the field existed) still parses, as a failed attempt.
    const { paymentCanceled: _absent, ...old } = base;
    expect(notificationSchema.parse({ ...old, event: 'PAYMENT_FAILED' }).paymentCanceled).toBe(false);
  });
});
