import type { Redis } from 'ioredis';
import type Stripe from 'stripe';
import type { ServiceConfig } from '../lib/config';
import { internalClient, type InternalCall } from '../lib/internal-client';
import type { Logger } from '../lib/logger';
import { paymentsByOutcome } from '../lib/metrics';
import { inventoryCommandsQueue, openQueue, paymentResultsQueue, queueDeps, type TypedQueue } from '../lib/queues';
import { createRedis } from '../lib/redis';
import { createCartStore } from './cart';
import { createCheckoutService } from './checkout';
import type { LedgerDeps } from './ledger';
import type { PaymentsModels } from './model';
import { queuesPublisher } from '../lib/outbox';
import { createStripe } from './stripe-client';

/**
 * Everything the payments subgraph and its worker share, wired once: models, Stripe, the
 * payment-results publisher (outbox), the cart and checkout.
 */
export interface PaymentsDeps extends LedgerDeps {
  models: PaymentsModels;
  stripe: Stripe;
  redis: Redis;
  resultsQueue: TypedQueue<typeof paymentResultsQueue.schema>;
  inventoryQueue: TypedQueue<typeof inventoryCommandsQueue.schema>;
  carts: ReturnType<typeof createCartStore>;
  /** Internal GraphQL calls to the products subgraph (SERVICE identity). */
  products: InternalCall;
  checkout: ReturnType<typeof createCheckoutService>;
  config: ServiceConfig;
}

export function paymentsDeps(config: ServiceConfig, models: PaymentsModels, logger: Logger, redis: Redis = createRedis(config.redisUrl)): PaymentsDeps {
  const stripe = createStripe(config.stripe);
  const deps = queueDeps(redis, config.queuePrefix);
  const resultsQueue = openQueue(paymentResultsQueue, deps);
  const inventoryQueue = openQueue(inventoryCommandsQueue, deps);
  for (const q of [resultsQueue.queue, inventoryQueue.queue]) q.on('error', (err) => logger.warn('queue connection error', { queue: q.name, error: String(err) }));
  const call = (peer: 'products' | 'customers') => internalClient({ url: config.peers[peer], target: peer, service: 'payments', internalSecret: config.internalSecret, timeoutMs: 10_000 });
  const products = call('products');
  const carts = createCartStore(models.carts, products);
  const ledger: LedgerDeps = { payments: models.payments, publisher: queuesPublisher([resultsQueue], { redis, timeoutMs: 3_000 }), logger, onOutcome: countOutcome };
  return {
    ...ledger,
    models,
    stripe,
    redis,
    resultsQueue,
    inventoryQueue,
    carts,
    products,
    checkout: createCheckoutService({
      payments: models.payments,
      carts,
      stripe,
      publishableKey: config.stripe.publishableKey,
      products,
      customers: call('customers'),
      inventoryQueue,
      logger,
    }),
    config,
  };
}

/** payments_total{outcome}: counted once, when the outcome is recorded (not when republished). */
function countOutcome(outcome: string): void {
  paymentsByOutcome.inc({ outcome });
}

export async function closePaymentsDeps(deps: PaymentsDeps, ownsRedis: boolean): Promise<void> {
  await deps.resultsQueue.close().catch(() => undefined);
  await deps.inventoryQueue.close().catch(() => undefined);
  if (ownsRedis) await deps.redis.quit().catch(() => deps.redis.disconnect());
}
