import type { ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueDeps } from '../lib/queues';

/** BullMQ bundles its own ioredis typings; the instance is the same library at runtime. */
export function queueDeps(redis: Redis, prefix: string): QueueDeps {
  return { connection: redis as unknown as ConnectionOptions, prefix };
}
