import type { Queue } from 'bullmq';
import type { Model } from 'mongoose';
import type { Logger } from '../lib/logger';
import { addRestores, noRestores, restoreLostMessages, type OwedMessage } from '../lib/lost-jobs';
import type { OutboxEntry, OutboxPublisher } from '../lib/outbox';
import { analyticsEventsQueue, inventoryCommandsQueue, notificationSchema, notificationsQueue, refundRequestsQueue } from '../lib/queues';
import { settledPages, startSafetyNet, type PassResult, type SafetyNet, type SafetyNetSettings, type SettledDoc } from '../lib/safety-net';
import type { AnalyticsModels } from './analytics/model';
import type { OrderDoc } from './model';
import { notificationModel, notificationRecordId, type NotificationDoc } from './notifications/model';

/**
 * The orders side of the safety net (lib/safety-net.ts): every message an order published must
 * have had its effect after the grace period.
 * - analytics events: a marker in analytics_applied_events (same database), one $in per page;
 * - refund requests (canceled or oversold orders, always "refund the rest"): the order's
 *   refundedCents reaching its total (payments' `refunded` result comes back to the order);
 * - customer emails: the notification record (same database, one $in per page) having settled:
 *   SENT, SENDING (a worker holds it; its lease decides) or FAILED (for an admin), or superseded
 *   by an admin's resend. No record, or one still PENDING, is missing: republishing the job (same
 *   id) is harmless, the record lets one send out at most (notifications/delivery.ts);
 * - inventory commands (release, restock): products' reservations are not visible from here, so
 *   their jobs are only checked for being gone from Redis. Republishing one is harmless: a
 *   restock or release changes a reservation once at most.
 */
type SweptOrder = SettledDoc & Pick<OrderDoc, 'amountCents' | 'refundedCents'>;

/** What one page's effect checks found: analytics markers by event id, settled notification records by record id. */
export interface SeenEffects {
  appliedEvents: Set<string>;
  emailsSettled: Set<string>;
}

/** The fields of a notification payload that name its record; null when the entry names none. */
const notificationKeySchema = notificationSchema.pick({ orderId: true, event: true, refundedCents: true });

export function notificationRecordOf(entry: OutboxEntry): string | null {
  let payload: unknown;
  try {
    payload = JSON.parse(entry.payload);
  } catch {
    return null;
  }
  const parsed = notificationKeySchema.safeParse(payload);
  return parsed.success ? notificationRecordId(parsed.data) : null;
}

/** What is known about one published entry's effect: shown, missing, or out of sight (pure). */
export function entryEffect(order: SweptOrder, entry: OutboxEntry, seen: SeenEffects): 'shown' | OwedMessage['effect'] {
  switch (entry.queue) {
    case analyticsEventsQueue.name:
      return seen.appliedEvents.has(entry.id) ? 'shown' : 'missing';
    case refundRequestsQueue.name:
      return (order.refundedCents ?? 0) >= order.amountCents ? 'shown' : 'missing';
    case notificationsQueue.name: {
      const record = notificationRecordOf(entry);
      if (!record) return 'unverifiable';
      return seen.emailsSettled.has(record) ? 'shown' : 'missing';
    }
    case inventoryCommandsQueue.name:
    default:
      return 'unverifiable';
  }
}

/** The published entries of these orders whose effect is not shown (pure). */
export function owedMessages(orders: SweptOrder[], seen: SeenEffects): OwedMessage[] {
  return orders.flatMap((o) => {
    const done = new Set(o.outboxDone);
    return o.outbox.flatMap((entry) => {
      const effect = done.has(entry.id) ? entryEffect(o, entry, seen) : 'shown';
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
  /** The notification records; by default the model on the orders' connection (the same database). */
  notifications?: Model<NotificationDoc>;
}

async function appliedAmong(deps: OrdersSafetyNetDeps, orders: SweptOrder[]): Promise<Set<string>> {
  const ids = orders.flatMap((o) => o.outbox.filter((e) => e.queue === analyticsEventsQueue.name).map((e) => e.id));
  if (!ids.length) return new Set();
  // Any marker counts: one still `applying` is the analytics sweep's to finish.
  const markers = await deps.analytics.appliedEvents.collection.find({ _id: { $in: ids as never[] } }, { projection: { _id: 1 } }).toArray();
  return new Set(markers.map((m) => String(m._id)));
}

/** The notification records of these orders' emails that have settled: any state but PENDING, or superseded by a resend. */
async function emailsSettledAmong(deps: OrdersSafetyNetDeps, orders: SweptOrder[]): Promise<Set<string>> {
  const ids = orders.flatMap((o) => o.outbox.filter((e) => e.queue === notificationsQueue.name).map(notificationRecordOf)).filter((id): id is string => id !== null);
  if (!ids.length) return new Set();
  // The records live in the orders database, beside the orders (notifications/model.ts).
  const records = deps.notifications ?? notificationModel(deps.orders.db);
  const found = await records.find({ _id: { $in: ids } }, { status: 1, resends: 1 }).lean<Array<Pick<NotificationDoc, '_id' | 'status' | 'resends'>>>();
  return new Set(found.filter((r) => r.status !== 'PENDING' || r.resends > 0).map((r) => r._id));
}

export async function sweepOrderMessages(deps: OrdersSafetyNetDeps, window: { from: Date; to: Date }, pageSize: number): Promise<PassResult> {
  let result: PassResult = { ...noRestores(), checked: 0 };
  const restore = { model: deps.orders, queues: deps.queues, publisher: deps.publisher, logger: deps.logger };
  for await (const page of settledPages<SweptOrder>(deps.orders, window, pageSize, {}, { amountCents: 1, refundedCents: 1 })) {
    const [appliedEvents, emailsSettled] = await Promise.all([appliedAmong(deps, page), emailsSettledAmong(deps, page)]);
    const owed = owedMessages(page, { appliedEvents, emailsSettled });
    result = { ...addRestores(result, await restoreLostMessages(owed, restore)), checked: result.checked + page.length };
  }
  return result;
}

export function startOrdersSafetyNet(deps: OrdersSafetyNetDeps, settings: SafetyNetSettings): SafetyNet {
  return startSafetyNet('orders safety net', settings, deps.logger, (window) => sweepOrderMessages(deps, window, settings.pageSize));
}
