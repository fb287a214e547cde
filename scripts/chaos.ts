/**
 * `npm run chaos [-- --n 2000 --replicas 2 --seed 42 --per-second 40 --quiet-timeout-seconds 600 --safety-net-grace-seconds 15]`: N paid checkouts through the gateway, their
 * Stripe webhooks delivered at least once and out of order (about 30% two or three times, 15%
 * failed, 5% failed then succeeded), while a random worker replica is SIGKILLed every few seconds,
 * the whole stack is SIGKILLed once and Redis once; failed deliveries are retried as Stripe would.
 * Then it waits until the system is quiet and prints what it finds. A script, not a test, like the
 * benchmarks: it starts and stops everything it needs. The last line is JSON; the exit code is 1 on
 * any loss, duplicate or drift, a job failed for good, an email missing, doubled or never owed,
 * or no quiet (scripts/chaos/run.ts), and 2 when the run could not be made (a bad argument: its message only).
 */
import { chaosPassed, DEFAULT_FAULTS, runChaos, type ChaosResult } from './chaos/run';

const log = (m: string) => process.stdout.write(`[chaos] ${m}\n`);

/** A mistake on the command line: its message is all the user needs, not a stack trace. */
class ArgumentError extends Error {}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new ArgumentError(`--${name} must be a positive whole number (got ${process.argv[i + 1] ?? 'nothing'})`);
  return value;
}

function report(r: ChaosResult, n: number, replicas: number): void {
  const f = r.figures;
  const failures = Object.entries(r.deliveries.failures).map(([why, count]) => `${why} ${count}`).join(', ') || 'none';
  log(`faults: ${r.faults.workerKills} worker kills, ${r.faults.stackKills} whole-stack kill (down ${r.faults.stackDownSeconds.toFixed(1)} s), ${r.faults.redisCrashes} Redis crash, ${r.faults.unexpectedExits} unexpected exits`);
  log(`webhooks: ${r.deliveries.planned} deliveries of ${r.deliveries.events} events, ${r.deliveries.attempts} attempts, ${r.deliveries.retried} retried later (${failures}), ${r.deliveries.abandoned} abandoned`);
  log(`webhook answers: ${JSON.stringify(r.deliveries.outcomes)}`);
  log(`payments succeeded: ${f.paymentsSucceeded} (planned ${f.expectedSucceeded})`);
  log(`orders paid: ${f.ordersPaid}`);
  log(`orders per payment: 0 → ${f.ordersPerPayment.none}, 1 → ${f.ordersPerPayment.one}, more than 1 → ${f.ordersPerPayment.moreThanOne}`);
  log(`rollups: ${f.rollups.succeeded} succeeded, ${f.rollups.failed} failed, revenue ${f.rollups.revenueCents} cents (payments say ${f.rollups.expectedRevenueCents})`);
  log(`reconciliation: drift ${f.reconciliation.driftCount}, unmatched ${f.reconciliation.unmatchedCount}`);
  const off = Object.entries(f.stockDriftByProduct);
  log(`stock drift: ${f.stockDrift}${off.length ? '' : ' (every product matches what was sold and is still held)'}`);
  for (const [id, s] of off) log(`  ${id}: onHand ${s.onHand} (expected ${s.expectedOnHand}), reserved ${s.reserved} (expected ${s.expectedReserved})`);
  log(`failed jobs: ${f.failedJobs}`);
  for (const [queue, failed] of Object.entries(f.failedJobsByQueue)) log(`  ${queue}: ${failed.count} (${failed.reasons.join('; ')})`);
  const e = f.emails;
  const why = Object.entries(e.missingByRecord).map(([state, count]) => `${count} ${state}`).join(', ');
  log(`emails: ${e.owed} owed, ${e.receivedOnce} received once, ${e.missing} missing${why ? ` (records: ${why})` : ''}, ${e.interrupted} cut off mid-send by a kill (FAILED, listed for admins to resend), ${e.duplicated} received more than once, ${e.unowed} not owed`);
  log(`safety net: ${r.republished} messages Redis lost republished (the crash dropped ${r.faults.redisBytesLost} bytes of acknowledged writes)`);
  log(r.secondsToQuiet === null ? `never quiet: ${r.left.join(', ')}` : `time to quiet after the last delivery: ${r.secondsToQuiet} s (payments, orders and analytics done after ${r.secondsToPipelineQuiet} s)`);
  log(`phases (s): ${JSON.stringify(r.phases)}`);
  const summary = { lost: f.lost, duplicated: f.duplicated, drift: f.drift, stockDrift: f.stockDrift, failedJobs: f.failedJobs, emailsMissing: f.emails.missing, emailsInterrupted: f.emails.interrupted, emailsDuplicated: f.emails.duplicated, emailsUnowed: f.emails.unowed, secondsToQuiet: r.secondsToQuiet, secondsToPipelineQuiet: r.secondsToPipelineQuiet, n, replicas, republished: r.republished, workerKills: r.faults.workerKills, stackKills: r.faults.stackKills, redisCrashes: r.faults.redisCrashes, redisBytesLost: r.faults.redisBytesLost };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

async function main() {
  const n = arg('n', 2000);
  const replicas = arg('replicas', 2);
  const seed = arg('seed', Math.floor(Math.random() * 1e9));
  log(`N=${n}, ${replicas} replica(s) of every worker, seed ${seed}`);
  const result = await runChaos({
    n,
    replicas,
    seed,
    faults: DEFAULT_FAULTS,
    deliveryConcurrency: 16,
    deliveriesPerSecond: arg('per-second', 40),
    checkoutConcurrency: 8,
    quietTimeoutMs: arg('quiet-timeout-seconds', 600) * 1000,
    // Short, so losses are repaired within the run; --safety-net-grace-seconds 3600 shows what happens without it.
    safetyNet: { graceMs: arg('safety-net-grace-seconds', 15) * 1000, intervalMs: 3_000, lookbackMs: 3_600_000 },
    log,
  });
  report(result, n, replicas);
  process.exitCode = chaosPassed(result) ? 0 : 1;
}

main().catch((err) => {
  const said = err instanceof ArgumentError ? err.message : err instanceof Error ? err.stack : String(err);
  process.stderr.write(`[chaos] ${said}\n`);
  process.exit(2);
});
