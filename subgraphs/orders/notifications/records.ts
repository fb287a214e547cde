import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '../../lib/errors';
import type { Notification } from '../../lib/queues';
import { notificationRecordId, type NotificationDoc } from './model';

/**
 * The single-document writes that move a notification record (model.ts). Each is conditional on
 * the state it expects, so of racing workers exactly one moves it, and a repeat changes nothing.
 */
type Records = Model<NotificationDoc>;

/** What lastError says when a send was cut off (a crash, or the connection broke after the message went out). */
export const DELIVERY_UNKNOWN =
  'interrupted mid-send: the message may or may not have reached the SMTP server, so it is not sent again automatically (a duplicate is worse than a missed email here); resend it if the customer did not get it';

/** `<notification.<order>.<key>@<domain>>`: every send of one record carries it, so copies are recognisable. */
export function messageIdFor(recordId: string, domain: string): string {
  return `<notification.${recordId.replace(/[^A-Za-z0-9_-]+/g, '.')}@${domain}>`;
}

/** The record of this notification, created PENDING on first sight (an upsert; a racing insert reads the winner). */
export async function ensureRecord(records: Records, n: Notification, domain: string): Promise<NotificationDoc> {
  const _id = notificationRecordId(n);
  const insert = { orderId: n.orderId, customerId: n.customerId, event: n.event, status: 'PENDING', attempts: 0, resends: 0, messageId: messageIdFor(_id, domain), payload: JSON.stringify({ ...n, resend: 0 }), outbox: [], outboxDone: [], outboxPending: 0 };
  try {
    return (await records.findOneAndUpdate({ _id }, { $setOnInsert: insert }, { upsert: true, new: true }).lean<NotificationDoc>())!;
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    return (await records.findById(_id).lean<NotificationDoc>())!;
  }
}

/** PENDING → SENDING for this worker alone, until `leaseMs` from now; null if someone else moved it first. */
export function claim(records: Records, record: NotificationDoc, generation: number, token: string, leaseMs: number, what: { recipient: string; subject: string }) {
  return records
    .findOneAndUpdate(
      { _id: record._id, status: 'PENDING', resends: generation },
      { $set: { status: 'SENDING', claimToken: token, leaseUntil: new Date(Date.now() + leaseMs), ...what }, $inc: { attempts: 1 } },
      { new: true },
    )
    .lean<NotificationDoc>();
}

/**
 * SENDING → SENT, by the claim's holder. Matched by the token alone: a slow send whose lease ran
 * out (and was marked FAILED meanwhile) still records that it went out.
 */
export function markSent(records: Records, id: string, token: string) {
  return records.updateOne({ _id: id, claimToken: token }, { $set: { status: 'SENT', sentAt: new Date(), lastError: null }, $unset: { claimToken: 1, leaseUntil: 1 } });
}

/** SENDING → FAILED (permanent refusal, or delivery unknown), by the claim's holder. */
export function markFailed(records: Records, id: string, token: string, error: string) {
  return records.updateOne({ _id: id, claimToken: token, status: 'SENDING' }, { $set: { status: 'FAILED', lastError: error }, $unset: { claimToken: 1, leaseUntil: 1 } });
}

/** SENDING → PENDING after a transient failure: nothing went out, the job's retry tries again. */
export function release(records: Records, id: string, token: string, error: string) {
  return records.updateOne({ _id: id, claimToken: token, status: 'SENDING' }, { $set: { status: 'PENDING', lastError: error }, $unset: { claimToken: 1, leaseUntil: 1 } });
}

/** PENDING → FAILED without a send: nobody to write to, or the job ran out of retries. */
export function failPending(records: Records, id: string, generation: number, error: string) {
  return records.updateOne({ _id: id, status: 'PENDING', resends: generation }, { $set: { status: 'FAILED', lastError: error } });
}

/**
 * A SENDING record whose lease ran out: its sender died (or hung) mid-send. FAILED for an admin,
 * never resent automatically. The claim token stays, so a sender that was only slow can still
 * record SENT.
 */
export async function markInterrupted(records: Records, record: Pick<NotificationDoc, '_id' | 'claimToken'>): Promise<boolean> {
  const res = await records.updateOne({ _id: record._id, status: 'SENDING', claimToken: record.claimToken, leaseUntil: { $lt: new Date() } }, { $set: { status: 'FAILED', lastError: DELIVERY_UNKNOWN } });
  return res.modifiedCount === 1;
}

/** The sweep: every SENDING record whose lease ran out, marked interrupted (at most `batch` per pass). */
export async function sweepInterrupted(records: Records, batch = 100): Promise<number> {
  const stale = await records.find({ status: 'SENDING', leaseUntil: { $lt: new Date() } }, { claimToken: 1 }).limit(batch).lean<Array<Pick<NotificationDoc, '_id' | 'claimToken'>>>();
  let marked = 0;
  for (const record of stale) if (await markInterrupted(records, record)) marked++;
  return marked;
}
