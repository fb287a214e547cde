import { z } from 'zod';

/** ISO 4217 codes this runtime knows; money is always integer minor units plus one of these. */
const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export const currencySchema = z
  .string()
  .transform((c) => c.toUpperCase())
  .refine((c) => KNOWN_CURRENCIES.has(c), { message: 'must be an ISO 4217 currency code' });

/** A non-negative whole number of minor units (cents); never a float. */
export const centsSchema = z.number().int('must be a whole number of minor units').nonnegative().max(Number.MAX_SAFE_INTEGER);
