import { buildIntentEvent, signEvent, type SimulatedEvent } from '../../subgraphs/payments/simulated-webhooks';
import type { Random } from './random';
import { sleep } from './random';
import type { Checkout } from './shop';

/**
 * Webhooks as Stripe delivers them: at least once, in any order, and again later when an attempt
 * fails. Each payment gets a fate; about 30% of events are delivered two or three times; all
 * deliveries are shuffled together. A delivery that fails (connection refused while the payments
 * service is down, a timeout, any non-2xx answer) is retried later with a growing delay, and
 * signed afresh each time, as Stripe does.
 */
export type PaymentFate = 'succeeded' | 'failed' | 'failed-then-succeeded';

export interface DeliveryMix {
  failed: number;
  failedThenSucceeded: number;
  repeated: number;
}

export const STRIPE_LIKE_MIX: DeliveryMix = { failed: 0.15, failedThenSucceeded: 0.05, repeated: 0.3 };

export interface PlannedDelivery {
  paymentId: string;
  event: SimulatedEvent;
}

export interface DeliveryPlan {
  fates: Map<string, PaymentFate>;
  deliveries: PlannedDelivery[];
  events: number;
}

function fateOf(random: Random, mix: DeliveryMix): PaymentFate {
  const r = random.next();
  if (r < mix.failed) return 'failed';
  if (r < mix.failed + mix.failedThenSucceeded) return 'failed-then-succeeded';
  return 'succeeded';
}

export function planDeliveries(checkouts: Checkout[], random: Random, mix: DeliveryMix = STRIPE_LIKE_MIX): DeliveryPlan {
  const fates = new Map<string, PaymentFate>();
  const deliveries: PlannedDelivery[] = [];
  let events = 0;
  const now = Math.floor(Date.now() / 1000);
  for (const checkout of checkouts) {
    const fate = fateOf(random, mix);
    fates.set(checkout._id, fate);
    const outcomes = fate === 'failed' ? (['failed'] as const) : fate === 'succeeded' ? (['succeeded'] as const) : (['failed', 'succeeded'] as const);
    outcomes.forEach((outcome, i) => {
      const event = buildIntentEvent({ payment: checkout, outcome, created: now + i });
      const copies = random.chance(mix.repeated) ? random.int(2, 3) : 1;
      events++;
      for (let c = 0; c < copies; c++) deliveries.push({ paymentId: checkout._id, event });
    });
  }
  return { fates, deliveries: random.shuffle(deliveries), events };
}

export interface DeliveryStats {
  attempts: number;
  acknowledged: number;
  /** Attempts that failed and were delivered again later. */
  retried: number;
  failures: Record<string, number>;
  /** Deliveries given up after MAX_ATTEMPTS (Stripe gives up after 3 days). */
  abandoned: number;
  /** What the endpoint said it did with acknowledged deliveries (applied, duplicate, no-change...). */
  outcomes: Record<string, number>;
}

const MAX_ATTEMPTS = 60;
/** Stripe's schedule is hours apart; compressed to seconds here. */
const retryDelay = (attempt: number, random: Random) => Math.min(500 * 2 ** (attempt - 1), 8_000) + random.int(0, 250);

/** One POST: the endpoint's outcome when acknowledged, else why it failed. */
async function attempt(url: string, delivery: PlannedDelivery, secret: string): Promise<{ outcome: string } | { failure: string }> {
  const { payload, signature } = signEvent(delivery.event, secret);
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload, signal: AbortSignal.timeout(15_000) });
    const body = (await res.json().catch(() => null)) as { outcome?: string } | null;
    return res.ok ? { outcome: body?.outcome ?? 'acknowledged' } : { failure: `HTTP ${res.status}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { failure: cause ?? (err as Error).name ?? 'network error' };
  }
}

interface Task {
  delivery: PlannedDelivery;
  attempts: number;
  notBefore: number;
}

/**
 * Delivers every planned event, `concurrency` at a time and at most `perSecond` first attempts a
 * second (0: unpaced); retries wait for their time without holding a slot. Resolves when every
 * delivery was acknowledged (or abandoned).
 */
export async function deliverAll(plan: DeliveryPlan, url: string, secret: string, random: Random, opts: { concurrency: number; perSecond?: number; onFirstAttempt?: (count: number) => void }): Promise<DeliveryStats> {
  const stats: DeliveryStats = { attempts: 0, acknowledged: 0, retried: 0, failures: {}, abandoned: 0, outcomes: {} };
  const fresh: Task[] = plan.deliveries.map((delivery) => ({ delivery, attempts: 0, notBefore: 0 }));
  const retries: Task[] = [];
  const total = fresh.length;
  const started = Date.now();
  let firstAttempts = 0;
  const nextTask = (): Task | undefined => {
    const due = retries.findIndex((t) => t.notBefore <= Date.now());
    if (due >= 0) return retries.splice(due, 1)[0];
    if (!fresh.length || (opts.perSecond && Date.now() < started + (firstAttempts / opts.perSecond) * 1000)) return undefined;
    opts.onFirstAttempt?.(++firstAttempts);
    return fresh.shift();
  };
  const worker = async () => {
    while (stats.acknowledged + stats.abandoned < total) {
      const task = nextTask();
      if (!task) {
        await sleep(20);
        continue;
      }
      task.attempts++;
      stats.attempts++;
      const answer = await attempt(url, task.delivery, secret);
      if ('outcome' in answer) {
        stats.outcomes[answer.outcome] = (stats.outcomes[answer.outcome] ?? 0) + 1;
        stats.acknowledged++;
      } else if (task.attempts >= MAX_ATTEMPTS) {
        stats.abandoned++;
      } else {
        stats.failures[answer.failure] = (stats.failures[answer.failure] ?? 0) + 1;
        stats.retried++;
        retries.push({ ...task, notBefore: Date.now() + retryDelay(task.attempts, random) });
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return stats;
}
