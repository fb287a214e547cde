import type { ServiceConfig } from '../lib/config';
import { loadSubgraphSchema } from '../lib/schema-file';
import { startSubgraphService } from '../lib/subgraph-service';
import { closeOrders, ordersContext, setupOrders, type OrdersDeps } from './deps';
import { resolvers, type OrdersContext } from './resolvers';

export const typeDefs = loadSubgraphSchema('orders');

export function startOrdersService(config: ServiceConfig) {
  return startSubgraphService<OrdersContext, OrdersDeps>(
    {
      name: 'orders',
      typeDefs,
      resolvers,
      // Redis: the admin queue view, and publishing the outbox of cancellations.
      redis: true,
      setup: ({ conn, redis, logger }) => setupOrders(conn, redis!, config.queuePrefix, logger),
      context: (base, deps) => ordersContext(base, deps),
      closers: (deps) => closeOrders(deps),
    },
    config,
  );
}
