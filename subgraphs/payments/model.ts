import { Schema, type Connection, type Model } from 'mongoose';
import type { LineSnapshot } from '../lib/queues';

export const PAYMENT_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface PaymentDoc {
  _id: string;
  customerId: string;
  status: PaymentStatus;
  lines: LineSnapshot[];
  amountCents: number;
  refundedCents: number;
  currency: string;
  reservationId: string;
  intentId?: string;
  createdAt: Date;
  updatedAt: Date;
}

const paymentSchema = new Schema<PaymentDoc>(
  {
    _id: { type: String, required: true },
    customerId: { type: String, required: true },
    status: { type: String, enum: PAYMENT_STATUSES, default: 'PENDING' },
    lines: {
      type: [new Schema<LineSnapshot>({ productId: String, name: String, sku: String, unitPriceCents: Number, quantity: Number }, { _id: false })],
      required: true,
    },
    amountCents: { type: Number, required: true },
    refundedCents: { type: Number, default: 0 },
    currency: { type: String, required: true },
    reservationId: { type: String, required: true },
    intentId: { type: String },
  },
  { timestamps: true, versionKey: false },
);
paymentSchema.index({ customerId: 1, createdAt: -1 });

export function paymentModel(conn: Connection): Model<PaymentDoc> {
  return conn.models.Payment ?? conn.model<PaymentDoc>('Payment', paymentSchema);
}
