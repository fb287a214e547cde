import type { Job } from 'bullmq';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../lib/errors';
import { ADMIN_QUEUES, ADMIN_QUEUE_KEYS, type AdminQueueKey, type OrderQueues } from './queues';

/** Admin view of the pipeline queues: counts per state, failed jobs with their reason, and retry. */
export const queueKeySchema = z.enum(ADMIN_QUEUE_KEYS as [AdminQueueKey, ...AdminQueueKey[]]);
export const failedJobsArgsSchema = z.object({ queue: queueKeySchema, limit: z.number().int().min(1).max(200).default(20) });
export const retryArgsSchema = z.object({ queue: queueKeySchema, jobId: z.string().min(1).max(300) });

export interface QueueStatusView {
  queue: AdminQueueKey;
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

export interface QueueJobView {
  queue: AdminQueueKey;
  id: string;
  name: string;
  state: string;
  failedReason: string | null;
  attemptsMade: number;
  timestamp: string;
  data: string;
}

export async function queueStatus(queues: OrderQueues): Promise<QueueStatusView[]> {
  return Promise.all(
    ADMIN_QUEUE_KEYS.map(async (key) => {
      const c = await queues.byName[ADMIN_QUEUES[key]].getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed');
      return { queue: key, name: ADMIN_QUEUES[key], waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0, completed: c.completed ?? 0 };
    }),
  );
}

export function jobView(queue: AdminQueueKey, job: Job, state: string): QueueJobView {
  return {
    queue,
    id: String(job.id),
    name: job.name,
    state,
    failedReason: job.failedReason ?? null,
    attemptsMade: job.attemptsMade,
    timestamp: new Date(job.timestamp).toISOString(),
    data: JSON.stringify(job.data),
  };
}

export async function failedJobs(queues: OrderQueues, args: z.infer<typeof failedJobsArgsSchema>): Promise<QueueJobView[]> {
  const jobs = await queues.byName[ADMIN_QUEUES[args.queue]].getFailed(0, args.limit - 1);
  return jobs.filter(Boolean).map((job) => jobView(args.queue, job, 'failed'));
}

/** Moves one failed job back to waiting; CONFLICT if it is not failed (nothing to retry). */
export async function retryFailedJob(queues: OrderQueues, args: z.infer<typeof retryArgsSchema>): Promise<QueueJobView> {
  const job = await queues.byName[ADMIN_QUEUES[args.queue]].getJob(args.jobId);
  if (!job) throw new NotFoundError('Job');
  const state = await job.getState();
  if (state !== 'failed') throw new ConflictError(`Only failed jobs can be retried; this one is ${state}`, { state });
  await job.retry('failed');
  return jobView(args.queue, job, await job.getState());
}
