import DataLoader from 'dataloader';
import type { Connection, Model } from 'mongoose';
import { ConflictError, NotFoundError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { outboxEntry, publishOutboxSoon, type OutboxPublisher } from '../../lib/outbox';
import { notificationsQueue, notificationSchema, type NotificationEvent } from '../../lib/queues';
import { notificationModel, type NotificationDoc } from './model';

/**
 * What admins do with notifications in the orders subgraph: read an order's emails, list the
 * failed ones, and resend one. A resend moves the record back to PENDING under a new generation
 * and owes the worker a job, both in ONE write (the record's own outbox), so a Redis outage
 * delays the resend but cannot lose it.
 */
export interface NotificationsService {
  records: Model<NotificationDoc>;
  failed(limit: number): Promise<NotificationDoc[]>;
  resend(orderId: string, event: NotificationEvent, requestId: string): Promise<NotificationDoc>;
  /** Per request: every Order.notifications of one response in one query. */
  byOrderLoader(): DataLoader<string, NotificationDoc[]>;
}

/** Only a settled email can be sent again; PENDING or SENDING is already on its way. */
const RESENDABLE = ['SENT', 'FAILED'] as const;

export function createNotificationsService(conn: Connection, publisher: OutboxPublisher, logger: Logger): NotificationsService {
  const records = notificationModel(conn);

  async function resend(orderId: string, event: NotificationEvent, requestId: string): Promise<NotificationDoc> {
    // The latest of that event (several only for partial refunds: each one its own email).
    const [record] = await records.find({ orderId, event }).sort({ createdAt: -1, _id: -1 }).limit(1).lean<NotificationDoc[]>();
    if (!record) throw new NotFoundError('Notification');
    if (!(RESENDABLE as readonly string[]).includes(record.status)) throw new ConflictError(`This email is ${record.status}: it is already on its way`, { status: record.status });
    const generation = record.resends + 1;
    const job = outboxEntry(notificationsQueue, { ...notificationSchema.parse(JSON.parse(record.payload)), resend: generation, requestId });
    const updated = await records
      .findOneAndUpdate(
        { _id: record._id, status: record.status, resends: record.resends },
        { $set: { status: 'PENDING', lastError: null }, $unset: { claimToken: 1, leaseUntil: 1 }, $inc: { resends: 1, outboxPending: 1 }, $push: { outbox: job } },
        { new: true },
      )
      .lean<NotificationDoc>();
    if (!updated) throw new ConflictError('This email changed meanwhile (another resend, or its worker): read it again');
    await publishOutboxSoon(records, publisher, updated, logger);
    return updated;
  }

  return {
    records,
    failed: (limit) => records.find({ status: 'FAILED' }).sort({ updatedAt: -1, _id: -1 }).limit(limit).lean<NotificationDoc[]>().exec(),
    resend,
    byOrderLoader: () =>
      new DataLoader<string, NotificationDoc[]>(async (orderIds) => {
        const docs = await records.find({ orderId: { $in: orderIds as string[] } }).sort({ createdAt: 1, _id: 1 }).lean<NotificationDoc[]>();
        return orderIds.map((id) => docs.filter((d) => d.orderId === id));
      }),
  };
}
