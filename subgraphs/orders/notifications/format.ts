import type { MailConfig } from '../../lib/config';
import type { AddressSnapshot, Notification } from '../../lib/queues';
import { failureText } from './failure';

/**
 * What a template sees: display strings only, built from the job payload, the shop's settings
 * and the recipient's own name. Nothing else reaches a template, so an email cannot show another
 * customer's data, a secret, or an internal id other than the order number.
 */
export interface EmailView {
  shop: { name: string; url: string };
  customer: { name: string };
  order: {
    number: string;
    url: string;
    total: string;
    refunded: string;
    lines: Array<{ name: string; quantity: number; unitPrice: string; lineTotal: string }>;
    address: string[] | null;
  };
  /** The money this email announces going back (cancellation, refund, oversold). */
  refund: string;
  tracking: { carrier: string; number: string; url: string | null } | null;
  /** PAYMENT_FAILED: why, in words (null when there is nothing worth saying). */
  failure: string | null;
  /** PAYMENT_FAILED: the payment was canceled for good and its held items released. */
  paymentCanceled: boolean;
}

/** The locale of amounts and texts; the currency is always the order's own. */
export const EMAIL_LOCALE = 'en-US';

/** Minor units → the currency's display, with as many decimals as the currency has (JPY 0, USD 2, KWD 3). */
export function formatMoney(cents: number, currency: string): string {
  const format = new Intl.NumberFormat(EMAIL_LOCALE, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(cents / 10 ** digits);
}

export function addressLines(a: AddressSnapshot | undefined): string[] | null {
  if (!a) return null;
  const cityLine = `${a.city}${a.region ? `, ${a.region}` : ''} ${a.postalCode}`;
  return [a.name, a.line1, a.line2, cityLine, regionName(a.country)].filter((l): l is string => !!l && l.trim().length > 0);
}

function regionName(code: string): string {
  try {
    return new Intl.DisplayNames([EMAIL_LOCALE], { type: 'region' }).of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** Carriers whose public tracking page takes the number in the URL; others get no link (the number is still shown). */
const TRACKING_PAGES: Record<string, (n: string) => string> = {
  ups: (n) => `https://www.ups.com/track?tracknum=${n}`,
  usps: (n) => `https://tools.usps.com/go/TrackConfirmAction?tLabels=${n}`,
  fedex: (n) => `https://www.fedex.com/fedextrack/?trknbr=${n}`,
  dhl: (n) => `https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id=${n}`,
  'royal mail': (n) => `https://www.royalmail.com/track-your-item#/tracking-results/${n}`,
};

export function trackingUrl(carrier: string, trackingNumber: string): string | null {
  const page = TRACKING_PAGES[carrier.trim().toLowerCase()];
  return page ? page(encodeURIComponent(trackingNumber.replace(/\s+/g, ''))) : null;
}

export function emailView(n: Notification, shop: Pick<MailConfig, 'shopName' | 'shopUrl'>, customerName: string): EmailView {
  const money = (cents: number) => formatMoney(cents, n.currency);
  return {
    shop: { name: shop.shopName, url: shop.shopUrl },
    customer: { name: customerName },
    order: {
      number: n.orderId,
      url: `${shop.shopUrl}/orders/${encodeURIComponent(n.orderId)}`,
      total: money(n.amountCents),
      refunded: money(n.refundedCents),
      lines: n.lines.map((l) => ({ name: l.name, quantity: l.quantity, unitPrice: money(l.unitPriceCents), lineTotal: money(l.unitPriceCents * l.quantity) })),
      address: addressLines(n.shippingAddress),
    },
    refund: money(n.refundCents),
    tracking: n.tracking ? { carrier: n.tracking.carrier, number: n.tracking.trackingNumber, url: trackingUrl(n.tracking.carrier, n.tracking.trackingNumber) } : null,
    // A cancellation's reason is Stripe's (abandoned, duplicate, fraudulent…): not one to show a customer.
    failure: n.paymentCanceled ? null : failureText(n.failureReason),
    paymentCanceled: n.paymentCanceled,
  };
}
