import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { queuesPublisher, type OutboxPublisher } from '../lib/outbox';
import { analyticsEventsQueue, definitionOf, inventoryCommandsQueue, notificationsQueue, openQueue, paymentResultsQueue, queueDeps, refundRequestsQueue, type QueueName } from '../lib/queues';

/** The queues the orders domain consumes or feeds, as shown to admins (queueStatus, failedJobs, retryFailedJob). */
export const ADMIN_QUEUES = {
  PAYMENT_RESULTS: paymentResultsQueue.name,
  ANALYTICS_EVENTS: analyticsEventsQueue.name,
  INVENTORY_COMMANDS: inventoryCommandsQueue.name,
  REFUND_REQUESTS: refundRequestsQueue.name,
  NOTIFICATIONS: notificationsQueue.name,
} as const satisfies Record<string, QueueName>;
export type AdminQueueKey = keyof typeof ADMIN_QUEUES;
export const ADMIN_QUEUE_KEYS = Object.keys(ADMIN_QUEUES) as AdminQueueKey[];

/** The pipeline queues by name (the admin view), and the publisher of the orders outbox. */
export interface OrderQueues {
  byName: Record<(typeof ADMIN_QUEUES)[AdminQueueKey], Queue>;
  publisher: OutboxPublisher;
  close(): Promise<void>;
}

export function openOrderQueues(redis: Redis, prefix: string): OrderQueues {
  // The admin view and the orders outbox use the same queues (emails included).
  const typed = Object.values(ADMIN_QUEUES).map(definitionOf).map((d) => openQueue(d as typeof paymentResultsQueue, queueDeps(redis, prefix)));
  return {
    byName: Object.fromEntries(typed.map((t) => [t.definition.name, t.queue])) as OrderQueues['byName'],
    // A request path (cancel, status changes) waits at most 2 s for Redis; the relay finishes the rest.
    publisher: queuesPublisher(typed, { redis, timeoutMs: 2_000 }),
    close: async () => void (await Promise.all(typed.map((t) => t.close()))),
  };
}
