import type { Queue } from 'bullmq';
import type { Model } from 'mongoose';
import type { Logger } from '../lib/logger';
import { addRestores, noRestores, restoreLostMessages, type OwedMessage } from '../lib/lost-jobs';
import type { OutboxEntry, OutboxPublisher } from '../lib/outbox';
import { analyticsEventsQueue, inventoryCommandsQueue, refundRequestsQueue } from '../lib/queues';
import { settledPages, startSafetyNet, type PassResult, type SafetyNet, type SafetyNetSettings, type SettledDoc } from '../lib/safety-net';
import type { AnalyticsModels } from './analytics/model';
import type { OrderDoc } from './model';

/**
 * The orders side of the safety net (lib/safety-net.ts): every message an order published must
 * have had its effect after the grace period.
 * - analytics events: a marker in analytics_applied_events (same database), one $in per page;
 * - refund requests (canceled or oversold orders, always "refund the rest"): the order's
 *   refundedCents reaching its total (payments' `refunded` result comes back to the order);
 * - inventory commands (release, restock): products' reservations are not visible from here, so
 *   their jobs are only checked for being gone from Redis. Republishing one is harmless: a
 *   restock or release changes a reservation once at most.
 */
type SweptOrder = SettledDoc & Pick<OrderDoc, 'amountCents' | 'refundedCents'>;

/** What is known about one published entry's effect: shown, missing, or out of sight (pure). */
export function entryEffect(order: SweptOrder, entry: OutboxEntry, appliedEvents: Set<string>): 'shown' | OwedMessage['effect'] {
  switch (entry.queue) {
    case analyticsEventsQueue.name:
      return appliedEvents.has(entry.id) ? 'shown' : 'missing';
    case refundRequestsQueue.name:
      return (order.refundedCents ?? 0) >= order.amountCents ? 'shown' : 'missing';
    case inventoryCommandsQueue.name:
    default:
      return 'unverifiable';
  }
}

/** The published entries of these orders whose effect is not shown (pure). */
export function owedMessages(orders: SweptOrder[], appliedEvents: Set<string>): OwedMessage[] {
  return orders.flatMap((o) => {
    const done = new Set(o.outboxDone);
    return o.outbox.flatMap((entry) => {
      const effect = done.has(entry.id) ? entryEffect(o, entry, appliedEvents) : 'shown';
      return effect === 'shown' ? [] : [{ docId: o._id, entry, effect }];
    });
  });
}

export interface OrdersSafetyNetDeps {
  orders: Model<OrderDoc>;
  analytics: Pick<AnalyticsModels, 'appliedEvents'>;
  /** The queues orders publish to, by name. */
  queues: Map<string, Queue>;
  publisher: OutboxPublisher;
  logger: Logger;
}

async function appliedAmong(deps: OrdersSafetyNetDeps, orders: SweptOrder[]): Promise<Set<string>> {
  const ids = orders.flatMap((o) => o.outbox.filter((e) => e.queue === analyticsEventsQueue.name).map((e) => e.id));
  if (!ids.length) return new Set();
  // Any marker counts: one still `applying` is the analytics sweep's to finish.
  const markers = await deps.analytics.appliedEvents.collection.find({ _id: { $in: ids as never[] } }, { projection: { _id: 1 } }).toArray();
  return new Set(markers.map((m) => String(m._id)));
}

export async function sweepOrderMessages(deps: OrdersSafetyNetDeps, window: { from: Date; to: Date }, pageSize: number): Promise<PassResult> {
  let result: PassResult = { ...noRestores(), checked: 0 };
  const restore = { model: deps.orders, queues: deps.queues, publisher: deps.publisher, logger: deps.logger };
  for await (const page of settledPages<SweptOrder>(deps.orders, window, pageSize, {}, { amountCents: 1, refundedCents: 1 })) {
    const owed = owedMessages(page, await appliedAmong(deps, page));
    result = { ...addRestores(result, await restoreLostMessages(owed, restore)), checked: result.checked + page.length };
  }
  return result;
}

export function startOrdersSafetyNet(deps: OrdersSafetyNetDeps, settings: SafetyNetSettings): SafetyNet {
  return startSafetyNet('orders safety net', settings, deps.logger, (window) => sweepOrderMessages(deps, window, settings.pageSize));
}
