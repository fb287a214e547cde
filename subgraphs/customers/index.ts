import type { ServiceConfig } from '../lib/config';
import { byIdLoader } from '../lib/loaders';
import { ensureIndexes } from '../lib/mongo';
import { loadSubgraphSchema } from '../lib/schema-file';
import { startSubgraphService } from '../lib/subgraph-service';
import { bootstrapAdmin, type AdminSeed } from './admin';
import { loginLimiter } from './login-limiter';
import { moveLegacyAddresses } from './legacy-addresses';
import { customerModel, refreshTokenModel, type CustomerDoc } from './model';
import { resolvers, type CustomersContext, type CustomersServices } from './resolvers';
import { createCustomersService } from './service';
import { createSessionStore } from './sessions';

export const typeDefs = loadSubgraphSchema('customers');

export interface CustomersOptions {
  /** The first admin (ADMIN_EMAIL / ADMIN_PASSWORD / ADMIN_NAME): created or promoted at start. */
  admin?: AdminSeed;
}

export function startCustomersService(config: ServiceConfig, options: CustomersOptions = {}) {
  return startSubgraphService<CustomersContext, { service: ReturnType<typeof createCustomersService>; services: CustomersServices }>(
    {
      name: 'customers',
      typeDefs,
      resolvers,
      redis: true,
      async setup({ conn, redis, logger }) {
        const models = { customers: customerModel(conn), refreshTokens: refreshTokenModel(conn) };
        await ensureIndexes([models.customers, models.refreshTokens]);
        await moveLegacyAddresses(conn, models.customers, logger);
        const sessions = createSessionStore({ refreshTokens: models.refreshTokens, jwtSecret: config.jwtSecret, logger });
        const limiter = loginLimiter(redis!, config.queuePrefix, logger);
        const service = createCustomersService({ models, sessions, limiter, redis: redis!, queuePrefix: config.queuePrefix, logger });
        const flagged = await service.syncDisabledFlags();
        if (flagged) logger.info('disabled accounts flagged for the gateway', { count: flagged });
        if (options.admin) logger.info('admin account from environment', await bootstrapAdmin(service, options.admin));
        return { service, services: { customers: service } };
      },
      context: (base, { service, services }) => ({
        ...base,
        customerById: byIdLoader<CustomerDoc>(service.models.customers),
        services,
      }),
    },
    config,
  );
}
