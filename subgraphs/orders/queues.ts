import type { ConnectionOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES, createQueue, type QueueName } from '../lib/queues';

/** The queues the orders domain consumes or feeds, as shown to admins (queueStatus, failedJobs). */
export const ADMIN_QUEUES = {
  PAYMENT_RESULTS: QUEUES.paymentResults,
  ANALYTICS_EVENTS: QUEUES.analytics,
  INVENTORY_COMMANDS: QUEUES.inventory,
  REFUND_REQUESTS: QUEUES.refunds,
} as const satisfies Record<string, QueueName>;
export type AdminQueueKey = keyof typeof ADMIN_QUEUES;
export const ADMIN_QUEUE_KEYS = Object.keys(ADMIN_QUEUES) as AdminQueueKey[];

export type OrderQueues = Record<(typeof ADMIN_QUEUES)[AdminQueueKey], Queue>;

/** BullMQ bundles its own ioredis typings; the instance is the same library at runtime. */
export const asConnection = (redis: Redis) => redis as unknown as ConnectionOptions;

export function openOrderQueues(redis: Redis, prefix: string): OrderQueues {
  const connection = asConnection(redis);
  const entries = Object.values(ADMIN_QUEUES).map((name) => [name, createQueue(name, { connection, prefix })] as const);
  return Object.fromEntries(entries) as OrderQueues;
}

export async function closeOrderQueues(queues: OrderQueues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
