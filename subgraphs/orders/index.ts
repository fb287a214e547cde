import type { ServiceConfig } from '../lib/config';
import { byFieldLoader, byIdLoader } from '../lib/loaders';
import { ensureIndexes } from '../lib/mongo';
import { analyticsModule, analyticsServices, type AnalyticsModule } from './analytics/module';
import { withAnalyticsResolvers } from './analytics/resolvers';
import { loadSubgraphSchema } from '../lib/schema-file';
import { startSubgraphService } from '../lib/subgraph-service';
import { closeOrders, setupOrders, type OrdersDeps } from './deps';
import type { OrderDoc } from './model';
import { withNotificationResolvers } from './notifications/resolvers';
import { createNotificationsService, type NotificationsService } from './notifications/service';
import { resolvers, type OrdersContext, type OrdersServices } from './resolvers';
import { withInternalResolvers } from './resolvers.internal';
import { createQueueAdmin } from './service';

export const typeDefs = loadSubgraphSchema('orders');

type Deps = OrdersDeps & { analytics: AnalyticsModule; notifications: NotificationsService; services: OrdersServices };

export function startOrdersService(config: ServiceConfig) {
  return startSubgraphService<OrdersContext, Deps>(
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
        const services: OrdersServices = {
          orders: orders.ordersService,
          listing: orders.orderListing,
          queues: createQueueAdmin(orders.queues),
          analytics: analyticsServices(analytics),
          notifications,
        };
        return { ...orders, analytics, notifications, services };
      },
      context: (base, deps) => ({
        ...base,
        orderById: byIdLoader<OrderDoc>(deps.orders),
        orderByPaymentId: byFieldLoader<OrderDoc & Record<string, unknown>>(deps.orders, 'paymentId'),
        notificationsByOrder: deps.notifications.byOrderLoader(),
        services: deps.services,
      }),
      closers: (deps) => closeOrders(deps),
    },
    config,
  );
}
