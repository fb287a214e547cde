import type { ServiceConfig } from '../lib/config';
import { internalClient } from '../lib/internal-client';
import { ensureIndexes } from '../lib/mongo';
import { startOutboxRelay } from '../lib/outbox';
import { paymentResultsQueue, queueDeps } from '../lib/queues';
import { DEFAULT_SAFETY_NET, type SafetyNetSettings } from '../lib/safety-net';
import { createValidatedWorker } from '../lib/worker';
import { startWorkerService } from '../lib/worker-service';
import { analyticsModels } from './analytics/model';
import { orderModel } from './model';
import { handlePaymentResult } from './payment-results';
import { openOrderQueues } from './queues';
import { startOrdersSafetyNet } from './results-sweep';
import { commitStock } from './stock';

/**
 * Payment results in flight per orders-worker process. A job is a few milliseconds of CPU and
 * mostly waiting (three MongoDB round trips and the products commit call), so 8 in flight left the
 * worker idle while results queued (bench:pipeline: webhook → order p50 6 s at N=1,000; 3.5 s with
 * 32). Each job is idempotent and keyed by its payment, so more at once changes no outcome.
 */
export const PAYMENT_RESULTS_CONCURRENCY = 32;

export interface OrdersWorkerOptions {
  /** How often the outbox relay sweeps for unpublished messages. */
  relayIntervalMs?: number;
  /** The sweep for published messages whose effect never showed (results-sweep.ts). */
  safetyNet?: Partial<SafetyNetSettings>;
}

/**
 * The orders worker: consumes payment results into orders, and relays any outbox entries that a
 * crash or Redis outage left unpublished (from this worker or from the orders subgraph's mutations),
 * and runs the safety net for published messages that Redis lost (results-sweep.ts).
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
          concurrency: PAYMENT_RESULTS_CONCURRENCY,
        });
        const relay = startOutboxRelay(orders, queues.publisher, logger, { intervalMs: opts.relayIntervalMs });
        const safetyNet = startOrdersSafetyNet(
          { orders, analytics: analyticsModels(conn), queues: new Map(Object.entries(queues.byName)), publisher: queues.publisher, logger },
          { ...DEFAULT_SAFETY_NET, ...opts.safetyNet },
        );
        return { workers: [worker], orders, queues, relay, safetyNet };
      },
      closers: (deps) => [() => deps.relay.stop(), () => deps.safetyNet.stop(), () => deps.queues.close()],
    },
    config,
  );
}
