import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline/promises';
import { baseEnvSchema } from '../subgraphs/lib/config';
import { parseEnvOrExit } from '../subgraphs/lib/env';
import { AppError } from '../subgraphs/lib/errors';
import { createLogger } from '../subgraphs/lib/logger';
import { connectMongo } from '../subgraphs/lib/mongo';
import { createRedis } from '../subgraphs/lib/redis';
import { bootstrapAdmin } from '../subgraphs/customers/admin';
import { loginLimiter } from '../subgraphs/customers/login-limiter';
import { customerModel, refreshTokenModel } from '../subgraphs/customers/model';
import { createCustomersService } from '../subgraphs/customers/service';
import { createSessionStore } from '../subgraphs/customers/sessions';
import { loadStackEnv } from './backing/stack-env';

/**
 * Creates the first admin, or promotes an existing account (resetting its password and signing it
 * out). The only ways to get an ADMIN are this and ADMIN_EMAIL/ADMIN_PASSWORD at customers start.
 *
 *   npm run create-admin -- --email ops@example.com --name 'Ops'      (asks for the password)
 *   ADMIN_PASSWORD='a long passphrase' npm run create-admin -- --email ops@example.com
 *
 * The password never goes on the command line (shell history, `ps`): it comes from ADMIN_PASSWORD
 * or a prompt. Uses the services the running `npm start` chose (.data/stack-env.json), else the
 * same MONGODB_URI / DB_PREFIX / REDIS_URL / QUEUE_PREFIX as the services.
 */
async function askPassword(): Promise<string> {
  if (!process.stdin.isTTY) throw new Error('no ADMIN_PASSWORD set and no terminal to ask on');
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  // Typed characters are not echoed: the prompt is written once, then output is muted.
  const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(rl);
  let prompted = false;
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s) => (prompted ? undefined : ((prompted = true), write(s)));
  try {
    return await rl.question('Password for the admin: ');
  } finally {
    rl.close();
    process.stdout.write('\n');
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, name: { type: 'string' } } });
  if (!values.email) {
    process.stderr.write('usage: [ADMIN_PASSWORD=...] npm run create-admin -- --email <email> [--name <name>]   (never --password: it would stay in shell history)\n');
    process.exit(2);
  }
  loadStackEnv();
  const password = process.env.ADMIN_PASSWORD || (await askPassword());
  const env = parseEnvOrExit(baseEnvSchema);
  const logger = createLogger('create-admin', 'warn');
  const conn = await connectMongo(env.MONGODB_URI, `${env.DB_PREFIX}customers`, logger);
  const redis = createRedis(env.REDIS_URL, { maxRetriesPerRequest: 2 });
  try {
    const models = { customers: customerModel(conn), refreshTokens: refreshTokenModel(conn) };
    await models.customers.createIndexes();
    const sessions = createSessionStore({ refreshTokens: models.refreshTokens, jwtSecret: env.JWT_SECRET, logger });
    const service = createCustomersService({ models, sessions, limiter: loginLimiter(redis, env.QUEUE_PREFIX), redis, queuePrefix: env.QUEUE_PREFIX, logger });
    const result = await bootstrapAdmin(service, { email: values.email, password, name: values.name ?? 'Administrator' });
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
