import type { Worker } from 'bullmq';
import type { Logger } from '../../lib/logger';
import { analyticsEventsQueue, type QueueDeps } from '../../lib/queues';
import { createValidatedWorker } from '../../lib/worker';
import { applyAnalyticsEvent } from './apply';
import type { AnalyticsModels } from './model';
import { sweepUnfinished } from './sweep';
import { runEvery } from '../../lib/periodic';

export const SWEEP_INTERVAL_MS = 30_000;

/**
 * Jobs in flight per worker process. Events of a day all hit the same few rollup documents; the
 * store applies each `$inc` atomically, so any concurrency (and any number of processes) is safe.
 * An event is four round trips and little CPU: at 8 the worker waited on the network while events
 * queued behind the orders worker's (raised with it, see PAYMENT_RESULTS_CONCURRENCY).
 */
export const DEFAULT_ANALYTICS_CONCURRENCY = 32;

/** Consumes the analytics-events queue: each event applied to the rollups once (apply.ts); duplicates end as no-ops. */
export function createAnalyticsWorker(models: AnalyticsModels, deps: QueueDeps & { logger: Logger }, concurrency = DEFAULT_ANALYTICS_CONCURRENCY): Worker {
  return createValidatedWorker(analyticsEventsQueue, async (event, { logger }) => {
    const outcome = await applyAnalyticsEvent(models, event);
    if (outcome !== 'applied') logger.info('analytics event', { eventId: event.eventId, outcome });
    return outcome;
  }, deps, { concurrency });
}

/** Runs the sweep (sweep.ts) at start and every SWEEP_INTERVAL_MS; returns its stopper. */
export function startSweeper(models: AnalyticsModels, logger: Logger): () => Promise<void> {
  const sweep = () =>
    sweepUnfinished(models)
      .then((r) => (r.resumed || r.released || r.failed.length) && logger.warn('analytics sweep finished stopped work', { ...r }))
      .catch((err) => logger.error('analytics sweep failed', { error: String(err) }));
  return runEvery(SWEEP_INTERVAL_MS, sweep, { immediately: true }).stop;
}
