import { z } from 'zod';
import { centsSchema } from '../money';

/** Payload pieces several queues share: what was bought, where it ships, and when. */
export const isoDateTime = z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' });
export const requestIdSchema = z.string().min(1).max(200);

export const lineSnapshotSchema = z.object({
  productId: z.string().min(1),
  name: z.string().min(1),
  sku: z.string().min(1).optional(),
  unitPriceCents: centsSchema,
  quantity: z.number().int().positive(),
});
export type LineSnapshot = z.infer<typeof lineSnapshotSchema>;

export const addressSnapshotSchema = z.object({
  name: z.string().optional(),
  line1: z.string(),
  line2: z.string().optional(),
  city: z.string(),
  postalCode: z.string(),
  region: z.string().optional(),
  country: z.string(),
});
export type AddressSnapshot = z.infer<typeof addressSnapshotSchema>;
