import type { FilterQuery, Model, SortOrder } from 'mongoose';
import { z } from 'zod';
import { centsSchema } from '../lib/money';
import { ORDER_STATUSES, type OrderDoc, type OrderStatus } from './model';

/** Order listings: argument schemas, and pure builders for the Mongo filter, sort and page info. */
export const MAX_PAGE_SIZE = 100;

export const pageArgsSchema = z.object({
  page: z.number().int().min(1).default(1),
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
});
export type PageArgs = z.infer<typeof pageArgsSchema>;

const isoDate = z.string().datetime({ offset: true }).transform((s) => new Date(s));

export const adminFilterSchema = z
  .object({
    status: z.enum(ORDER_STATUSES).nullish(),
    customerId: z.string().min(1).nullish(),
    minAmountCents: centsSchema.nullish(),
    maxAmountCents: centsSchema.nullish(),
    from: isoDate.nullish(),
    to: isoDate.nullish(),
  })
  .refine((f) => f.minAmountCents == null || f.maxAmountCents == null || f.minAmountCents <= f.maxAmountCents, { message: 'must not be below minAmountCents', path: ['maxAmountCents'] })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'must not be before from', path: ['to'] });
export type AdminFilter = z.infer<typeof adminFilterSchema>;

export const SORT_FIELDS = ['CREATED_AT', 'AMOUNT', 'STATUS'] as const;
export const SORT_DIRECTIONS = ['ASC', 'DESC'] as const;
export const sortArgsSchema = z.object({
  sortBy: z.enum(SORT_FIELDS).default('CREATED_AT'),
  direction: z.enum(SORT_DIRECTIONS).default('DESC'),
});
export type SortArgs = z.infer<typeof sortArgsSchema>;

/** Customers see their orders; failed payment attempts are hidden unless asked for by status. */
export function customerFilter(customerId: string, status?: OrderStatus | null): FilterQuery<OrderDoc> {
  return { customerId, status: status ?? { $ne: 'FAILED' } };
}

export function adminFilter(f: AdminFilter = {}): FilterQuery<OrderDoc> {
  const q: FilterQuery<OrderDoc> = {};
  if (f.status) q.status = f.status;
  if (f.customerId) q.customerId = f.customerId;
  if (f.minAmountCents != null || f.maxAmountCents != null) {
    q.totalCents = { ...(f.minAmountCents != null ? { $gte: f.minAmountCents } : {}), ...(f.maxAmountCents != null ? { $lte: f.maxAmountCents } : {}) };
  }
  if (f.from || f.to) q.createdAt = { ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lte: f.to } : {}) };
  return q;
}

/** Newest first, as customers read their history; the index {customerId, createdAt, _id} serves it. */
export const CUSTOMER_SORT: Record<string, SortOrder> = { createdAt: -1, _id: -1 };

/**
 * Always ends with _id so pages are stable when the sort key ties. The direction applies to every
 * key, so one index (or its reverse walk) serves both directions: see model.ts.
 */
export function sortSpec({ sortBy, direction }: SortArgs): Record<string, SortOrder> {
  const d: SortOrder = direction === 'ASC' ? 1 : -1;
  if (sortBy === 'AMOUNT') return { totalCents: d, _id: d };
  if (sortBy === 'STATUS') return { status: d, createdAt: d, _id: d };
  return { createdAt: d, _id: d };
}

export interface PageInfo {
  totalCount: number;
  page: number;
  limit: number;
  totalPages: number;
  hasNextPage: boolean;
  hasPrevPage: boolean;
}

export function pageInfo(totalCount: number, { page, limit }: PageArgs): PageInfo {
  const totalPages = Math.ceil(totalCount / limit);
  return { totalCount, page, limit, totalPages, hasNextPage: page < totalPages, hasPrevPage: page > 1 };
}

export async function findPage(orders: Model<OrderDoc>, filter: FilterQuery<OrderDoc>, sort: Record<string, SortOrder>, page: PageArgs) {
  const [totalCount, items] = await Promise.all([
    orders.countDocuments(filter),
    orders
      .find(filter)
      .sort(sort)
      .skip((page.page - 1) * page.limit)
      .limit(page.limit)
      .lean<OrderDoc[]>(),
  ]);
  return { items, ...pageInfo(totalCount, page) };
}
