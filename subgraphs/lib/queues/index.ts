/**
 * The queue contracts between domains, one definition per queue (define.ts): name, job name,
 * payload schema, job id and retry policy. They live here, in the shared library, rather than in
 * the producing or consuming domain, because every queue has both and neither should import the
 * other's code. Producers publish through openQueue (connection.ts) or an outbox entry
 * (lib/outbox.ts); consumers through createValidatedWorker (lib/worker.ts).
 */
import { analyticsEventsQueue } from './analytics-events';
import type { QueueDefinition } from './define';
import { inventoryCommandsQueue } from './inventory-commands';
import { notificationsQueue } from './notifications';
import { paymentResultsQueue } from './payment-results';
import { refundRequestsQueue } from './refund-requests';
import { reservationExpiryQueue } from './reservation-expiry';

export * from './analytics-events';
export * from './connection';
export * from './define';
export * from './inventory-commands';
export * from './keys';
export * from './notifications';
export * from './payment-results';
export * from './policy';
export * from './refund-requests';
export * from './reservation-expiry';
export * from './snapshots';

export const QUEUE_DEFINITIONS = [paymentResultsQueue, analyticsEventsQueue, inventoryCommandsQueue, refundRequestsQueue, reservationExpiryQueue, notificationsQueue] as const;
export type QueueName = (typeof QUEUE_DEFINITIONS)[number]['name'];

/** Queue names by role, for code that names a queue rather than publishing to it (admin views, metrics). */
export const QUEUES = {
  paymentResults: paymentResultsQueue.name,
  analytics: analyticsEventsQueue.name,
  inventory: inventoryCommandsQueue.name,
  refunds: refundRequestsQueue.name,
  reservationExpiry: reservationExpiryQueue.name,
  notifications: notificationsQueue.name,
} as const;

export function definitionOf(name: string): QueueDefinition {
  const found = QUEUE_DEFINITIONS.find((d) => d.name === name);
  if (!found) throw new Error(`no queue definition named ${name}`);
  return found as unknown as QueueDefinition;
}
