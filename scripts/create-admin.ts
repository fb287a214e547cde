import { parseArgs } from 'node:util';
import { baseEnvSchema } from '../subgraphs/lib/config';
import { parseEnvOrExit } from '../subgraphs/lib/env';
import { AppError } from '../subgraphs/lib/errors';
import { createLogger } from '../subgraphs/lib/logger';
import { connectMongo } from '../subgraphs/lib/mongo';
import { createRedis } from '../subgraphs/lib/redis';
import { bootstrapAdmin } from '../subgraphs/customers/admin';
import { loginLimiter } from '../subgraphs/customers/login-limiter';
import { customerModel, refreshTokenModel } from '../subgraphs/customers/model';
import { customersService } from '../subgraphs/customers/service';
import { sessionStore } from '../subgraphs/customers/sessions';

/**
 * Creates the first admin, or promotes an existing account (resetting its password and signing it
 * out). The only ways to get an ADMIN are this and ADMIN_EMAIL/ADMIN_PASSWORD at customers start.
 *
 *   npm run create-admin -- --email ops@example.com --password 'a long passphrase' --name 'Ops'
 *
 * Uses the same MONGODB_URI / DB_PREFIX / REDIS_URL / QUEUE_PREFIX as the services.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } } });
  if (!values.email || !values.password) {
    process.stderr.write('usage: npm run create-admin -- --email <email> --password <password> [--name <name>]\n');
    process.exit(2);
  }
  const env = parseEnvOrExit(baseEnvSchema);
  const logger = createLogger('create-admin', 'warn');
  const conn = await connectMongo(env.MONGODB_URI, `${env.DB_PREFIX}customers`, logger);
  const redis = createRedis(env.REDIS_URL, { maxRetriesPerRequest: 2 });
  try {
    const models = { customers: customerModel(conn), refreshTokens: refreshTokenModel(conn) };
    await models.customers.createIndexes();
    const sessions = sessionStore({ refreshTokens: models.refreshTokens, jwtSecret: env.JWT_SECRET, logger });
    const service = customersService({ models, sessions, limiter: loginLimiter(redis, env.QUEUE_PREFIX), redis, queuePrefix: env.QUEUE_PREFIX, logger });
    const result = await bootstrapAdmin(service, { email: values.email, password: values.password, name: values.name ?? 'Administrator' });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
    await conn.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof AppError ? `${err.code}: ${err.message}` : String(err)}\n`);
  process.exit(1);
});
