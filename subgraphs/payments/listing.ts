import type { Model } from 'mongoose';
import { z } from 'zod';
import { PAYMENT_STATUSES, type PaymentDoc } from './model';

const isoDate = z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s));

export const pageSchema = z.object({
  first: z.number().int().min(1).max(100).default(20),
  /** The endCursor of the previous page (a payment id: ids are time-ordered). */
  after: z.string().min(1).max(64).optional(),
});

export const paymentFilterSchema = z
  .object({
    status: z.enum(PAYMENT_STATUSES).optional(),
    customerId: z.string().min(1).max(64).optional(),
    needsReview: z.boolean().optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'from must not be after to', path: ['from'] });

export type PaymentFilter = z.infer<typeof paymentFilterSchema>;
export type Page = z.infer<typeof pageSchema>;

export interface PaymentPage {
  nodes: PaymentDoc[];
  totalCount: number;
  endCursor: string | null;
  hasNextPage: boolean;
}

/**
 * Newest first, by id (ids are time-ordered); totalCount counts every page of the filter. The
 * sort is on `_id`, so the indexes are {customerId, _id}, {status, _id} and {needsReview, _id} (docs/payments.md).
 */
export async function listPayments(payments: Model<PaymentDoc>, filter: PaymentFilter, page: Page): Promise<PaymentPage> {
  const where: Record<string, unknown> = {};
  if (filter.status) where.status = filter.status;
  if (filter.customerId) where.customerId = filter.customerId;
  if (filter.needsReview !== undefined) where.needsReview = filter.needsReview;
  if (filter.from || filter.to) where.createdAt = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lte: filter.to } : {}) };
  const pageWhere = page.after ? { ...where, _id: { $lt: page.after } } : where;
  const [docs, totalCount] = await Promise.all([
    payments.find(pageWhere).sort({ _id: -1 }).limit(page.first + 1).lean<PaymentDoc[]>(),
    payments.countDocuments(where),
  ]);
  const nodes = docs.slice(0, page.first);
  return { nodes, totalCount, endCursor: nodes.at(-1)?._id ?? null, hasNextPage: docs.length > page.first };
}
