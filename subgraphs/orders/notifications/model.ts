import { Schema, type Connection, type Model } from 'mongoose';
import { outboxIndex, outboxSchemaFields, type OutboxEntry } from '../../lib/outbox';
import { NOTIFICATION_EVENTS, notificationKey, type Notification, type NotificationEvent } from '../../lib/queues';

/**
 * One document per customer email an order owes: `_id` = `<orderId>:<key>` (key = the event, or
 * for a partial refund the event and cumulative amount), so whatever delivers the job how often,
 * there is one record, and the record decides whether the email goes out (see delivery.ts):
 *
 *            ┌────────── transient failure (4xx, refused, timeout): nothing accepted ──────────┐
 *            ▼                                                                                  │
 *   PENDING ──claim──▶ SENDING ──hand-over (fence)──▶ SENDING + handedOverAt ──250 OK──▶ SENT   │
 *      ▲                  │ lease ran out               │ 5xx, or lease ran out / lost          │
 *      └──────────────────┘ (nothing can be accepted)   ▼ connection (maybe accepted)           │
 *                                                     FAILED ──admin resend──▶ PENDING          │
 *   (both SENDING states may go back to PENDING on a transient failure) ────────────────────────┘
 *
 * The hand-over is written just before the end-of-data (smtp.ts): an SMTP server accepts a message
 * only on the end-of-data, so a dead sender's record without it is safe to send again.
 */
export const NOTIFICATION_STATUSES = ['PENDING', 'SENDING', 'SENT', 'FAILED'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export interface NotificationDoc {
  _id: string;
  orderId: string;
  customerId: string;
  event: NotificationEvent;
  status: NotificationStatus;
  /** SMTP attempts (claims), across resends. */
  attempts: number;
  /** How many times an admin asked for it again; a job of an older resend finds itself superseded. */
  resends: number;
  lastError?: string | null;
  sentAt?: Date | null;
  /** The rendered subject and the address it went to (filled when a send is claimed). */
  subject?: string | null;
  recipient?: string | null;
  /** The Message-ID every send of this record carries: the same on a retry or a resend, so a copy is recognisable. */
  messageId: string;
  /** The claim of the worker sending it now (SENDING), and until when that claim holds. */
  claimToken?: string | null;
  leaseUntil?: Date | null;
  /**
   * When the claim's holder was about to send the end-of-data (the fence, records.ts
   * markHandedOver): from then on the server may have accepted the message. Absent before; cleared
   * by the next claim. Never null: filters test it with `$exists`.
   */
  handedOverAt?: Date;
  /** The job payload as first received, JSON: what a resend sends again. */
  payload: string;
  /** A resend's job, published from here (lib/outbox.ts) so a Redis outage cannot lose it. */
  outbox: OutboxEntry[];
  outboxDone: string[];
  outboxPending: number;
  createdAt: Date;
  updatedAt: Date;
}

export const notificationRecordId = (n: Pick<Notification, 'orderId' | 'event' | 'refundedCents'>) => `${n.orderId}:${notificationKey(n)}`;

const schema = new Schema<NotificationDoc>(
  {
    _id: { type: String, required: true },
    orderId: { type: String, required: true },
    customerId: { type: String, required: true },
    event: { type: String, enum: NOTIFICATION_EVENTS, required: true },
    status: { type: String, enum: NOTIFICATION_STATUSES, required: true },
    attempts: { type: Number, default: 0 },
    resends: { type: Number, default: 0 },
    lastError: String,
    sentAt: Date,
    subject: String,
    recipient: String,
    messageId: { type: String, required: true },
    claimToken: String,
    leaseUntil: Date,
    handedOverAt: Date,
    payload: { type: String, required: true },
    ...outboxSchemaFields,
  },
  { timestamps: true, versionKey: false, collection: 'notifications' },
);
// Indexes (docs/notifications.md lists each with its query):
/** Order.notifications (service.ts byOrderLoader): an order's emails, oldest first; resend's latest of an event. */
schema.index({ orderId: 1, createdAt: 1, _id: 1 });
/** failedNotifications (service.ts failed), most recently changed first; the sweep's SENDING records (records.ts sweepExpiredClaims). */
schema.index({ status: 1, updatedAt: -1, _id: -1 });
/** The outbox relay (resends). */
outboxIndex(schema);

export function notificationModel(conn: Connection): Model<NotificationDoc> {
  return conn.models.Notification ?? conn.model<NotificationDoc>('Notification', schema);
}
