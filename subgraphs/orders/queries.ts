import type { FilterQuery, Model } from 'mongoose';
import { z } from 'zod';
import { centsSchema } from '../lib/money';
import { idKey, paginate, type PageRequest, type SortKey } from '../lib/pagination';
import { ORDER_STATUSES, type OrderDoc, type OrderStatus } from './model';

/**
 * Order lists: argument schemas, the Mongo filter and sort of each list (every one served by an
 * index in model.ts, listed in docs/orders.md), and the listing service the resolvers call.
 * Paging itself is lib/pagination.ts.
 */
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
  sortBy: z.enum(SORT_FIELDS).nullish().transform((s) => s ?? 'CREATED_AT'),
  direction: z.enum(SORT_DIRECTIONS).nullish().transform((d) => d ?? 'DESC'),
});
export type SortArgs = z.infer<typeof sortArgsSchema>;

/** `orders(filter, sortBy, direction)`; the page arguments are parsed by lib/pagination's schema. */
export const adminOrdersArgsSchema = sortArgsSchema.extend({ filter: adminFilterSchema.nullish().transform((f): AdminFilter => f ?? {}) });
/** `myOrders(status)` and `Customer.orders(status)`. */
export const customerOrdersArgsSchema = z.object({ status: z.enum(ORDER_STATUSES).nullish() });

/** Customers see their orders; failed payment attempts are hidden unless asked for by status. */
export function customerFilter(customerId: string, status?: OrderStatus | null): FilterQuery<OrderDoc> {
  return { customerId, status: status ?? { $ne: 'FAILED' } };
}

export function adminFilter(f: AdminFilter = {}): FilterQuery<OrderDoc> {
  const q: FilterQuery<OrderDoc> = {};
  if (f.status) q.status = f.status;
  if (f.customerId) q.customerId = f.customerId;
  if (f.minAmountCents != null || f.maxAmountCents != null) {
    q.amountCents = { ...(f.minAmountCents != null ? { $gte: f.minAmountCents } : {}), ...(f.maxAmountCents != null ? { $lte: f.maxAmountCents } : {}) };
  }
  if (f.from || f.to) q.createdAt = { ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lte: f.to } : {}) };
  return q;
}

const createdAt = (direction: 1 | -1): SortKey => ({ field: 'createdAt', direction, type: 'date' });

/** Newest first, as customers read their history; the index {customerId, createdAt, _id} serves it. */
export const CUSTOMER_SORT: SortKey[] = [createdAt(-1), idKey(-1)];

/**
 * Always ends with _id so every order has one position when the sort key ties. The direction
 * applies to every key, so one index (or its reverse walk) serves both directions: see model.ts.
 */
export function sortKeys({ sortBy, direction }: SortArgs): SortKey[] {
  const d = direction === 'ASC' ? 1 : -1;
  if (sortBy === 'AMOUNT') return [{ field: 'amountCents', direction: d, type: 'number' }, idKey(d)];
  if (sortBy === 'STATUS') return [{ field: 'status', direction: d, type: 'string' }, createdAt(d), idKey(d)];
  return [createdAt(d), idKey(d)];
}

/** The order lists, as connections. Authorization is the resolvers' (guards); this only reads. */
export function createOrderListing(orders: Model<OrderDoc>) {
  return {
    forCustomer: (customerId: string, status: OrderStatus | null | undefined, page: PageRequest) => paginate(orders, customerFilter(customerId, status), CUSTOMER_SORT, page),
    search: (filter: AdminFilter, sort: SortArgs, page: PageRequest) => paginate(orders, adminFilter(filter), sortKeys(sort), page),
  };
}
export type OrderListing = ReturnType<typeof createOrderListing>;
