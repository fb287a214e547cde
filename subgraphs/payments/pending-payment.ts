import type { AddressSnapshot, LineSnapshot } from '../lib/queues';
import type { PaymentDoc } from './model';

/** What a set of lines costs at the prices they carry, in minor units. */
export function linesTotalCents(lines: readonly LineSnapshot[]): number {
  const total = lines.reduce((sum, l) => sum + l.unitPriceCents * l.quantity, 0);
  // Cart limits keep real totals far below this; past it integer cents would stop being exact.
  if (!Number.isSafeInteger(total)) throw new RangeError(`a payment total of ${total} cents is not a safe integer`);
  return total;
}

export interface PendingPaymentInput {
  paymentId: string;
  customerId: string;
  idempotencyKey: string;
  /** Priced by the catalog when the stock was reserved; the client never sends a price. */
  lines: LineSnapshot[];
  currency: string;
  reservationId: string;
  shippingAddress?: AddressSnapshot;
  intentId?: string;
}

/**
 * The document a checkout starts its payment with: PENDING, its total the sum of its lines, the
 * currency upper-case as every stored currency is. Checkout and the seeded history
 * (scripts/history/replay.ts) both create payments from it, so the history's payments are shaped
 * exactly as real ones.
 */
export function pendingPayment(p: PendingPaymentInput): Pick<PaymentDoc, '_id' | 'customerId' | 'idempotencyKey' | 'status' | 'lines' | 'amountCents' | 'currency' | 'reservationId' | 'shippingAddress' | 'intentId'> {
  return {
    _id: p.paymentId,
    customerId: p.customerId,
    idempotencyKey: p.idempotencyKey,
    status: 'PENDING',
    lines: p.lines,
    amountCents: linesTotalCents(p.lines),
    currency: p.currency.toUpperCase(),
    reservationId: p.reservationId,
    ...(p.shippingAddress ? { shippingAddress: p.shippingAddress } : {}),
    ...(p.intentId ? { intentId: p.intentId } : {}),
  };
}
