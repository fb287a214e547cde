import { deliverAll, planDeliveries, type DeliveryStats } from './deliveries';
import { startFaults, type FaultLog, type FaultPlan } from './faults';
import { chaosFigures, type ChaosFigures } from './figures';
import { observe, republishedBy, waitUntilQuiet } from './observe';
import { seededRandom } from './random';
import { createCatalog, gatewayClient, makeCheckouts, registerShoppers } from './shop';
import { startChaosStack, type ChaosProcess } from './stack';

/**
 * One chaos run, shared by `npm run chaos` and its CI version (test/chaos.test.ts): start the stack,
 * make N checkouts through the gateway, deliver their webhooks the way Stripe does while faults
 * are injected, then wait until quiet and take the figures.
 */
export interface ChaosOptions {
  n: number;
  replicas: number;
  seed: number;
  faults: FaultPlan;
  /** Webhook deliveries in flight at once, and first attempts per second (0: unpaced). */
  deliveryConcurrency: number;
  deliveriesPerSecond: number;
  checkoutConcurrency: number;
  quietTimeoutMs: number;
  /** The workers' safety net, shortened so a loss is repaired within the run. */
  safetyNet: { graceMs: number; intervalMs: number; lookbackMs: number };
  log: (m: string) => void;
}

export interface ChaosResult {
  figures: ChaosFigures;
  faults: FaultLog;
  deliveries: DeliveryStats & { events: number; planned: number };
  secondsToQuiet: number | null;
  /** Until payments, orders, analytics and their queues were done (notifications may still be retrying). */
  secondsToPipelineQuiet: number | null;
  /** Messages the workers' safety nets republished over the run. */
  republished: number;
  /** What was still unfinished when the wait for quiet gave up (empty when quiet). */
  left: string[];
  phases: Record<string, number>;
}

/**
 * The mix: a worker killed every few seconds, Redis crashed once (in full flow, so its lost
 * second holds traffic), the whole stack killed once.
 */
export const DEFAULT_FAULTS: FaultPlan = { workerKillEveryMs: [2_000, 5_000], workerKillsAt: [], redisCrashAt: 0.3, stackKillAt: 0.6, restartAfterMs: [500, 2_000] };

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const random = seededRandom(opts.seed);
  const phases: Record<string, number> = {};
  let mark = Date.now();
  const phase = (name: string) => {
    phases[name] = (Date.now() - mark) / 1000;
    mark = Date.now();
  };
  const stack = await startChaosStack({
    replicas: opts.replicas,
    log: opts.log,
    extraEnv: { SAFETY_NET_GRACE_MS: String(opts.safetyNet.graceMs), SAFETY_NET_INTERVAL_MS: String(opts.safetyNet.intervalMs), SAFETY_NET_LOOKBACK_MS: String(opts.safetyNet.lookbackMs) },
  });
  const observer = await observe(stack);
  try {
    await stack.start();
    phase('startSeconds');
    opts.log(`started ${stack.processes.length} processes: ${stack.processes.map((p) => p.name).join(', ')} (NODE_ENV=production)`);
    const gql = gatewayClient(stack.gatewayUrl);
    const catalog = await createCatalog(gql, stack.jwtSecret, 10, opts.n * 4);
    const shoppers = await registerShoppers(gql, Math.min(20, opts.n));
    const checkoutFailures: string[] = [];
    const checkouts = await makeCheckouts(gql, shoppers, catalog, opts.n, random, {
      concurrency: opts.checkoutConcurrency,
      onProgress: (done) => done % 500 === 0 && opts.log(`  ${done}/${opts.n} checkouts`),
      failures: checkoutFailures,
    });
    phase('checkoutSeconds');
    if (checkoutFailures.length) opts.log(`${checkoutFailures.length} checkout attempts failed and were tried again (same idempotency key), e.g. ${checkoutFailures[0]}`);
    // The intent id as Stripe (stripe-mock) assigned it, which its events carry.
    const intents = new Map((await observer.payments.find({ _id: { $in: checkouts.map((c) => c._id) } }, { intentId: 1 }).lean()).map((p) => [p._id, p.intentId]));
    for (const c of checkouts) c.intentId = intents.get(c._id) ?? c.intentId;
    const plan = planDeliveries(checkouts, random);
    opts.log(`${checkouts.length} checkouts through the gateway; delivering ${plan.deliveries.length} signed webhooks for ${plan.events} events while injecting faults`);
    // Faults follow the deliveries sent so far (first attempts), so an outage does not hold them back.
    let sent = 0;
    // A killed worker's counters die with it: read them just before.
    let republished = 0;
    const tally = async (p: ChaosProcess) => void (republished += await republishedBy(stack, p));
    const faults = startFaults(stack, opts.faults, () => sent / plan.deliveries.length, random, opts.log, tally);
    const deliveries = await deliverAll(plan, stack.webhookUrl, stack.webhookSecret, random, {
      concurrency: opts.deliveryConcurrency,
      perSecond: opts.deliveriesPerSecond,
      onFirstAttempt: (count) => (sent = count),
    });
    const faultLog = await faults.stop();
    phase('deliverySeconds');
    const quiet = await waitUntilQuiet(observer, plan.fates, opts.quietTimeoutMs, opts.log);
    phase('quietSeconds');
    const figures = await chaosFigures(observer, plan.fates, catalog, { url: stack.redis.url, prefix: stack.queuePrefix }, { webUrl: stack.mailpitUrl, from: stack.mailFrom });
    for (const p of stack.processes) await tally(p);
    return {
      republished,
      figures,
      faults: faultLog,
      deliveries: { ...deliveries, events: plan.events, planned: plan.deliveries.length },
      secondsToQuiet: quiet.left.length ? null : Math.round(quiet.seconds * 10) / 10,
      secondsToPipelineQuiet: quiet.pipelineSeconds === null ? null : Math.round(quiet.pipelineSeconds * 10) / 10,
      left: quiet.left,
      phases,
    };
  } finally {
    await observer.close();
    await stack.stop();
  }
}

/** Nothing lost, nothing doubled (orders or emails), no drift, no job failed for good, and the system went quiet. */
export function chaosPassed(r: ChaosResult): boolean {
  const f = r.figures;
  const orders = f.lost === 0 && f.duplicated === 0 && f.drift === 0 && f.stockDrift === 0 && f.failedJobs === 0;
  const emails = f.emails.missing === 0 && f.emails.duplicated === 0 && f.emails.unowed === 0;
  return orders && emails && r.secondsToQuiet !== null;
}
