import type { Model } from 'mongoose';
import { z } from 'zod';
import type { Logger } from './logger';
import { runEvery } from './periodic';
import type { OutboxFields } from './outbox';
import type { RestoreCounts } from './lost-jobs';

/**
 * The safety net under the outbox (outbox.ts). The outbox guarantees a message reaches Redis and
 * is then marked published; it cannot guarantee Redis keeps it: with `appendonly everysec` a Redis
 * that dies loses up to the last second of jobs it had acknowledged. So a periodic sweep looks at
 * documents whose outbox is fully published and that last changed between `lookback` and `grace`
 * ago, checks that each message had its effect (an order exists, an analytics marker exists...),
 * and republishes the ones whose effect is missing and whose job Redis no longer has
 * (lost-jobs.ts), under the same job id: the consumers are idempotent, so a republish can only
 * finish what was lost.
 *
 * Cost: each pass reads only documents changed since the previous pass (a watermark), served by
 * the outbox relay's index {outboxPending: 1, updatedAt: 1}, a page at a time, with one batched
 * ($in) effect check per page. The watermark is the one piece of per-process state, and cheap to
 * lose: a process that starts (or restarts) looks back over `lookback` once.
 */
export interface SafetyNetSettings {
  /** How long a published message gets to have its effect before its absence counts as a loss. */
  graceMs: number;
  /** How often a pass runs. */
  intervalMs: number;
  /** How far back a process looks at start (and at most, after a pass failed). */
  lookbackMs: number;
  /** Documents per page (one effect check each). */
  pageSize: number;
}

export const DEFAULT_SAFETY_NET: SafetyNetSettings = { graceMs: 3 * 60_000, intervalMs: 60_000, lookbackMs: 60 * 60_000, pageSize: 500 };

/** A worker's safety-net settings from its environment: SAFETY_NET_GRACE_MS, SAFETY_NET_INTERVAL_MS, SAFETY_NET_LOOKBACK_MS. */
export const safetyNetEnvSchema = z
  .object({
    SAFETY_NET_GRACE_MS: z.coerce.number().int().min(0).default(DEFAULT_SAFETY_NET.graceMs),
    SAFETY_NET_INTERVAL_MS: z.coerce.number().int().min(100).default(DEFAULT_SAFETY_NET.intervalMs),
    SAFETY_NET_LOOKBACK_MS: z.coerce.number().int().min(1000).default(DEFAULT_SAFETY_NET.lookbackMs),
  })
  .transform((env): SafetyNetSettings => ({ ...DEFAULT_SAFETY_NET, graceMs: env.SAFETY_NET_GRACE_MS, intervalMs: env.SAFETY_NET_INTERVAL_MS, lookbackMs: env.SAFETY_NET_LOOKBACK_MS }));

export type SettledDoc = Pick<OutboxFields, '_id' | 'outbox' | 'outboxDone'> & { updatedAt: Date };

/**
 * Documents whose outbox is all published and that last changed in [from, to), oldest first, a
 * page at a time, in the order of the index {outboxPending: 1, updatedAt: 1} (no sort in memory).
 * A page ends with every document of its last instant (one equality read), so no document is split
 * across pages; the next page starts after that instant. `filter` narrows further; `projection`
 * adds fields to outbox, outboxDone and updatedAt.
 */
export async function* settledPages<D extends SettledDoc>(model: Model<any>, window: { from: Date; to: Date }, pageSize: number, filter: object, projection: Record<string, 1>): AsyncGenerator<D[]> {
  const fields = { ...projection, outbox: 1, outboxDone: 1, updatedAt: 1 };
  let after: Date | null = null;
  for (;;) {
    const since = after ? { $gt: after } : { $gte: window.from };
    const page: D[] = await model.find({ outboxPending: 0, updatedAt: { ...since, $lt: window.to }, ...filter }, fields).sort({ updatedAt: 1 }).limit(pageSize).lean<D[]>();
    if (page.length < pageSize) {
      if (page.length) yield page;
      return;
    }
    const last: Date = page[page.length - 1].updatedAt;
    const atLast: D[] = await model.find({ outboxPending: 0, updatedAt: last, ...filter }, fields).lean<D[]>();
    yield [...page.filter((d) => d.updatedAt < last), ...atLast];
    after = last;
  }
}

/** One pass over [from, to): what it found and did. */
export type PassResult = RestoreCounts & { checked: number };

export interface SafetyNet {
  /** Runs one pass now (what the timer does); resolves when it is done, with null when nothing was due or it failed. */
  runOnce(): Promise<PassResult | null>;
  stop(): Promise<void>;
}

/**
 * Runs `pass` over the window that became due since the last pass: from the watermark (at start,
 * `lookback` ago) to `grace` ago. A pass that fails leaves the watermark, so the next pass covers
 * its window again (never further back than `lookback`).
 */
export function startSafetyNet(name: string, settings: SafetyNetSettings, logger: Logger, pass: (window: { from: Date; to: Date }) => Promise<PassResult>): SafetyNet {
  let scannedUntil = new Date(Date.now() - settings.lookbackMs);
  const once = async (): Promise<PassResult | null> => {
    const now = Date.now();
    const to = new Date(now - settings.graceMs);
    const from = new Date(Math.max(scannedUntil.getTime(), now - settings.lookbackMs));
    if (to <= from) return null;
    const result = await pass({ from, to });
    scannedUntil = to;
    if (result.republished || result.failedForGood || result.completedWithoutEffect) logger.warn(`${name}: published messages without their effect`, { ...result, from, to });
    return result;
  };
  const passOrNull = () =>
    once().catch((err) => {
      logger.warn(`${name} pass failed; its window is checked again next pass`, { error: String(err) });
      return null;
    });
  return runEvery(settings.intervalMs, passOrNull, { immediately: true });
}
