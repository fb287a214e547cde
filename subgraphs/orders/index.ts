import type { ServiceConfig } from '../lib/config';
import { byFieldLoader, byIdLoader } from '../lib/loaders';
import { ensureIndexes } from '../lib/mongo';
import { loadSubgraphSchema } from '../lib/schema-file';
import { startSubgraphService } from '../lib/subgraph-service';
import { orderModel, type OrderDoc } from './model';
import { resolvers, type OrdersContext } from './resolvers';

export const typeDefs = loadSubgraphSchema('orders');

export function startOrdersService(config: ServiceConfig) {
  return startSubgraphService<OrdersContext, { orders: ReturnType<typeof orderModel> }>(
    {
      name: 'orders',
      typeDefs,
      resolvers,
      redis: false,
      async setup({ conn }) {
        const orders = orderModel(conn);
        await ensureIndexes([orders]);
        return { orders };
      },
      context: (base, { orders }) => ({
        ...base,
        orderById: byIdLoader<OrderDoc>(orders),
        orderByPaymentId: byFieldLoader<OrderDoc & Record<string, unknown>>(orders, 'paymentId'),
      }),
    },
    config,
  );
}
