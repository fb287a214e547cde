import { Queue, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueDefinition } from './define';
import { bullPrefix } from './keys';
import type { z } from 'zod';

/** Where queues live: a Redis connection (shared by a process's queues) and the key prefix. */
export interface QueueDeps {
  connection: ConnectionOptions;
  /** The plain QUEUE_PREFIX; each queue's BullMQ prefix is derived from it by bullPrefix (keys.ts). */
  prefix: string;
}

/** BullMQ bundles its own ioredis typings; at runtime it is the same library, so this cast is safe (and written once). */
export function queueDeps(redis: Redis, prefix: string): QueueDeps {
  return { connection: redis as unknown as ConnectionOptions, prefix };
}

/** A queue opened from its definition: every payload is validated, and its job id derived, before it is added. */
export interface TypedQueue<S extends QueueDefinition['schema'] = QueueDefinition['schema']> {
  readonly definition: QueueDefinition<S>;
  readonly queue: Queue;
  /** Adds the job (a repeat with the same job id is a no-op). `delay` defers it. */
  publish(payload: z.input<S>, opts?: { delay?: number }): Promise<Job>;
  close(): Promise<void>;
}

export function openQueue<S extends QueueDefinition['schema']>(definition: QueueDefinition<S>, deps: QueueDeps): TypedQueue<S> {
  const queue = new Queue(definition.name, { connection: deps.connection, prefix: bullPrefix(deps.prefix, definition.name), defaultJobOptions: definition.jobOptions });
  return {
    definition,
    queue,
    publish(payload, opts = {}) {
      const data = definition.schema.parse(payload);
      return queue.add(definition.jobName, data, { ...opts, jobId: definition.jobId(data) });
    },
    close: () => queue.close(),
  };
}
