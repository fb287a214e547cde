import type { ServiceConfig } from '../lib/config';
import { ensureIndexes } from '../lib/mongo';
import { analyticsModule, type AnalyticsContext } from './analytics/module';
import { withAnalyticsResolvers } from './analytics/resolvers';
import { loadSubgraphSchema } from '../lib/schema-file';
import { startSubgraphService } from '../lib/subgraph-service';
import { closeOrders, ordersContext, setupOrders, type OrdersDeps } from './deps';
import { notificationsContext, withNotificationResolvers, type NotificationsContext } from './notifications/resolvers';
import { createNotificationsService, type NotificationsService } from './notifications/service';
import { resolvers, type OrdersContext } from './resolvers';
import { withInternalResolvers } from './resolvers.internal';

export const typeDefs = loadSubgraphSchema('orders');

type Deps = OrdersDeps & AnalyticsContext & { notifications: NotificationsService };

export function startOrdersService(config: ServiceConfig) {
  return startSubgraphService<OrdersContext & AnalyticsContext & NotificationsContext, Deps>(
    {
      name: 'orders',
      typeDefs,
      resolvers: withInternalResolvers(withAnalyticsResolvers(withNotificationResolvers(resolvers))),
      // Redis: the admin queue view, and publishing the outbox of cancellations.
      redis: true,
      setup: async ({ conn, redis, logger }) => {
        const analytics = analyticsModule(conn, config);
        await ensureIndexes(analytics.allModels);
        const orders = await setupOrders(conn, redis!, config.queuePrefix, logger);
        // Customer emails: admins read and resend them here; the notifications worker sends them.
        const notifications = createNotificationsService(conn, orders.queues.publisher, logger);
        await ensureIndexes([notifications.records]);
        return { ...orders, analytics, notifications };
      },
      context: (base, deps) => ({ ...ordersContext(base, deps), analytics: deps.analytics, ...notificationsContext(deps.notifications) }),
      closers: (deps) => closeOrders(deps),
    },
    config,
  );
}
