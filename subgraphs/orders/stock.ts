import { InternalCallError, type InternalCall } from '../lib/internal-client';

/**
 * Committing a stock reservation is a synchronous call to the products subgraph's internal
 * `commitReservation` (not an inventory queue command) because the orders worker must know the
 * answer before it decides what the order is: committed → PAID; CONFLICT with reason
 * INSUFFICIENT_STOCK (the hold expired and the stock is gone) → OVERSOLD_REFUNDED. The call is idempotent on the reservation id, so a
 * retried job commits once. Any other failure is thrown and the job retries with backoff.
 */
export type StockOutcome = 'COMMITTED' | 'OVERSOLD';

export const COMMIT_RESERVATION = `mutation CommitReservation($reservationId: ID!) {
  commitReservation(reservationId: $reservationId) { id status }
}`;

export async function commitStock(call: InternalCall, reservationId: string): Promise<StockOutcome> {
  try {
    await call<{ commitReservation: { id: string; status: string } }>(COMMIT_RESERVATION, { reservationId });
    return 'COMMITTED';
  } catch (err) {
    if (isStockGone(err)) return 'OVERSOLD';
    // Other CONFLICTs (reservation still being placed, contended) and faults settle with time: retry.
    throw err;
  }
}

export function isStockGone(err: unknown): boolean {
  return err instanceof InternalCallError && err.code === 'CONFLICT' && err.details.reason === 'INSUFFICIENT_STOCK';
}
