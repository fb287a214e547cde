import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '../../lib/errors';
import type { Notification } from '../../lib/queues';
import { notificationRecordId, type NotificationDoc } from './model';

/**
 * The single-document writes that move a notification record (model.ts). Each is conditional on
 * the state it expects, so of racing workers exactly one moves it, and a repeat changes nothing.
 */
type Records = Model<NotificationDoc>;

/**
 * What lastError says when a send was cut off after the message was handed over (a crash, or the
 * connection broke before the server's reply): the server may have accepted it.
 */
export const DELIVERY_UNKNOWN =
  'interrupted mid-send, after the message was handed over to the SMTP server: it may or may not have been accepted, so it is not sent again automatically (a duplicate is worse than a missed email here); resend it if the customer did not get it';

/** What lastError says when a sender stopped before the hand-over: nothing can have been accepted, so it is sent again. */
export const STOPPED_BEFORE_HAND_OVER = 'the previous attempt stopped before the message was handed over to the SMTP server (nothing was accepted): sending it again';

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
      // A previous attempt's handedOverAt (a 4xx after the end-of-data, an admin's resend) says nothing about this one.
      { $set: { status: 'SENDING', claimToken: token, leaseUntil: new Date(Date.now() + leaseMs), ...what }, $unset: { handedOverAt: 1 }, $inc: { attempts: 1 } },
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

/** SENDING → PENDING after a transient failure: nothing was accepted, the job's retry tries again. */
export function release(records: Records, id: string, token: string, error: string) {
  return records.updateOne({ _id: id, claimToken: token, status: 'SENDING' }, { $set: { status: 'PENDING', lastError: error }, $unset: { claimToken: 1, leaseUntil: 1, handedOverAt: 1 } });
}

/**
 * The fence, written just before the end-of-data: "this claim hands the message over now". It
 * matches only while the claim is still ours; false means it was taken away (our lease ran out and
 * someone moved the record back to PENDING), and the sender must abort the message unfinished.
 * Once written, the record can no longer go back to PENDING without a reply (recoverExpired).
 */
export async function markHandedOver(records: Records, id: string, token: string): Promise<boolean> {
  const res = await records.updateOne({ _id: id, status: 'SENDING', claimToken: token }, { $set: { handedOverAt: new Date() } });
  return res.matchedCount === 1;
}

/** PENDING → FAILED without a send: nobody to write to, or the job ran out of retries. */
export function failPending(records: Records, id: string, generation: number, error: string) {
  return records.updateOne({ _id: id, status: 'PENDING', resends: generation }, { $set: { status: 'FAILED', lastError: error } });
}

/** The claim of a SENDING record whose lease may have run out. */
type ExpiredClaim = Pick<NotificationDoc, '_id' | 'claimToken'>;

/**
 * A SENDING record whose lease ran out: its sender died (or hung). Two single-document writes, of
 * which at most one can match (handedOverAt absent / present):
 * - not handed over: no end-of-data was sent, so no server can have accepted it (RFC 5321):
 *   back to PENDING (attempts kept), and the job's retry or the orders safety net sends it;
 * - handed over: it may have been accepted. FAILED for an admin, never resent automatically. The
 *   claim token stays, so a sender that was only slow can still record SENT.
 * null: neither matched (the lease is live again, or someone else moved it first).
 */
export async function recoverExpired(records: Records, record: ExpiredClaim): Promise<'requeued' | 'interrupted' | null> {
  const expired = { _id: record._id, status: 'SENDING', claimToken: record.claimToken, leaseUntil: { $lt: new Date() } };
  const requeued = await records.updateOne(
    { ...expired, handedOverAt: { $exists: false } },
    { $set: { status: 'PENDING', lastError: STOPPED_BEFORE_HAND_OVER }, $unset: { claimToken: 1, leaseUntil: 1 } },
  );
  if (requeued.modifiedCount === 1) return 'requeued';
  const interrupted = await records.updateOne({ ...expired, handedOverAt: { $exists: true } }, { $set: { status: 'FAILED', lastError: DELIVERY_UNKNOWN } });
  return interrupted.modifiedCount === 1 ? 'interrupted' : null;
}

/** The sweep: every SENDING record whose lease ran out, recovered (at most `batch` per pass). */
export async function sweepExpiredClaims(records: Records, batch = 100): Promise<{ requeued: number; interrupted: number }> {
  const stale = await records.find({ status: 'SENDING', leaseUntil: { $lt: new Date() } }, { claimToken: 1 }).limit(batch).lean<ExpiredClaim[]>();
  const counts = { requeued: 0, interrupted: 0 };
  for (const record of stale) {
    const outcome = await recoverExpired(records, record);
    if (outcome) counts[outcome]++;
  }
  return counts;
}
