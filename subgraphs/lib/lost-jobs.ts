import type { Queue } from 'bullmq';
import type { Model } from 'mongoose';
import client from 'prom-client';
import type { Logger } from './logger';
import { registry } from './metrics';
import type { OutboxEntry, OutboxPublisher } from './outbox';

/**
 * What the safety net (safety-net.ts) does with a published message once it has checked its
 * effect: `missing` (checked, and not there) or `unverifiable` (this domain cannot see the effect,
 * e.g. a stock command). The message's job in Redis decides:
 * - gone (Redis lost it, or trimmed it): republished under the same job id. For a `missing`
 *   effect the document's updatedAt is moved to now, so a later pass checks it again after the
 *   grace period (if the republished job were lost too, it would be republished again);
 * - waiting, active or delayed: on its way, nothing to do;
 * - failed for good: left for an admin (it is in the failed set, alerted on, retryable);
 * - completed without its effect: counted and logged, nothing a republish could change.
 */
/** Messages the safety net put back on their queue: above zero means Redis lost acknowledged jobs (alert on it). */
export const safetyNetRepublished =
  (registry.getSingleMetric('safety_net_republished_total') as client.Counter<'queue'> | undefined) ??
  new client.Counter({ name: 'safety_net_republished_total', help: 'Published messages the safety net found gone from Redis and republished, by queue', labelNames: ['queue'] as const, registers: [registry] });

export interface OwedMessage {
  docId: string;
  entry: OutboxEntry;
  effect: 'missing' | 'unverifiable';
}

export interface RestoreCounts {
  /** Messages whose effect was missing or unverifiable (their jobs were looked up). */
  suspects: number;
  republished: number;
  inFlight: number;
  failedForGood: number;
  completedWithoutEffect: number;
}

export const noRestores = (): RestoreCounts => ({ suspects: 0, republished: 0, inFlight: 0, failedForGood: 0, completedWithoutEffect: 0 });

export function addRestores(a: RestoreCounts, b: RestoreCounts): RestoreCounts {
  return {
    suspects: a.suspects + b.suspects,
    republished: a.republished + b.republished,
    inFlight: a.inFlight + b.inFlight,
    failedForGood: a.failedForGood + b.failedForGood,
    completedWithoutEffect: a.completedWithoutEffect + b.completedWithoutEffect,
  };
}

export interface RestoreDeps {
  /** The owning documents' model (to move updatedAt of those republished). */
  model: Model<any>;
  /** Queues by name, to ask for a job's state. */
  queues: Map<string, Queue>;
  publisher: OutboxPublisher;
  logger: Logger;
}

function queueOf(deps: RestoreDeps, message: OwedMessage): Queue {
  const queue = deps.queues.get(message.entry.queue);
  if (!queue) throw new Error(`safety net: no queue ${message.entry.queue} open`);
  return queue;
}

export async function restoreLostMessages(owed: OwedMessage[], deps: RestoreDeps): Promise<RestoreCounts> {
  const counts = noRestores();
  counts.suspects = owed.length;
  const recheck = new Set<string>();
  // One round of lookups for the page (ioredis pipelines them), then act on each.
  const states = await Promise.all(owed.map((message) => queueOf(deps, message).getJobState(message.entry.id)));
  for (const [i, message] of owed.entries()) {
    const state = states[i];
    if (state === 'unknown') {
      await deps.publisher.publish(message.entry);
      counts.republished++;
      safetyNetRepublished.inc({ queue: message.entry.queue });
      if (message.effect === 'missing') recheck.add(message.docId);
      deps.logger.warn('safety net: republished a message Redis no longer had', { id: message.docId, jobId: message.entry.id, queue: message.entry.queue, effect: message.effect });
    } else if (state === 'failed') {
      counts.failedForGood++;
    } else if (state === 'completed') {
      if (message.effect === 'missing') {
        counts.completedWithoutEffect++;
        deps.logger.warn('safety net: a job completed but its effect is missing', { id: message.docId, jobId: message.entry.id, queue: message.entry.queue });
      }
    } else {
      counts.inFlight++;
    }
  }
  if (recheck.size) await deps.model.updateMany({ _id: { $in: [...recheck] } }, { $set: { updatedAt: new Date() } }, { timestamps: false });
  return counts;
}
