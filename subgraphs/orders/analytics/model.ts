import { Schema, type Connection, type Model } from 'mongoose';
import type { AnalyticsKind } from '../../lib/queues';
import type { RollupKind, RollupTarget } from './plan';

/**
 * Analytics collections in the orders database. Rollup documents are keyed by {granularity, period
 * (UTC) the orders were placed in, currency} (with a per-product map inside) or {customerId,
 * currency}; `pending` holds the ids of events whose increments are in the document while their
 * marker is not yet done, or done an instant ago (a handful at most; see apply.ts). Indexes:
 * docs/analytics.md, "Indexes".
 */
export interface AppliedEventDoc {
  /** The event id: the unique index that makes "insert first" the idempotency gate. */
  _id: string;
  kind: AnalyticsKind;
  orderId: string;
  paymentId: string;
  customerId: string;
  currency: string;
  amountCents: number;
  refundCents: number;
  occurredAt: Date;
  /** The increments this event makes, stored before any is applied so a retry redoes exactly these. */
  targets: RollupTarget[];
  /** applying → done (every $inc is in; the event's id is then pulled from the rollups' `pending`). */
  state: 'applying' | 'done';
  /** The worker that may apply the event (a random token), and until when: a retry or the sweep takes over after. */
  claim: string;
  claimedUntil: Date;
  /** Deliveries after it was done: duplicates suppressed. */
  duplicates: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface PeriodRollupDoc {
  _id: string;
  granularity: 'DAY' | 'MONTH';
  period: string;
  currency: string;
  attempted?: number;
  succeeded?: number;
  failed?: number;
  canceled?: number;
  refunded?: number;
  oversold?: number;
  revenueCents?: number;
  refundsCents?: number;
  /** How many of the period's orders are in each status now (status → count): moved by ±1 as orders change status. */
  byStatus?: Record<string, number>;
  pending: string[];
}

/** Units and revenue per product sold in one period; same `_id` as the period's rollup. */
export interface PeriodProductsDoc {
  _id: string;
  granularity: 'DAY' | 'MONTH';
  period: string;
  currency: string;
  /** Keyed by productMapKey(productId). */
  products?: Record<string, { unitsSold?: number; revenueCents?: number }>;
  pending: string[];
}

export interface CustomerRollupDoc {
  _id: string;
  customerId: string;
  currency: string;
  orderCount?: number;
  lifetimeValueCents?: number;
  pending: string[];
}

const appliedEventSchema = new Schema<AppliedEventDoc>(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true },
    orderId: { type: String, required: true },
    paymentId: { type: String, required: true },
    customerId: { type: String, required: true },
    currency: { type: String, required: true },
    amountCents: { type: Number, required: true },
    refundCents: { type: Number, default: 0 },
    occurredAt: { type: Date, required: true },
    targets: { type: Schema.Types.Mixed, default: [] },
    state: { type: String, enum: ['applying', 'done'], required: true },
    claim: { type: String, required: true },
    claimedUntil: { type: Date, required: true },
    duplicates: { type: Number, default: 0 },
  },
  { timestamps: true, versionKey: false, collection: 'analytics_applied_events' },
);
appliedEventSchema.index({ state: 1, claimedUntil: 1 });
appliedEventSchema.index({ duplicates: 1, occurredAt: 1 });

const rollupFields = { _id: { type: String, required: true }, currency: { type: String, required: true }, pending: { type: [String], default: [] } };

const periodRollupSchema = new Schema<PeriodRollupDoc>(
  {
    ...rollupFields,
    granularity: String,
    period: String,
    attempted: Number,
    succeeded: Number,
    failed: Number,
    canceled: Number,
    refunded: Number,
    oversold: Number,
    revenueCents: Number,
    refundsCents: Number,
    byStatus: { type: Schema.Types.Mixed },
  },
  { versionKey: false, collection: 'analytics_period_rollups' },
);
periodRollupSchema.index({ granularity: 1, currency: 1, period: 1 });
periodRollupSchema.index({ pending: 1 });

const periodProductsSchema = new Schema<PeriodProductsDoc>(
  { ...rollupFields, granularity: String, period: String, products: { type: Schema.Types.Mixed } },
  { versionKey: false, collection: 'analytics_period_products' },
);
periodProductsSchema.index({ pending: 1 });

const customerRollupSchema = new Schema<CustomerRollupDoc>(
  { ...rollupFields, customerId: String, orderCount: Number, lifetimeValueCents: Number },
  { versionKey: false, collection: 'analytics_customer_rollups' },
);
customerRollupSchema.index({ currency: 1, lifetimeValueCents: -1, _id: 1 });
customerRollupSchema.index({ pending: 1 });

export interface AnalyticsModels {
  appliedEvents: Model<AppliedEventDoc>;
  periods: Model<PeriodRollupDoc>;
  periodProducts: Model<PeriodProductsDoc>;
  customers: Model<CustomerRollupDoc>;
}

export function analyticsModels(conn: Connection): AnalyticsModels {
  return {
    appliedEvents: (conn.models.AnalyticsAppliedEvent as Model<AppliedEventDoc>) ?? conn.model<AppliedEventDoc>('AnalyticsAppliedEvent', appliedEventSchema),
    periods: (conn.models.AnalyticsPeriodRollup as Model<PeriodRollupDoc>) ?? conn.model<PeriodRollupDoc>('AnalyticsPeriodRollup', periodRollupSchema),
    periodProducts: (conn.models.AnalyticsPeriodProducts as Model<PeriodProductsDoc>) ?? conn.model<PeriodProductsDoc>('AnalyticsPeriodProducts', periodProductsSchema),
    customers: (conn.models.AnalyticsCustomerRollup as Model<CustomerRollupDoc>) ?? conn.model<CustomerRollupDoc>('AnalyticsCustomerRollup', customerRollupSchema),
  };
}

export const allAnalyticsModels = (m: AnalyticsModels): Model<any>[] => [m.appliedEvents, m.periods, m.periodProducts, m.customers];

/** The collection a planned target lives in. */
export function rollupModel(m: AnalyticsModels, kind: RollupKind): Model<any> {
  return kind === 'period' ? m.periods : kind === 'periodProducts' ? m.periodProducts : m.customers;
}

/** Every rollup collection (the ones with `pending`). */
export const rollupModels = (m: AnalyticsModels): Model<any>[] => [m.periods, m.periodProducts, m.customers];
