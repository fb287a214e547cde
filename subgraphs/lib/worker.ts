import { UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq';
import type { z } from 'zod';
import type { Logger } from './logger';
import { jobDuration, jobsExhausted } from './metrics';
import { CAPPED_BACKOFF, bullPrefix, cappedBackoff, type QueueDefinition, type QueueDeps } from './queues';
import { runWithRequestScope } from './request-context';

/** Jobs added without our queue's options (another producer) still back off, by a fixed delay. */
const BACKOFF_FALLBACK_MS = 5_000;

/**
 * How many times a job cut off by a dead worker goes back to the queue before BullMQ fails it for
 * good (its default is 1: a job active on two workers that crash in a row, as in a rolling restart
 * or the chaos run, would need an admin). Every consumer is idempotent, so a rerun is always safe;
 * the bound only stops a job that itself kills every worker from doing so forever.
 */
export const MAX_STALLED_COUNT = 5;

export interface JobContext {
  job: Job;
  logger: Logger;
}

/**
 * A BullMQ worker for one queue definition: it validates every payload with the queue's schema before acting.
 * An invalid payload can never succeed, so it fails at once (UnrecoverableError, no retries)
 * and stays in the failed set for inspection; anything else thrown is retried with backoff.
 * Every run is logged under the payload's requestId and timed in `queue_job_duration_seconds`.
 */
export function createValidatedWorker<S extends QueueDefinition['schema']>(
  definition: QueueDefinition<S>,
  handler: (payload: z.infer<S>, ctx: JobContext) => Promise<unknown>,
  deps: QueueDeps & { logger: Logger },
  opts: Partial<Omit<WorkerOptions, 'prefix'>> = {},
): Worker {
  const { name: queueName, schema } = definition;
  const worker = new Worker(
    queueName,
    async (job) => {
      const parsed = schema.safeParse(job.data);
      if (!parsed.success) {
        const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        deps.logger.error('invalid job payload', { queue: queueName, jobId: job.id, why });
        jobDuration.observe({ queue: queueName, outcome: 'invalid' }, 0);
        throw new UnrecoverableError(`invalid payload: ${why}`);
      }
      const payload = parsed.data;
      return runWithRequestScope({ requestId: payload.requestId }, async () => {
        const started = Date.now();
        const end = jobDuration.startTimer({ queue: queueName });
        try {
          const result = await handler(payload, { job, logger: deps.logger });
          end({ outcome: 'completed' });
          deps.logger.info('job done', { queue: queueName, jobId: job.id, attempt: job.attemptsMade + 1, ms: Date.now() - started });
          return result;
        } catch (err) {
          end({ outcome: 'failed' });
          deps.logger.warn('job failed', { queue: queueName, jobId: job.id, attempt: job.attemptsMade + 1, error: String(err) });
          throw err;
        }
      });
    },
    {
      connection: deps.connection,
      prefix: bullPrefix(deps.prefix, queueName),
      concurrency: 8,
      maxStalledCount: MAX_STALLED_COUNT,
      settings: { backoffStrategy: (attemptsMade: number, type?: string) => (type === CAPPED_BACKOFF ? cappedBackoff(attemptsMade) : BACKOFF_FALLBACK_MS) },
      ...opts,
    },
  );
  worker.on('error', (err) => deps.logger.error('worker error', { queue: queueName, error: String(err) }));
  worker.on('failed', (job, err) => {
    const exhausted = !job || err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!exhausted) return;
    const { money } = definition;
    jobsExhausted.inc({ queue: queueName, money: String(money) });
    deps.logger.error('job failed for good: it stays in the failed set until an admin retries it', { queue: queueName, jobId: job?.id, money, error: String(err) });
  });
  return worker;
}
