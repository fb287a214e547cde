import type { ServiceConfig } from '../lib/config';
import { ensureIndexes } from '../lib/mongo';
import { analyticsModule, type AnalyticsContext } from './analytics/module';
import { withAnalyticsResolvers } from './analytics/resolvers';
import { loadSubgraphSchema } from '../lib/schema-file';
import { startSubgraphService } from '../lib/subgraph-service';
import { closeOrders, ordersContext, setupOrders, type OrdersDeps } from './deps';
import { resolvers, type OrdersContext } from './resolvers';

export const typeDefs = loadSubgraphSchema('orders');

export function startOrdersService(config: ServiceConfig) {
  return startSubgraphService<OrdersContext & AnalyticsContext, OrdersDeps & AnalyticsContext>(
    {
      name: 'orders',
      typeDefs,
      resolvers: withAnalyticsResolvers(resolvers),
      // Redis: the admin queue view, and publishing the outbox of cancellations.
      redis: true,
      setup: async ({ conn, redis, logger }) => {
        const analytics = analyticsModule(conn, config);
        await ensureIndexes(analytics.allModels);
        return { ...(await setupOrders(conn, redis!, config.queuePrefix, logger)), analytics };
      },
      context: (base, deps) => ({ ...ordersContext(base, deps), analytics: deps.analytics }),
      closers: (deps) => closeOrders(deps),
    },
    config,
  );
}
