import { randomUUID } from 'node:crypto';
import type { Model } from 'mongoose';
import type { MailConfig } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { Notification } from '../../lib/queues';
import { emailView } from './format';
import type { NotificationDoc } from './model';
import type { RecipientLookup } from './recipient';
import { claim, DELIVERY_UNKNOWN, ensureRecord, failPending, markFailed, markInterrupted, markSent, release } from './records';
import { renderEmail } from './render';
import { senderDomain, type Mailer } from './smtp';

/**
 * One notification job, exactly once per record (records.ts):
 * 1. find or create the record (PENDING); a job of an older resend generation stops here;
 * 2. settle what is already decided: SENT or FAILED → nothing to do; SENDING under a live lease →
 *    another worker is sending it now, retry later; SENDING with its lease run out → that sender
 *    died mid-send: FAILED for an admin, never resent automatically (at most once);
 * 3. everything that can fail slowly (asking customers for the address, rendering) happens BEFORE
 *    the claim, so the window in which a crash leaves "delivery unknown" is the SMTP exchange only;
 * 4. claim (PENDING → SENDING, conditional: one claimant wins), send, record the outcome.
 */
export type DeliveryOutcome = 'sent' | 'already-sent' | 'already-failed' | 'failed' | 'interrupted' | 'superseded' | 'no-recipient';

/** Another worker holds a live claim: the job retries (backoff) and then finds it SENT, or interrupted. */
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
  const outcome = await deps.mailer.send({ to: recipient.email, ...email, messageId: record.messageId, headers });
  if (outcome.ok) {
    await markSent(deps.records, record._id, token);
    return 'sent';
  }
  if (outcome.kind === 'transient') {
    await release(deps.records, record._id, token, outcome.error);
    throw new TransientSendError(outcome.error);
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
    case 'SENDING':
      if (record.leaseUntil && record.leaseUntil.getTime() > Date.now()) throw new SendInProgressError(`notification ${record._id} is being sent by another worker`);
      if (await markInterrupted(deps.records, record)) deps.logger.warn('notification interrupted mid-send: marked FAILED for review', { notification: record._id });
      return 'interrupted';
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
