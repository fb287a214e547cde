import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline/promises';
import { baseEnvSchema } from '../subgraphs/lib/config';
import { parseEnvOrExit } from '../subgraphs/lib/env';
import { AppError } from '../subgraphs/lib/errors';
import { createLogger } from '../subgraphs/lib/logger';
import mongoose from 'mongoose';
import { bootstrapAdmin } from '../subgraphs/customers/admin';
import { loginLimiter } from '../subgraphs/customers/login-limiter';
import { customerModel, refreshTokenModel } from '../subgraphs/customers/model';
import { createCustomersService } from '../subgraphs/customers/service';
import { createSessionStore } from '../subgraphs/customers/sessions';
import { connectRedisForCli, loadStackEnvForCli, reachMongo } from './backing/stack-env';

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

const USAGE = 'usage: [ADMIN_PASSWORD=...] npm run create-admin -- --email <email> [--name <name>]   (never --password: it would stay in shell history)';

/**
 * --email and --name only; anything else (a --password above all) is refused with the usage line,
 * exit 1. Our own words rather than Node's: its text suggests a way to pass the argument anyway, and
 * no argument value is echoed back.
 */
function options(): { email?: string; name?: string } {
  try {
    return parseArgs({ options: { email: { type: 'string' }, name: { type: 'string' } } }).values;
  } catch (err) {
    if (!String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS_')) throw err;
    const option = /Unknown option '(-[^'=\s]*)/.exec((err as Error).message)?.[1];
    const problem = !option ? 'unexpected arguments' : /pass/i.test(option) ? `${option} is refused: the password comes from ADMIN_PASSWORD or the prompt` : `unknown option ${option}`;
    process.stderr.write(`create-admin: ${problem}\n${USAGE}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const values = options();
  if (!values.email) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const foundStack = loadStackEnvForCli('create-admin');
  const password = process.env.ADMIN_PASSWORD || (await askPassword());
  const env = parseEnvOrExit(baseEnvSchema);
  const logger = createLogger('create-admin', 'warn');
  const conn = await reachMongo(env.MONGODB_URI, foundStack, (serverSelectionTimeoutMS) =>
    mongoose.createConnection(env.MONGODB_URI, { dbName: `${env.DB_PREFIX}customers`, serverSelectionTimeoutMS, autoIndex: false }).asPromise(),
  );
  const redis = await connectRedisForCli(env.REDIS_URL, foundStack).catch(async (err) => {
    await conn.close();
    throw err;
  });
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
  process.stderr.write(`create-admin: ${err instanceof AppError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
