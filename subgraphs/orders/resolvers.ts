import type DataLoader from 'dataloader';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { z } from 'zod';
import { parseInput } from '../lib/errors';
import { ownedOrNull, requireAdmin, requireOwned, requireOwnerOrAdmin, requireSignedIn } from '../lib/guards';
import { pageArgsSchema } from '../lib/pagination';
import type { SubgraphContext } from '../lib/subgraph-server';
import type { AnalyticsServices } from './analytics/module';
import type { OrderDoc, StatusChange } from './model';
import type { NotificationDoc } from './notifications/model';
import type { NotificationsService } from './notifications/service';
import { adminOrdersArgsSchema, customerOrdersArgsSchema, type OrderListing } from './queries';
import { failedJobsArgsSchema, retryArgsSchema } from './queue-admin';
import { reasonSchema, settableStatusSchema, trackingSchema, type OrdersService, type QueueAdmin } from './service';

/** The orders domain's services, built once in index.ts (analytics and notifications live in this subgraph too). */
export interface OrdersServices {
  orders: OrdersService;
  listing: OrderListing;
  queues: QueueAdmin;
  analytics: AnalyticsServices;
  notifications: NotificationsService;
}
export interface OrdersLoaders {
  orderById: DataLoader<string, OrderDoc | null>;
  orderByPaymentId: DataLoader<string, OrderDoc | null>;
  notificationsByOrder: DataLoader<string, NotificationDoc[]>;
}
export type OrdersContext = SubgraphContext<OrdersLoaders, OrdersServices>;

const idSchema = z.string().min(1).max(100);
const iso = (d: Date | string | undefined | null) => (d ? new Date(d).toISOString() : null);

/** Arguments GraphQL passes as null when omitted become undefined, so zod defaults apply. */
const args = (a: Record<string, unknown>) => Object.fromEntries(Object.entries(a).filter(([, v]) => v !== null));

/** myOrders and Customer.orders: one list, of one customer. */
const customerOrders = (ctx: OrdersContext, customerId: string, a: unknown) =>
  ctx.services.listing.forCustomer(customerId, parseInput(customerOrdersArgsSchema, a).status, parseInput(pageArgsSchema, a));

export const resolvers: GraphQLResolverMap<OrdersContext> = {
  Query: {
    order: async (_: unknown, a: { id: string }, ctx: OrdersContext) => {
      requireSignedIn(ctx);
      return requireOwned(ctx, await ctx.orderById.load(a.id));
    },
    myOrders: (_: unknown, a: unknown, ctx: OrdersContext) => customerOrders(ctx, requireSignedIn(ctx).customerId, a),
    orders: (_: unknown, a: unknown, ctx: OrdersContext) => {
      requireAdmin(ctx);
      const { filter, ...sort } = parseInput(adminOrdersArgsSchema, a);
      return ctx.services.listing.search(filter, sort, parseInput(pageArgsSchema, a));
    },
    queueStatus: (_: unknown, __: unknown, ctx: OrdersContext) => {
      requireAdmin(ctx);
      return ctx.services.queues.status();
    },
    failedJobs: (_: unknown, raw: Record<string, unknown>, ctx: OrdersContext) => {
      requireAdmin(ctx);
      return ctx.services.queues.failedJobs(parseInput(failedJobsArgsSchema, args(raw)));
    },
  },
  Mutation: {
    cancelOrder: (_: unknown, a: { orderId: unknown; reason?: unknown }, ctx: OrdersContext) => {
      const caller = requireSignedIn(ctx);
      return ctx.services.orders.cancel(parseInput(idSchema, a.orderId, ['orderId']), caller, parseInput(reasonSchema, a.reason ?? undefined, ['reason']));
    },
    updateOrderStatus: (_: unknown, a: { orderId: unknown; status: unknown; reason?: unknown }, ctx: OrdersContext) => {
      requireAdmin(ctx);
      const caller = requireSignedIn(ctx);
      return ctx.services.orders.setStatus(
        parseInput(idSchema, a.orderId, ['orderId']),
        parseInput(settableStatusSchema, a.status, ['status']),
        caller,
        parseInput(reasonSchema, a.reason ?? undefined, ['reason']),
      );
    },
    updateTracking: (_: unknown, a: { orderId: unknown; carrier: unknown; trackingNumber: unknown }, ctx: OrdersContext) => {
      requireAdmin(ctx);
      const caller = requireSignedIn(ctx);
      return ctx.services.orders.updateTracking(parseInput(idSchema, a.orderId, ['orderId']), parseInput(trackingSchema, { carrier: a.carrier, trackingNumber: a.trackingNumber }), caller);
    },
    retryFailedJob: (_: unknown, raw: Record<string, unknown>, ctx: OrdersContext) => {
      requireAdmin(ctx);
      return ctx.services.queues.retry(parseInput(retryArgsSchema, args(raw)));
    },
  },
  Order: {
    __resolveReference: async (ref: { id: string }, ctx: OrdersContext) => requireOwned(ctx, await ctx.orderById.load(ref.id)),
    id: (o: OrderDoc) => o._id,
    customer: (o: OrderDoc) => ({ __typename: 'Customer', id: o.customerId }),
    payment: (o: OrderDoc) => ({ __typename: 'Payment', id: o.paymentId }),
    lines: (o: OrderDoc) => o.lines.map((line) => ({ ...line, product: { __typename: 'Product', id: line.productId } })),
    refundedCents: (o: OrderDoc) => o.refundedCents ?? 0,
    tracking: (o: OrderDoc) => (o.tracking ? { ...o.tracking, updatedAt: iso(o.tracking.updatedAt) } : null),
    statusHistory: (o: OrderDoc) => (o.statusHistory ?? []).map((c: StatusChange) => ({ ...c, at: iso(c.at) })),
    createdAt: (o: OrderDoc) => iso(o.createdAt),
    updatedAt: (o: OrderDoc) => iso(o.updatedAt ?? o.createdAt),
  },
  Customer: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    orders: (c: { id: string }, a: unknown, ctx: OrdersContext) => {
      requireOwnerOrAdmin(ctx, c.id);
      return customerOrders(ctx, c.id, a);
    },
  },
  Payment: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    order: async (p: { id: string }, _: unknown, ctx: OrdersContext) => ownedOrNull(ctx, await ctx.orderByPaymentId.load(p.id)),
  },
};
