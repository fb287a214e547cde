import type DataLoader from 'dataloader';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseInput } from '../../lib/errors';
import { requireAdmin, type AuthContext } from '../../lib/guards';
import { NOTIFICATION_EVENTS } from '../../lib/queues';
import { currentRequestScope } from '../../lib/request-context';
import type { OrderDoc } from '../model';
import type { NotificationDoc } from './model';
import type { NotificationsService } from './service';

/** Admin visibility of customer emails, merged into the orders subgraph's resolver map (see ../index.ts). */
type Ctx = AuthContext & {
  services: { notifications: NotificationsService };
  notificationsByOrder: DataLoader<string, NotificationDoc[]>;
  orderById: DataLoader<string, OrderDoc | null>;
};

const resendArgs = z.object({ orderId: z.string().min(1).max(100), event: z.enum(NOTIFICATION_EVENTS) });
const limitArgs = z.object({ limit: z.number().int().min(1).max(200).default(50) });
const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

export const notificationResolvers = {
  Query: {
    failedNotifications: (_: unknown, args: { limit?: number | null }, ctx: Ctx) => {
      requireAdmin(ctx);
      return ctx.services.notifications.failed(parseInput(limitArgs, { limit: args.limit ?? undefined }).limit);
    },
  },
  Mutation: {
    resendNotification: (_: unknown, args: unknown, ctx: Ctx) => {
      requireAdmin(ctx);
      const a = parseInput(resendArgs, args);
      return ctx.services.notifications.resend(a.orderId, a.event, currentRequestScope()?.requestId ?? randomUUID());
    },
  },
  Order: {
    notifications: (o: OrderDoc, _: unknown, ctx: Ctx) => {
      requireAdmin(ctx);
      return ctx.notificationsByOrder.load(o._id);
    },
  },
  OrderNotification: {
    id: (n: NotificationDoc) => n._id,
    sentAt: (n: NotificationDoc) => iso(n.sentAt),
    createdAt: (n: NotificationDoc) => iso(n.createdAt),
    updatedAt: (n: NotificationDoc) => iso(n.updatedAt ?? n.createdAt),
    order: (n: NotificationDoc, _: unknown, ctx: Ctx) => ctx.orderById.load(n.orderId),
  },
};

type ResolverMap = { Query?: object; Mutation?: object; Order?: object };

/** The orders subgraph's resolver map with the notification fields merged in (Query, Mutation and Order spread together). */
export function withNotificationResolvers<M extends ResolverMap>(resolvers: M): M {
  const { Query, Mutation, Order, ...types } = notificationResolvers;
  return {
    ...resolvers,
    ...types,
    Query: { ...(resolvers.Query ?? {}), ...Query },
    Mutation: { ...(resolvers.Mutation ?? {}), ...Mutation },
    Order: { ...(resolvers.Order ?? {}), ...Order },
  } as M;
}
