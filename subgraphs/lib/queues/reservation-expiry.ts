import { z } from 'zod';
import { defineQueue } from './define';
import { requestIdSchema } from './snapshots';

export const reservationExpirySchema = z.object({ reservationId: z.string().min(1), requestId: requestIdSchema });

/** products → products: a delayed job that gives an unpaid hold back when it expires. */
export const reservationExpiryQueue = defineQueue({
  name: 'reservation-expiry',
  jobName: 'expire-reservation',
  schema: reservationExpirySchema,
  jobId: (p) => `expire-${p.reservationId}`,
  money: false,
  description: 'products: give back holds whose checkout was never paid (delayed jobs)',
});
