import { Schema, type Connection, type Model } from 'mongoose';
import { outboxIndex, outboxSchemaFields, type OutboxEntry } from '../lib/outbox';
import type { AddressSnapshot, LineSnapshot, PaymentOutcome } from '../lib/queues';
import { addressSnapshotStoredSchema, lineSnapshotStoredSchema } from '../lib/snapshot-schemas';

export const PAYMENT_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** One outcome the payment reached, kept forever (history); `jobId` is its deterministic queue job id. */
export interface ResultRecord {
  jobId: string;
  outcome: PaymentOutcome;
  /** Cumulative refunded amount for `refunded`; 0 otherwise. */
  refundedCents: number;
  occurredAt: Date;
  failureReason?: string;
  requestId: string;
}

/** A refund we asked Stripe for; `key` makes each refund request apply once. */
export interface RefundRecord {
  key: string;
  amountCents: number;
  stripeRefundId?: string;
  reason: string;
  at: Date;
}

/** A Stripe event that named this payment but disagreed with it (intent, amount or currency); it changed nothing. */
export interface ReviewFlag {
  eventId: string;
  type: string;
  reason: string;
  at: Date;
}

export interface PaymentDoc {
  _id: string;
  customerId: string;
  /**
   * Unique per customer: a retried checkout with the same key finds this payment. Always set (a
   * random `auto-…` key when the client sends none), because the unique index covers every payment:
   * partial unique indexes are not something the code may rely on.
   */
  idempotencyKey: string;
  status: PaymentStatus;
  lines: LineSnapshot[];
  amountCents: number;
  refundedCents: number;
  currency: string;
  reservationId: string;
  shippingAddress?: AddressSnapshot;
  intentId?: string;
  failureReason?: string;
  /** Every outcome reached, in order. */
  results: ResultRecord[];
  /** Messages owed to orders (lib/outbox.ts): one payment result per outcome, written with the outcome. */
  outbox: OutboxEntry[];
  outboxDone: string[];
  outboxPending: number;
  refunds: RefundRecord[];
  /** Events to look at before trusting this payment; set together with needsReview. */
  reviewFlags: ReviewFlag[];
  /** True once any event was flagged: the admin filter `needsReview` reads it. */
  needsReview: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const resultSchema = new Schema<ResultRecord>(
  { jobId: String, outcome: String, refundedCents: Number, occurredAt: Date, failureReason: String, requestId: String },
  { _id: false },
);
const refundSchema = new Schema<RefundRecord>({ key: String, amountCents: Number, stripeRefundId: String, reason: String, at: Date }, { _id: false });
const reviewFlagSchema = new Schema<ReviewFlag>({ eventId: String, type: String, reason: String, at: Date }, { _id: false });

const paymentSchema = new Schema<PaymentDoc>(
  {
    _id: { type: String, required: true },
    customerId: { type: String, required: true },
    idempotencyKey: {
      type: String,
      required: true,
      default: function (this: PaymentDoc) {
        return `auto-${this._id}`;
      },
    },
    status: { type: String, enum: PAYMENT_STATUSES, default: 'PENDING' },
    lines: { type: [lineSnapshotStoredSchema], required: true },
    amountCents: { type: Number, required: true },
    refundedCents: { type: Number, default: 0 },
    currency: { type: String, required: true },
    reservationId: { type: String, required: true },
    shippingAddress: { type: addressSnapshotStoredSchema },
    intentId: { type: String },
    failureReason: { type: String },
    results: { type: [resultSchema], default: [] },
    ...outboxSchemaFields,
    refunds: { type: [refundSchema], default: [] },
    reviewFlags: { type: [reviewFlagSchema], default: [] },
    needsReview: { type: Boolean, default: false },
  },
  { timestamps: true, versionKey: false },
);
// Every index and the query it serves: docs/payments.md "## Indexes".
paymentSchema.index({ customerId: 1, idempotencyKey: 1 }, { unique: true });
paymentSchema.index({ intentId: 1 });
paymentSchema.index({ customerId: 1, _id: -1 });
paymentSchema.index({ status: 1, _id: -1 });
paymentSchema.index({ needsReview: 1, _id: -1 });
paymentSchema.index({ createdAt: -1 });
/** The outbox relay's query. */
outboxIndex(paymentSchema);

export function paymentModel(conn: Connection): Model<PaymentDoc> {
  return conn.models.Payment ?? conn.model<PaymentDoc>('Payment', paymentSchema);
}

/** Stripe events already handled: `_id` is the Stripe event id, so a redelivery is recognised. */
export interface StripeEventDoc {
  _id: string;
  type: string;
  paymentId?: string;
  outcome: string;
  receivedAt: Date;
}

const stripeEventSchema = new Schema<StripeEventDoc>(
  { _id: { type: String, required: true }, type: { type: String, required: true }, paymentId: String, outcome: String, receivedAt: { type: Date, required: true } },
  { versionKey: false },
);
/**
 * Stripe stops redelivering an event after 3 days; 30 days of ids is ample. MongoDB deletes older
 * ones (the local server keeps them): nothing depends on the deletion, because an event seen again
 * after its id is gone is recognised by the payment state machine and changes nothing.
 */
export const STRIPE_EVENT_RETENTION_SECONDS = 30 * 24 * 3600;
stripeEventSchema.index({ receivedAt: 1 }, { expireAfterSeconds: STRIPE_EVENT_RETENTION_SECONDS });

export function stripeEventModel(conn: Connection): Model<StripeEventDoc> {
  return conn.models.StripeEvent ?? conn.model<StripeEventDoc>('StripeEvent', stripeEventSchema, 'stripe_events');
}

export interface CartLineDoc {
  productId: string;
  quantity: number;
}

/** One cart per customer; `version` makes every change a compare-and-set on the line list. */
export interface CartDoc {
  _id: string;
  customerId: string;
  lines: CartLineDoc[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const cartSchema = new Schema<CartDoc>(
  {
    _id: { type: String, required: true },
    customerId: { type: String, required: true },
    lines: { type: [new Schema<CartLineDoc>({ productId: String, quantity: Number }, { _id: false })], default: [] },
    version: { type: Number, default: 0 },
  },
  { timestamps: true, versionKey: false },
);
cartSchema.index({ customerId: 1 }, { unique: true });

export function cartModel(conn: Connection): Model<CartDoc> {
  return conn.models.Cart ?? conn.model<CartDoc>('Cart', cartSchema);
}

export interface PaymentsModels {
  payments: Model<PaymentDoc>;
  events: Model<StripeEventDoc>;
  carts: Model<CartDoc>;
}

export function paymentsModels(conn: Connection): PaymentsModels {
  return { payments: paymentModel(conn), events: stripeEventModel(conn), carts: cartModel(conn) };
}
