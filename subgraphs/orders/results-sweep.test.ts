import { notificationJobId } from '../lib/queues';
import { owedMessages } from './results-sweep';

const entry = (id: string, queue: string, payload = '{}') => ({ id, queue, payload });
const email = (orderId: string, event: string) => {
  const n = { orderId, event, refundedCents: 0, resend: 0 } as const;
  return entry(notificationJobId(n as Parameters<typeof notificationJobId>[0]), 'notifications', JSON.stringify({ ...n, customerId: 'cus_1' }));
};

describe('which published order messages the orders safety net owes a check', () => {
  const order = {
    _id: 'ord_1',
    updatedAt: new Date(),
    amountCents: 3000,
    refundedCents: 0,
    outbox: [entry('ord_1-paid', 'analytics-events'), entry('refund-ord_1-order_canceled', 'refund-requests'), entry('restock-res_1', 'inventory-commands'), entry('ord_1-canceled', 'analytics-events')],
    outboxDone: ['ord_1-paid', 'refund-ord_1-order_canceled', 'restock-res_1', 'ord_1-canceled'],
  };
  const nothingSeen = { appliedEvents: new Set<string>(), emailsSettled: new Set<string>() };

  it('an analytics event is owed until its marker exists; a refund until the order shows it; a stock command is out of sight', () => {
    expect(owedMessages([order], { ...nothingSeen, appliedEvents: new Set(['ord_1-paid']) }).map((m) => [m.entry.id, m.effect])).toEqual([
      ['refund-ord_1-order_canceled', 'missing'],
      ['restock-res_1', 'unverifiable'],
      ['ord_1-canceled', 'missing'],
    ]);
  });

  it('once every effect shows, only the stock command remains to be looked up', () => {
    const refunded = { ...order, refundedCents: 3000 };
    expect(owedMessages([refunded], { ...nothingSeen, appliedEvents: new Set(['ord_1-paid', 'ord_1-canceled']) }).map((m) => m.entry.id)).toEqual(['restock-res_1']);
  });

  it('an email is owed until its notification record has settled (sent, being sent, or failed for an admin)', () => {
    const placed = email('ord_2', 'ORDER_PLACED');
    const failed = email('ord_2', 'PAYMENT_FAILED');
    const emailed = { ...order, _id: 'ord_2', outbox: [placed, failed], outboxDone: [placed.id, failed.id] };
    expect(owedMessages([emailed], nothingSeen).map((m) => [m.entry.id, m.effect])).toEqual([
      [placed.id, 'missing'],
      [failed.id, 'missing'],
    ]);
    expect(owedMessages([emailed], { ...nothingSeen, emailsSettled: new Set(['ord_2:ORDER_PLACED']) }).map((m) => m.entry.id)).toEqual([failed.id]);
  });

  it('an email entry whose payload names no order step cannot be checked: only its job is looked up', () => {
    const broken = entry('notify-x', 'notifications', '{"event":"NOT_AN_EVENT"}');
    expect(owedMessages([{ ...order, outbox: [broken], outboxDone: [broken.id] }], nothingSeen).map((m) => m.effect)).toEqual(['unverifiable']);
  });

  it('entries not yet published are the relay’s, not the safety net’s', () => {
    expect(owedMessages([{ ...order, outboxDone: [] }], nothingSeen)).toEqual([]);
  });
});
