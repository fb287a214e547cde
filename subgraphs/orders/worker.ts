import type { ServiceConfig } from '../lib/config';
import { internalClient } from '../lib/internal-client';
import { ensureIndexes } from '../lib/mongo';
import { startOutboxRelay } from '../lib/outbox';
import { paymentResultsQueue, queueDeps } from '../lib/queues';
import { createValidatedWorker } from '../lib/worker';
import { startWorkerService } from '../lib/worker-service';
import { orderModel } from './model';
import { handlePaymentResult } from './payment-results';
import { openOrderQueues } from './queues';
import { commitStock } from './stock';

export interface OrdersWorkerOptions {
  /** How often the outbox relay sweeps for unpublished messages. */
  relayIntervalMs?: number;
}

/**
 * The orders worker: consumes payment results into orders, and relays any outbox entries that a
 * crash or Redis outage left unpublished (from this worker or from the orders subgraph's mutations).
 */
export function startOrdersWorker(config: ServiceConfig, opts: OrdersWorkerOptions = {}) {
  return startWorkerService(
    {
      name: 'orders-worker',
      database: 'orders',
      async setup({ conn, redis, logger }) {
        const orders = orderModel(conn);
        await ensureIndexes([orders]);
        const queues = openOrderQueues(redis!, config.queuePrefix);
        const products = internalClient({ url: config.peers.products, target: 'products', service: 'orders', internalSecret: config.internalSecret });
        const deps = { orders, queues, logger, commitStock: (id: string) => commitStock(products, id) };
        const worker = createValidatedWorker(paymentResultsQueue, (r) => handlePaymentResult(r, deps).then((o) => ({ orderId: o._id, status: o.status })), { ...queueDeps(redis!, config.queuePrefix), logger }, {
          // Jobs take milliseconds: a short lock gets a job cut off by a crash back into the queue quickly.
          lockDuration: 15_000,
          stalledInterval: 5_000,
        });
        const relay = startOutboxRelay(orders, queues.publisher, logger, { intervalMs: opts.relayIntervalMs });
        return { workers: [worker], orders, queues, relay };
      },
      closers: (deps) => [() => deps.relay.stop(), () => deps.queues.close()],
    },
    config,
  );
}
