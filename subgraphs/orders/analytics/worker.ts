import type { Worker } from 'bullmq';
import type { Logger } from '../../lib/logger';
import { analyticsEventSchema, QUEUES, type QueueDeps } from '../../lib/queues';
import { createValidatedWorker } from '../../lib/worker';
import { applyAnalyticsEvent, resumeUnfinished } from './apply';
import type { AnalyticsModels } from './model';

export const SWEEP_INTERVAL_MS = 30_000;

/**
 * Consumes QUEUES.analytics: each event applied to the rollups once (apply.ts); duplicates end as no-ops.
 * Concurrency 1: FerretDB v1 (our MongoDB-compatible server here) does not apply concurrent updates
 * to one document atomically (measured: concurrent $inc's on a hot month document were lost), and
 * every event of a day touches the same few documents. On MongoDB, raise ANALYTICS_CONCURRENCY.
 */
export const ANALYTICS_CONCURRENCY = Number(process.env.ANALYTICS_CONCURRENCY ?? 1);

export function createAnalyticsWorker(models: AnalyticsModels, deps: QueueDeps & { logger: Logger }): Worker {
  return createValidatedWorker(QUEUES.analytics, analyticsEventSchema, async (event, { logger }) => {
    const outcome = await applyAnalyticsEvent(models, event);
    if (outcome !== 'applied') logger.info('analytics event', { eventId: event.eventId, outcome });
    return outcome;
  }, deps, { concurrency: ANALYTICS_CONCURRENCY });
}

/**
 * Finishes events a crashed worker left half-applied (their lease ran out), at start and every
 * SWEEP_INTERVAL_MS, so even a job that exhausted its retries ends up counted exactly once.
 */
export function startSweeper(models: AnalyticsModels, logger: Logger): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    running = resumeUnfinished(models)
      .then((n) => n && logger.warn('resumed unfinished analytics events', { count: n }))
      .catch((err) => logger.error('analytics sweep failed', { error: String(err) }));
  };
  sweep();
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
