import type { ServiceConfig } from '../lib/config';
import { byIdLoader } from '../lib/loaders';
import { ensureIndexes } from '../lib/mongo';
import { loadSubgraphSchema } from '../lib/schema-file';
import { startSubgraphService } from '../lib/subgraph-service';
import { paymentModel, type PaymentDoc } from './model';
import { resolvers, type PaymentsContext } from './resolvers';

export const typeDefs = loadSubgraphSchema('payments');

export function startPaymentsService(config: ServiceConfig) {
  return startSubgraphService<PaymentsContext, { payments: ReturnType<typeof paymentModel> }>(
    {
      name: 'payments',
      typeDefs,
      resolvers,
      redis: false,
      async setup({ conn }) {
        const payments = paymentModel(conn);
        await ensureIndexes([payments]);
        return { payments };
      },
      context: (base, { payments }) => ({ ...base, paymentById: byIdLoader<PaymentDoc>(payments) }),
    },
    config,
  );
}
