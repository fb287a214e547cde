import { Schema } from 'mongoose';
import type { AddressSnapshot, LineSnapshot } from './queues';

/**
 * How a payment and its order store the snapshots they share (lib/queues/snapshots.ts holds the
 * zod form that travels on the payment-results queue): one stored shape, so an order's lines and
 * address are exactly the payment's.
 */
export const lineSnapshotStoredSchema = new Schema<LineSnapshot>(
  { productId: String, name: String, sku: String, unitPriceCents: Number, quantity: Number },
  { _id: false },
);

export const addressSnapshotStoredSchema = new Schema<AddressSnapshot>(
  { name: String, line1: String, line2: String, city: String, postalCode: String, region: String, country: String },
  { _id: false },
);
