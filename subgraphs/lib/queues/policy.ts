import type { JobsOptions } from 'bullmq';

/**
 * How long a job whose handler throws (a database or peer outage) keeps being retried: 40
 * attempts with exponential backoff capped at MAX_BACKOFF_MS, about 2.6 hours, for every queue, so
 * that an outage of an hour ends with every paid payment's order created without anyone acting (a
 * dropped analytics event or an expiry that never runs costs money too, only later). A payload
 * that can never succeed fails at once (UnrecoverableError: the only permanent-failure rule).
 * Failed jobs are kept (inspectable, retryable by admins, counted by queue_jobs_exhausted_total);
 * completed ones a week, so a repeated jobId stays a no-op.
 */
export const ATTEMPTS = 40;
export const BACKOFF_BASE_MS = 1_000;
export const MAX_BACKOFF_MS = 5 * 60_000;
export const CAPPED_BACKOFF = 'capped-exponential';

/** Delay before retry number `attemptsMade` (1 = the first retry): doubling from 1 s, at most 5 min. */
export function cappedBackoff(attemptsMade: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attemptsMade - 1), MAX_BACKOFF_MS);
}

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: ATTEMPTS,
  backoff: { type: CAPPED_BACKOFF },
  removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
  removeOnFail: false,
};
