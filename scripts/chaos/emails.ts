import type { NotificationEvent } from '../../subgraphs/lib/queues';
import type { OrderDoc, OrderStatus } from '../../subgraphs/orders/model';
import { notificationModel, type NotificationDoc } from '../../subgraphs/orders/notifications/model';
import { DELIVERY_UNKNOWN, messageIdFor } from '../../subgraphs/orders/notifications/records';
import { senderDomain } from '../../subgraphs/orders/notifications/smtp';
import { deliveredByMessageId } from './mail';
import type { Observer } from './observe';

/**
 * Customer emails against what the run's orders owe, counted in the run's own Mailpit (what the
 * customers actually received), not in the notification records: a record says SENT only for a
 * send it saw succeed, and FAILED for one a kill cut off, which may or may not have gone out.
 * Owed: one email per status an order entered that announces itself (its statusHistory), so a paid
 * order owes its confirmation, a failed payment its PAYMENT_FAILED, and a payment that failed and
 * then succeeded both. Every send of one (order, event) carries the same Message-ID
 * (notifications/records.ts messageIdFor), which is how copies are told apart from other emails.
 */
const EMAIL_ON_ENTERING: Partial<Record<OrderStatus, NotificationEvent>> = { PAID: 'ORDER_PLACED', FAILED: 'PAYMENT_FAILED', OVERSOLD_REFUNDED: 'OVERSOLD_REFUNDED' };

export interface EmailFigures {
  owed: number;
  /** Owed emails the customer received exactly once. */
  receivedOnce: number;
  /**
   * Owed emails the customer never received and no record owns up to: silently lost. Gates the run.
   */
  missing: number;
  /**
   * Owed emails a kill cut off mid-send: not received, their record FAILED ("interrupted mid-send")
   * and listed for admins to resend. Sends are at most once by design (docs/notifications.md), so
   * this is counted and shown, not a loss.
   */
  interrupted: number;
  /** Owed emails (order, event) received more than once. */
  duplicated: number;
  /** Messages received for no email owed (a step the order never took). */
  unowed: number;
  /** The missing ones by what their notification record says (no record, PENDING, FAILED: why...). */
  missingByRecord: Record<string, number>;
}

type OrderSteps = Pick<OrderDoc, '_id' | 'statusHistory'>;
type RecordState = Pick<NotificationDoc, '_id' | 'status' | 'lastError'>;

/** Record ids (`<orderId>:<event>`) of every email these orders owe (pure). */
export function owedEmails(orders: OrderSteps[]): string[] {
  return orders.flatMap((o) => [...new Set(o.statusHistory.map((h) => EMAIL_ON_ENTERING[h.to]).filter((e) => e !== undefined))].map((event) => `${o._id}:${event}`));
}

const INTERRUPTED = 'FAILED: interrupted mid-send';

function recordState(record: RecordState | undefined): string {
  if (!record) return 'no record';
  if (record.status !== 'FAILED') return record.status;
  return record.lastError?.startsWith(DELIVERY_UNKNOWN) ? INTERRUPTED : `FAILED: ${(record.lastError ?? 'no reason').slice(0, 80)}`;
}

/** Owed emails against the inbox (Message-ID → copies received) and the records (pure). */
export function compareEmails(owed: string[], domain: string, received: Map<string, number>, records: RecordState[]): EmailFigures {
  const byId = new Map(records.map((r) => [r._id, r]));
  const figures: EmailFigures = { owed: owed.length, receivedOnce: 0, missing: 0, interrupted: 0, duplicated: 0, unowed: 0, missingByRecord: {} };
  const owedMessageIds = new Set<string>();
  for (const recordId of owed) {
    const messageId = messageIdFor(recordId, domain).slice(1, -1);
    owedMessageIds.add(messageId);
    const copies = received.get(messageId) ?? 0;
    if (copies === 1) figures.receivedOnce++;
    if (copies > 1) figures.duplicated++;
    if (copies > 0) continue;
    const why = recordState(byId.get(recordId));
    if (why === INTERRUPTED) {
      figures.interrupted++;
      continue;
    }
    figures.missing++;
    figures.missingByRecord[why] = (figures.missingByRecord[why] ?? 0) + 1;
  }
  for (const [messageId, copies] of received) if (!owedMessageIds.has(messageId)) figures.unowed += copies;
  return figures;
}

export async function emailFigures(o: Observer, paymentIds: string[], mail: { webUrl: string; from: string }): Promise<EmailFigures> {
  const orders = await o.orders.find({ paymentId: { $in: paymentIds } }, { statusHistory: 1 }).lean<OrderSteps[]>();
  const owed = owedEmails(orders);
  // The records live in the orders database, beside the orders.
  const records = await notificationModel(o.orders.db).find({ _id: { $in: owed } }, { status: 1, lastError: 1 }).lean<RecordState[]>();
  return compareEmails(owed, senderDomain(mail.from), await deliveredByMessageId(mail.webUrl), records);
}
