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
import { listPayments, type PaymentFilter } from './listing';
import type { PaymentDoc, PaymentsModels } from './model';
import { confirmPayment, findPayment, simulatePaymentWebhook, type SimulatedOutcome } from './payment-actions';
import { refundPayment, type RefundRequestInput } from './refunds';
import type { PageRequest } from '../lib/pagination';
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

/** What the payments resolvers ask of payments (reads and the actions on one), so none of them touches a model. */
export function createPaymentsService(deps: PaymentsDeps) {
  return {
    /** As stored now (not the request's loader: the actions decide from the current state). */
    find: (paymentId: string) => findPayment(deps, paymentId),
    list: (filter: PaymentFilter, page: PageRequest) => listPayments(deps.models.payments, filter, page),
    confirm: (payment: PaymentDoc, requestId: string) => confirmPayment(deps, payment, requestId),
    refund: (input: RefundRequestInput) => refundPayment(deps, input),
    simulateWebhook: (payment: PaymentDoc, outcome: SimulatedOutcome) => simulatePaymentWebhook(deps, payment, outcome),
  };
}
export type PaymentsService = ReturnType<typeof createPaymentsService>;

/** payments_total{outcome}: counted once, when the outcome is recorded (not when republished). */
function countOutcome(outcome: string): void {
  paymentsByOutcome.inc({ outcome });
}

export async function closePaymentsDeps(deps: PaymentsDeps, ownsRedis: boolean): Promise<void> {
  await deps.resultsQueue.close().catch(() => undefined);
  await deps.inventoryQueue.close().catch(() => undefined);
  if (ownsRedis) await deps.redis.quit().catch(() => deps.redis.disconnect());
}
