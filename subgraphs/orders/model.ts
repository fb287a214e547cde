import { Schema, type Connection, type Model } from 'mongoose';
import type { AddressSnapshot, LineSnapshot } from '../lib/queues';

export const ORDER_STATUSES = ['PAID', 'PROCESSING', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'FAILED', 'OVERSOLD_REFUNDED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface StatusChange {
  from: OrderStatus | null;
  to: OrderStatus;
  at: Date;
  by: string;
  reason?: string;
}

export interface OrderDoc {
  _id: string;
  /** Unique: one order (or failed attempt) per payment, whatever is redelivered. */
  paymentId: string;
  customerId: string;
  status: OrderStatus;
  items: LineSnapshot[];
  totalCents: number;
  refundedCents: number;
  currency: string;
  reservationId: string;
  shippingAddress?: AddressSnapshot;
  statusHistory: StatusChange[];
  createdAt: Date;
  updatedAt: Date;
}

const lineSchema = new Schema<LineSnapshot>(
  { productId: String, name: String, sku: String, unitPriceCents: Number, quantity: Number },
  { _id: false },
);

const orderSchema = new Schema<OrderDoc>(
  {
    _id: { type: String, required: true },
    paymentId: { type: String, required: true },
    customerId: { type: String, required: true },
    status: { type: String, enum: ORDER_STATUSES, required: true },
    items: { type: [lineSchema], required: true },
    totalCents: { type: Number, required: true },
    refundedCents: { type: Number, default: 0 },
    currency: { type: String, required: true },
    reservationId: { type: String, required: true },
    shippingAddress: { type: Schema.Types.Mixed },
    statusHistory: {
      type: [new Schema<StatusChange>({ from: String, to: String, at: Date, by: String, reason: String }, { _id: false })],
      default: [],
    },
  },
  { timestamps: true, versionKey: false },
);
orderSchema.index({ paymentId: 1 }, { unique: true });
orderSchema.index({ customerId: 1, createdAt: -1 });
orderSchema.index({ status: 1, createdAt: -1 });
orderSchema.index({ createdAt: -1 });

export function orderModel(conn: Connection): Model<OrderDoc> {
  return conn.models.Order ?? conn.model<OrderDoc>('Order', orderSchema);
}
