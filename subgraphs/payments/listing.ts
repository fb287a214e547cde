import type { FilterQuery, Model } from 'mongoose';
import { z } from 'zod';
import { idKey, paginate, type Connection, type PageRequest, type SortKey } from '../lib/pagination';
import { PAYMENT_STATUSES, type PaymentDoc } from './model';

const isoDate = z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s));

export const paymentFilterSchema = z
  .object({
    status: z.enum(PAYMENT_STATUSES).nullish(),
    customerId: z.string().min(1).max(64).nullish(),
    needsReview: z.boolean().nullish(),
    from: isoDate.nullish(),
    to: isoDate.nullish(),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'from must not be after to', path: ['from'] });

export type PaymentFilter = z.infer<typeof paymentFilterSchema>;

/** Newest first, by id alone: payment ids are time-ordered and unique, so the id is the whole position. */
export const NEWEST_FIRST: SortKey[] = [idKey(-1)];

export function paymentFilter(filter: PaymentFilter): FilterQuery<PaymentDoc> {
  const where: FilterQuery<PaymentDoc> = {};
  if (filter.status) where.status = filter.status;
  if (filter.customerId) where.customerId = filter.customerId;
  if (filter.needsReview != null) where.needsReview = filter.needsReview;
  if (filter.from || filter.to) where.createdAt = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lte: filter.to } : {}) };
  return where;
}

/**
 * `myPayments` and `payments`. The sort is on `_id`, so the indexes {customerId, _id},
 * {status, _id} and {needsReview, _id} serve the filter, the sort and the cursor range (docs/payments.md).
 */
export function listPayments(payments: Model<PaymentDoc>, filter: PaymentFilter, page: PageRequest): Promise<Connection<PaymentDoc>> {
  return paginate(payments, paymentFilter(filter), NEWEST_FIRST, page);
}
