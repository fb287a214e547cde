import { Schema, type Connection, type Model } from 'mongoose';
import { outboxIndex, outboxSchemaFields, type OutboxEntry } from '../lib/outbox';
export type { OutboxEntry };
import type { AddressSnapshot, LineSnapshot } from '../lib/queues';
import { addressSnapshotStoredSchema, lineSnapshotStoredSchema } from '../lib/snapshot-schemas';

export const ORDER_STATUSES = ['PAID', 'PROCESSING', 'SHIPPED', 'DELIVERED', 'CANCELED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'FAILED', 'OVERSOLD_REFUNDED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface StatusChange {
  from: OrderStatus | null;
  to: OrderStatus;
  at: Date;
  by: string;
  reason?: string;
}

export interface Tracking {
  carrier: string;
  trackingNumber: string;
  updatedAt: Date;
}

export interface OrderDoc {
  /** The order's own id, `newId('order')`; a payment's order is found by `paymentId`. */
  _id: string;
  /** Unique: one order (or failed attempt) per payment, whatever is redelivered. */
  paymentId: string;
  customerId: string;
  status: OrderStatus;
  lines: LineSnapshot[];
  amountCents: number;
  refundedCents: number;
  currency: string;
  reservationId: string;
  shippingAddress?: AddressSnapshot;
  /** When the payment outcome that made this order happened (analytics buckets by it, in UTC). */
  placedAt?: Date;
  statusHistory: StatusChange[];
  tracking?: Tracking;
  /** Why a payment attempt failed (FAILED), from the payment provider. */
  failureReason?: string;
  /** Messages this order owes other domains (lib/outbox.ts): written with the change that causes them. */
  outbox: OutboxEntry[];
  outboxDone: string[];
  outboxPending: number;
  createdAt: Date;
  updatedAt: Date;
}

const orderSchema = new Schema<OrderDoc>(
  {
    _id: { type: String, required: true },
    paymentId: { type: String, required: true },
    customerId: { type: String, required: true },
    status: { type: String, enum: ORDER_STATUSES, required: true },
    lines: { type: [lineSnapshotStoredSchema], required: true },
    amountCents: { type: Number, required: true },
    refundedCents: { type: Number, default: 0 },
    currency: { type: String, required: true },
    reservationId: { type: String, required: true },
    shippingAddress: { type: addressSnapshotStoredSchema },
    placedAt: { type: Date },
    statusHistory: {
      type: [new Schema<StatusChange>({ from: String, to: String, at: Date, by: String, reason: String }, { _id: false })],
      default: [],
    },
    tracking: { type: new Schema<Tracking>({ carrier: String, trackingNumber: String, updatedAt: Date }, { _id: false }), required: false },
    failureReason: String,
    ...outboxSchemaFields,
  },
  { timestamps: true, versionKey: false },
);
// Every index serves a named query; docs/orders.md "## Indexes" lists them with the query each serves.
/** The order's real key: one order (or failed attempt) per payment; a racing second insert is refused here. */
orderSchema.index({ paymentId: 1 }, { unique: true });
/** A customer's history (myOrders, Customer.orders) and the admin list filtered by customer, newest first. */
orderSchema.index({ customerId: 1, createdAt: -1, _id: -1 });
/** Admin list filtered by status, by creation time (either direction) or sorted by status. */
orderSchema.index({ status: 1, createdAt: 1, _id: 1 });
/** Admin list filtered by status, sorted by amount. */
orderSchema.index({ status: 1, amountCents: 1, _id: 1 });
/** Admin list unfiltered or by date range, by creation time; analytics reconciliation's first order and createdAt window. */
orderSchema.index({ createdAt: 1, _id: 1 });
/** Admin list by amount range, or sorted by amount. */
orderSchema.index({ amountCents: 1, _id: 1 });
/** Analytics reconciliation's window on the payment outcome time. */
orderSchema.index({ placedAt: 1 });
/** The outbox relay: orders with unpublished messages, oldest change first. */
outboxIndex(orderSchema);

export function orderModel(conn: Connection): Model<OrderDoc> {
  return conn.models.Order ?? conn.model<OrderDoc>('Order', orderSchema);
}
