import { chaosPassed, runChaos, type ChaosResult } from '../scripts/chaos/run';

/**
 * `npm run chaos` in small (scripts/chaos.ts runs it at N=2,000 with two replicas of every
 * worker): every process of the stack is a child process in production mode; 20 checkouts go
 * through the gateway; their webhooks are delivered as Stripe does (some twice or three times,
 * some failed, some failed then paid, shuffled, retried when refused); meanwhile one worker is
 * SIGKILLed, then Redis crashes (losing its last second of acknowledged writes), then the whole stack
 * is SIGKILLed. Customer emails go to the run's own Mailpit, where each customer's are counted. One
 * replica of each worker keeps it to one to three minutes.
 */
describe('chaos: processes and Redis die while payments arrive', () => {
  let result: ChaosResult;

  beforeAll(async () => {
    result = await runChaos({
      n: 20,
      replicas: 1,
      seed: 20_240_601,
      faults: { workerKillEveryMs: null, workerKillsAt: [0.15], redisCrashAt: 0.35, stackKillAt: 0.6, restartAfterMs: [300, 600] },
      deliveryConcurrency: 4,
      deliveriesPerSecond: 2,
      checkoutConcurrency: 4,
      // A job cut off by the stack kill stays `active` until BullMQ's stalled check sees its lock
      // expired: 30 s lock + up to 30 s between checks, so quiet may take over a minute after the kill.
      quietTimeoutMs: 150_000,
      safetyNet: { graceMs: 3_000, intervalMs: 1_000, lookbackMs: 10 * 60_000 },
      log: (m) => process.env.CHAOS_LOG && process.stdout.write(`[chaos] ${m}\n`),
    });
  }, 330_000);

  it('one fault of each kind happened while webhooks were being delivered', () => {
    expect(result.faults).toMatchObject({ workerKills: 1, stackKills: 1, redisCrashes: 1 });
    // The outage was felt: some deliveries were refused and delivered again later.
    expect(result.deliveries.retried).toBeGreaterThan(0);
    expect(result.deliveries.abandoned).toBe(0);
  });

  it('every paid checkout has exactly one paid order, every failed one its failed attempt', () => {
    const f = result.figures;
    expect(f.paymentsSucceeded).toBe(f.expectedSucceeded);
    expect(f.ordersPaid).toBe(f.expectedSucceeded);
    expect(f.ordersPerPayment).toEqual({ none: 0, one: 20, moreThanOne: 0 });
    expect([f.lost, f.duplicated]).toEqual([0, 0]);
  });

  it('the rollups, the reconciliation and the stock all agree with the payments', () => {
    const f = result.figures;
    expect(f.rollups.revenueCents).toBe(f.rollups.expectedRevenueCents);
    expect(f.rollups.succeeded).toBe(f.expectedSucceeded);
    expect(f.reconciliation).toEqual({ driftCount: 0, unmatchedCount: 0 });
    expect(f.stockDriftByProduct).toEqual({});
    expect([f.drift, f.stockDrift, f.failedJobs]).toEqual([0, 0, 0]);
  });

  it('every paid order and every failed payment emailed its customer once, or shows admins the send a kill cut off', () => {
    const e = result.figures.emails;
    // 20 orders, each at least one email (a payment that failed and then succeeded owes two).
    expect(e.owed).toBeGreaterThanOrEqual(20);
    expect(e.missingByRecord).toEqual({});
    expect([e.missing, e.duplicated, e.unowed]).toEqual([0, 0, 0]);
    // A kill inside an SMTP exchange leaves that email FAILED for an admin to resend, never sent twice.
    expect(e.receivedOnce + e.interrupted).toBe(e.owed);
  });

  it('everything went quiet on its own, emails included, and the run passes as npm run chaos judges it', () => {
    // A send cut off by a kill holds its record for the lease (20 s in the chaos stack), then settles.
    expect(result.left).toEqual([]);
    expect(result.secondsToPipelineQuiet).not.toBeNull();
    expect(result.secondsToQuiet).not.toBeNull();
    expect(chaosPassed(result)).toBe(true);
  });
});
