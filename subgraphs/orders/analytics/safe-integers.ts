import { mongo } from 'mongoose';

/**
 * Rollup figures are stored as BSON numbers: a `$inc` past 2^31 makes the server widen the field
 * (int32 → int64 or double), and a double is exact up to 2^53. So every figure read from a rollup
 * is checked here: a value JavaScript cannot hold exactly is refused (thrown), never rounded and
 * reported. Money is integer minor units, so at 2^53 − 1 (90 trillion in cents) this is a
 * corruption alarm, not a limit anyone meets.
 */
export class UnsafeFigureError extends RangeError {
  constructor(what: string, value: unknown) {
    super(`analytics figure ${what} is not an exact whole number (${String(value)}): refusing to report it`);
  }
}

/** A stored or aggregated figure as a safe JavaScript integer: numbers, int64 (Long) and bigint accepted; missing is 0. */
export function safeInteger(value: unknown, what: string): number {
  if (value === undefined || value === null) return 0;
  const n = value instanceof mongo.Long ? toNumberIfSafe(value.toBigInt()) : typeof value === 'bigint' ? toNumberIfSafe(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new UnsafeFigureError(what, value);
  return n;
}

function toNumberIfSafe(b: bigint): number | bigint {
  return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b;
}

/** a + b, refused if the sum leaves the safe integer range (sums of figures are done in JavaScript too). */
export function addSafely(a: number, b: number, what: string): number {
  const sum = a + b;
  if (!Number.isSafeInteger(sum)) throw new UnsafeFigureError(what, `${a} + ${b}`);
  return sum;
}
