/**
 * `npm run seed [-- --seed N --orders N --days N --no-history]`: a shop worth looking at.
 *
 * 1. Accounts (an admin and five demo customers) and the catalog, straight into their services'
 *    databases (idempotent: re-running updates rather than duplicates).
 * 2. A year of order history (scripts/history): a few thousand checkouts with weekly and seasonal
 *    patterns, some declined, canceled, returned or oversold, made to happen through the same
 *    domain functions as the running system (Stripe events into the payments ledger, payment
 *    results into orders, analytics events into the rollups), so the dashboard shows a year of
 *    trends and `npm run reconcile` finds no drift. Deterministic for a given --seed; re-running
 *    the same seed adds nothing.
 * 3. If the stack is running, ten checkouts paid (or failed) through the gateway and the real
 *    pipeline, and one partial refund.
 *
 * Uses the backing services of a running `npm start`; else MONGODB_URI; else starts the local
 * MongoDB-compatible server the way `npm start` does (same data folder) for the time it runs.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose, { type Connection } from 'mongoose';
import { baseEnvSchema } from '../subgraphs/lib/config';
import { parseEnvOrExit } from '../subgraphs/lib/env';
import { SEED_ADMIN, SEED_CUSTOMER_PASSWORD, seedCustomers } from '../subgraphs/customers/seed';
import { seedCatalog } from '../subgraphs/products/seed';
import { ensureMongo, type Backing } from './backing/mongo';
import { ROOT } from './backing/processes';
import { loadStackEnv, notRunningHint, printableUrl } from './backing/stack-env';
import { DEFAULT_HISTORY, seedHistory } from './history';
import { gatewayIsReady, seedLivePurchases } from './seed-live';

const log = (m: string) => process.stdout.write(`[seed] ${m}\n`);
const GATEWAY = process.env.GATEWAY_URL ?? 'http://localhost:4000/graphql';

function options() {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: String(DEFAULT_HISTORY.seed) },
      orders: { type: 'string', default: String(DEFAULT_HISTORY.orders) },
      days: { type: 'string', default: String(DEFAULT_HISTORY.days) },
      'no-history': { type: 'boolean', default: false },
      'no-live': { type: 'boolean', default: false },
    },
  });
  const int = (name: 'seed' | 'orders' | 'days', min: number, max: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  return { seed: int('seed', 0, 2 ** 31 - 1), orders: int('orders', 0, 100_000), days: int('days', 1, 3 * 365), history: !values['no-history'], live: !values['no-live'] };
}

/** The MongoDB the stack uses: the running `npm start`'s, MONGODB_URI, or the local server started for this run. */
async function mongoForSeed(): Promise<Backing | null> {
  if (loadStackEnv()) {
    log('using the backing services of the running `npm start`');
    return null;
  }
  if (process.env.MONGODB_URI) {
    log('no running `npm start` found; using MONGODB_URI');
    return null;
  }
  log('no running `npm start` and no MONGODB_URI: starting the local MongoDB server as `npm start` would, for this run');
  const backing = await ensureMongo({ dataDir: path.resolve(process.env.DATA_DIR ?? path.join(ROOT, '.data')), log });
  log(backing.description);
  Object.assign(process.env, backing.env);
  return backing;
}

async function main() {
  const opts = options();
  const started = Date.now();
  // Demo accounts with passwords printed in the README have no place in production.
  if (process.env.NODE_ENV === 'production') throw new Error('npm run seed makes demo accounts with public passwords: refused with NODE_ENV=production (use npm run create-admin)');
  const backing = await mongoForSeed();
  const env = parseEnvOrExit(baseEnvSchema);
  const connect = (service: string) => mongoose.createConnection(env.MONGODB_URI, { dbName: `${env.DB_PREFIX}${service}`, autoIndex: false }).asPromise();
  const db: Record<'customers' | 'products' | 'orders' | 'payments', Connection> = {
    customers: await connect('customers'),
    products: await connect('products'),
    orders: await connect('orders'),
    payments: await connect('payments'),
  };
  try {
    log(`accounts: ${JSON.stringify(await seedCustomers(db.customers))}`);
    log('catalog: writing 8 categories and 300 products…');
    log(`catalog: ${JSON.stringify(await seedCatalog(db.products))}`);
    if (opts.history) {
      const report = await seedHistory(db, { ...DEFAULT_HISTORY, seed: opts.seed, orders: opts.orders, days: opts.days, log });
      log(`history: ${report.replayed} checkouts replayed, ${report.existing} already there (same seed), in ${report.seconds.toFixed(1)} s`);
      log(`history: outcomes ${JSON.stringify(report.byOutcome)}; messages consumed ${JSON.stringify(report.consumed)}; not sent (history's stock is not replayed): ${JSON.stringify(report.notSent)}`);
    }
  } finally {
    await Promise.all(Object.values(db).map((c) => c.close()));
    await backing?.stop();
  }
  if (opts.live) {
    if (await gatewayIsReady(GATEWAY)) await seedLivePurchases(GATEWAY, log);
    else log(`the gateway at ${GATEWAY} is not running: skipped today's ten live checkouts (start the stack with npm start and run npm run seed again to add them)`);
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s. Sign in as ${SEED_ADMIN.email} / ${SEED_ADMIN.password} (admin) or any seeded customer / ${SEED_CUSTOMER_PASSWORD}`);
}

main().catch((err) => {
  const message = err instanceof Error ? err.message : String(err);
  // The driver's words for a database that never answered; say which one and what to check.
  const unreachable = err instanceof Error && /ServerSelection/.test(err.name);
  process.stderr.write(unreachable ? `[seed] cannot reach MongoDB at ${printableUrl(process.env.MONGODB_URI ?? '')} (${message}): ${notRunningHint(loadStackEnv(), 'MONGODB_URI')}\n` : `[seed] ${message}\n`);
  process.exit(1);
});
