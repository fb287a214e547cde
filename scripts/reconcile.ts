/**
 * `npm run reconcile [-- --from 2024-01-01 --to 2024-02-01]`: payments, orders and analytics
 * rollups checked against each other (see docs/analytics.md, "Reconciliation"). An operator's
 * tool, so it reads the payments database directly (the running services never do) and lists
 * every payment, including ones that never produced an order, event or job.
 * Uses the running `npm start` stack's backing services, or MONGODB_URI / REDIS_URL / DB_PREFIX /
 * QUEUE_PREFIX from the environment. Exit code 1 when anything drifts or is unmatched; 2 when it
 * cannot run (within seconds, with a hint, when MongoDB or Redis does not answer).
 */
import mongoose, { type Connection } from 'mongoose';
import { parseEnvOrExit } from '../subgraphs/lib/env';
import { baseEnvSchema } from '../subgraphs/lib/config';
import { orderModel } from '../subgraphs/orders/model';
import { analyticsModels } from '../subgraphs/orders/analytics/model';
import { reconciliationReport, type PaymentFact } from '../subgraphs/orders/analytics/reconcile';
import type { DateRange } from '../subgraphs/orders/analytics/periods';
import { connectRedisForCli, loadStackEnvForCli, reachMongo } from './backing/stack-env';

function arg(name: string): Date | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const d = new Date(process.argv[i + 1] ?? '');
  if (Number.isNaN(d.getTime())) throw new Error(`--${name} must be an ISO 8601 date`);
  return d;
}

/** Payments created in the range plus the given ids, read straight from the payments database. */
export function paymentsFromDatabase(paymentsDb: Connection) {
  const payments = paymentsDb.db!.collection('payments');
  return async (range: DateRange, ids: string[]): Promise<PaymentFact[]> => {
    const docs = await payments.find({ $or: [{ createdAt: { $gte: range.from, $lt: range.to } }, { _id: { $in: ids as never[] } }] }).toArray();
    return docs.map((p) => ({ id: String(p._id), status: p.status, amountCents: p.amountCents, refundedCents: p.refundedCents ?? 0, currency: p.currency }));
  };
}

async function main() {
  const from = arg('from');
  const to = arg('to');
  if (!from !== !to) throw new Error('give both --from and --to, or neither (all time)');
  const foundStack = loadStackEnvForCli('reconcile');
  const env = parseEnvOrExit(baseEnvSchema);
  const connect = (dbName: string) => reachMongo(env.MONGODB_URI, foundStack, (serverSelectionTimeoutMS) => mongoose.createConnection(env.MONGODB_URI, { dbName, serverSelectionTimeoutMS }).asPromise());
  const ordersDb = await connect(`${env.DB_PREFIX}orders`);
  const paymentsDb = await connect(`${env.DB_PREFIX}payments`);
  try {
    // The failed-jobs check below waits for Redis without limit: find out first, in seconds, whether it answers.
    await (await connectRedisForCli(env.REDIS_URL, foundStack)).quit();
    const report = await reconciliationReport(
      {
        orders: orderModel(ordersDb),
        analytics: analyticsModels(ordersDb),
        payments: paymentsFromDatabase(paymentsDb),
        redis: { url: env.REDIS_URL, prefix: env.QUEUE_PREFIX },
      },
      from,
      to,
    );
    const out = (s: string) => process.stdout.write(`${s}\n`);
    out(`Reconciliation ${report.from.toISOString()} → ${report.to.toISOString()} (UTC)`);
    for (const c of report.classes) out(`  ${c.kind.padEnd(28)} ${String(c.count).padStart(7)}${c.count && c.kind !== 'MATCHED' ? `  ${c.ids.join(' ')}` : ''}`);
    out(`  rollup drift: ${report.driftCount}`);
    for (const d of report.drift) out(`    ${d.currency} ${d.figure}: rollup ${d.rollup}, recomputed from orders ${d.recomputed}`);
    out(`  unmatched: ${report.unmatchedCount}`);
    out(JSON.stringify({ driftCount: report.driftCount, unmatchedCount: report.unmatchedCount, counts: Object.fromEntries(report.classes.map((c) => [c.kind, c.count])) }));
    process.exitCode = report.driftCount || report.unmatchedCount ? 1 : 0;
  } finally {
    await ordersDb.close();
    await paymentsDb.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`reconcile failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
