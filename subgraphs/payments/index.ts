import type { ServiceConfig } from '../lib/config';
import { byIdLoader } from '../lib/loaders';
import { ensureIndexes } from '../lib/mongo';
import { loadSubgraphSchema } from '../lib/schema-file';
import { startSubgraphService } from '../lib/subgraph-service';
import { paymentsModels, type PaymentDoc, type PaymentsModels } from './model';
import { resolvers, type PaymentsContext, type PaymentsServices } from './resolvers';
import { closePaymentsDeps, createPaymentsService, paymentsDeps, type PaymentsDeps } from './service';
import { mountStripeWebhook } from './webhook';

export const typeDefs = loadSubgraphSchema('payments');

export async function ensurePaymentsIndexes(models: PaymentsModels): Promise<void> {
  await ensureIndexes([models.payments, models.events, models.carts]);
}

/**
 * The payments subgraph: payments, cart and checkout over GraphQL, plus POST /webhooks/stripe.
 * Redis is used only to publish payment results; while it is down, results wait in the outbox
 * (see outbox.ts) and readiness does not depend on it.
 */
export function startPaymentsService(config: ServiceConfig) {
  return startSubgraphService<PaymentsContext, { payments: PaymentsModels['payments']; service: PaymentsDeps; services: PaymentsServices }>(
    {
      name: 'payments',
      typeDefs,
      resolvers,
      redis: false,
      async setup({ conn, logger }) {
        const models = paymentsModels(conn);
        await ensurePaymentsIndexes(models);
        const service = paymentsDeps(config, models, logger);
        const services = { payments: createPaymentsService(service), carts: service.carts, checkout: service.checkout };
        return { payments: models.payments, service, services };
      },
      context: (base, { payments, services }) => ({ ...base, paymentById: byIdLoader<PaymentDoc>(payments), services }),
      routes: (app, { service }) => mountStripeWebhook(app, { ...service, events: service.models.events, webhookSecret: config.stripe.webhookSecret }),
      closers: ({ service }) => [() => closePaymentsDeps(service, true)],
    },
    config,
  );
}
