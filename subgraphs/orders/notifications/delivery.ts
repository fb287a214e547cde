import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import type { MailConfig } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { Notification } from '../../lib/queues';
import { emailView } from './format';
import type { NotificationDoc } from './model';
import type { RecipientLookup } from './recipient';
import { claim, DELIVERY_UNKNOWN, ensureRecord, failPending, markFailed, markHandedOver, markSent, recoverExpired, release } from './records';
import { renderEmail } from './render';
import { senderDomain, type Mailer } from './smtp';

/**
 * One notification job, exactly once per record (records.ts):
 * 1. find or create the record (PENDING); a job of an older resend generation stops here;
 * 2. settle what is already decided: SENT or FAILED → nothing to do; SENDING under a live lease →
 *    another worker is sending it now, retry later; SENDING with its lease run out → that sender
 *    died: if it had not handed the message over, nothing can have been accepted, so it goes back
 *    to PENDING and this job sends it; if it had, FAILED for an admin, never resent (at most once);
 * 3. everything that can fail slowly (asking customers for the address, rendering) happens BEFORE
 *    the claim;
 * 4. claim (PENDING → SENDING, conditional: one claimant wins), send with the fenced hand-over just
 *    before the end-of-data (records.ts markHandedOver), record the outcome. So the window in which
 *    a crash leaves "delivery unknown" is from the hand-over to the server's reply only.
 */
export type DeliveryOutcome = 'sent' | 'already-sent' | 'already-failed' | 'failed' | 'interrupted' | 'superseded' | 'no-recipient';

/**
 * Another worker holds a live claim, or took ours over before our hand-over: the job retries
 * (backoff) and then finds it SENT, or interrupted.
 */
export class SendInProgressError extends Error {}

/** A transient SMTP failure: the record is back to PENDING and the job retries with the queue's backoff. */
export class TransientSendError extends Error {}

export interface DeliveryDeps {
  records: Model<NotificationDoc>;
  mailer: Mailer;
  recipients: RecipientLookup;
  mail: MailConfig;
  /** How long a claim holds: longer than any live SMTP exchange (the mailer's timeouts). */
  leaseMs: number;
  logger: Logger;
}

export async function deliverNotification(n: Notification, deps: DeliveryDeps): Promise<DeliveryOutcome> {
  const record = await ensureRecord(deps.records, n, senderDomain(deps.mail.from));
  if (n.resend < record.resends) return 'superseded';
  const settled = await settle(deps, record);
  if (settled) return settled;

  const recipient = await deps.recipients(n.customerId);
  if (!recipient) {
    await failPending(deps.records, record._id, n.resend, 'no email address: the customer account was not found');
    return 'no-recipient';
  }
  const email = renderEmail(n.event, emailView(n, deps.mail, recipient.name));

  const token = randomUUID();
  const claimed = await claim(deps.records, record, n.resend, token, deps.leaseMs, { recipient: recipient.email, subject: email.subject });
  if (!claimed) {
    // Someone moved it between our read and our claim: decide from what it is now.
    const now = await deps.records.findById(record._id).lean<NotificationDoc>();
    const decided = now ? await settle(deps, now) : null;
    if (decided) return decided;
    throw new SendInProgressError(`notification ${record._id} changed while claiming; retrying`);
  }

  const headers = n.resend ? { 'X-Notification-Resend': String(n.resend) } : undefined;
  const handOver = () => markHandedOver(deps.records, record._id, token);
  const outcome = await deps.mailer.send({ to: recipient.email, ...email, messageId: record.messageId, headers }, handOver);
  if (outcome.ok) {
    await markSent(deps.records, record._id, token);
    return 'sent';
  }
  if (outcome.kind === 'transient') {
    await release(deps.records, record._id, token, outcome.error);
    throw new TransientSendError(outcome.error);
  }
  if (outcome.kind === 'withheld') {
    // Our lease ran out and the record was taken back before the hand-over: the message was
    // aborted before its end-of-data, and the record is someone else's to send now.
    deps.logger.warn('notification claim lost before the hand-over: message aborted unsent', { notification: record._id });
    throw new SendInProgressError(`notification ${record._id} was taken over before the hand-over; not sent by this attempt`);
  }
  await markFailed(deps.records, record._id, token, outcome.kind === 'unknown' ? `${DELIVERY_UNKNOWN} (${outcome.error})` : outcome.error);
  deps.logger.warn('notification not delivered', { notification: record._id, kind: outcome.kind, error: outcome.error });
  return 'failed';
}

async function settle(deps: DeliveryDeps, record: NotificationDoc): Promise<DeliveryOutcome | null> {
  switch (record.status) {
    case 'SENT':
      return 'already-sent';
    case 'FAILED':
      return 'already-failed';
    case 'SENDING': {
      if (record.leaseUntil && record.leaseUntil.getTime() > Date.now()) throw new SendInProgressError(`notification ${record._id} is being sent by another worker`);
      const recovered = await recoverExpired(deps.records, record);
      if (recovered === 'interrupted') {
        deps.logger.warn('notification interrupted after the hand-over: marked FAILED for review', { notification: record._id });
        return 'interrupted';
      }
      // Requeued (its sender died before the hand-over), or moved by someone else meanwhile: the
      // conditional claim decides, and a failed claim re-reads and settles again.
      if (recovered === 'requeued') deps.logger.warn('notification sender stopped before the hand-over: sending it again', { notification: record._id });
      return null;
    }
    default:
      return null;
  }
}

/**
 * The job's last attempt failed (SMTP down for hours, customers unreachable): the record, still
 * PENDING, becomes FAILED with the reason, visible to admins and resendable.
 */
export function giveUp(records: Model<NotificationDoc>, n: Notification, recordId: string, attempts: number, err: unknown) {
  return failPending(records, recordId, n.resend, `gave up after ${attempts} attempts: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500));
}
