import type { ServiceConfig } from '../lib/config';
import { byIdLoader } from '../lib/loaders';
import { ensureIndexes } from '../lib/mongo';
import { loadSubgraphSchema } from '../lib/schema-file';
import { startSubgraphService } from '../lib/subgraph-service';
import { customerModel, type CustomerDoc } from './model';
import { resolvers, type CustomersContext } from './resolvers';
import { customersService } from './service';

export const typeDefs = loadSubgraphSchema('customers');

export function startCustomersService(config: ServiceConfig) {
  return startSubgraphService<CustomersContext, { service: ReturnType<typeof customersService> }>(
    {
      name: 'customers',
      typeDefs,
      resolvers,
      redis: false,
      async setup({ conn }) {
        const customers = customerModel(conn);
        await ensureIndexes([customers]);
        return { service: customersService({ customers }) };
      },
      context: (base, { service }) => ({ ...base, service, customerById: byIdLoader<CustomerDoc>(service.models.customers) }),
    },
    config,
  );
}
