import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import type { Logger } from '../lib/logger';
import { ensureIndexes } from '../lib/mongo';
import { orderModel } from './model';
import { openOrderQueues, type OrderQueues } from './queues';
import { createOrderListing, type OrderListing } from './queries';
import { createOrdersService, type OrdersService } from './service';

/** What the orders subgraph builds at start: its model, the pipeline queues (admin view, outbox publishing), the services. */
export interface OrdersDeps {
  orders: ReturnType<typeof orderModel>;
  queues: OrderQueues;
  ordersService: OrdersService;
  orderListing: OrderListing;
}

export async function setupOrders(conn: Connection, redis: Redis, queuePrefix: string, logger: Logger): Promise<OrdersDeps> {
  const orders = orderModel(conn);
  await ensureIndexes([orders]);
  const queues = openOrderQueues(redis, queuePrefix);
  return { orders, queues, ordersService: createOrdersService({ orders, queues, logger }), orderListing: createOrderListing(orders) };
}

export const closeOrders = (deps: OrdersDeps) => [() => deps.queues.close()];
