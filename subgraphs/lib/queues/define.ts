import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';
import { DEFAULT_JOB_OPTIONS } from './policy';

/** Every payload carries the request id it was caused by, so workers log under it. */
export type Payload = { requestId: string };

/**
 * Everything about one queue in one place: its name, its job name, the zod schema of its payload,
 * how a payload's job id is derived (deterministic: publishing the same fact twice is one job), its
 * retry policy, and whether it carries money (a job failing for good there is alerted on).
 * Producers, outboxes and workers are typed and validated from it.
 */
export interface QueueDefinition<S extends z.ZodType<Payload> = z.ZodType<Payload>, N extends string = string> {
  name: N;
  jobName: string;
  schema: S;
  jobId(payload: z.infer<S>): string;
  jobOptions: JobsOptions;
  /** Payment results, refunds, stock commands: the consequences of money moving. */
  money: boolean;
  /** What the queue carries, for admins and docs. */
  description: string;
}

export type PayloadOf<D> = D extends QueueDefinition<infer S, string> ? z.infer<S> : never;

export function defineQueue<S extends z.ZodType<Payload>, const N extends string>(def: Omit<QueueDefinition<S, N>, 'jobOptions'> & { jobOptions?: JobsOptions }): QueueDefinition<S, N> {
  return { ...def, jobOptions: { ...DEFAULT_JOB_OPTIONS, ...def.jobOptions } };
}
