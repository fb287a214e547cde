import { owedMessages } from './results-sweep';

const entry = (id: string, queue: string) => ({ id, queue, payload: '{}' });

describe('which published order messages the orders safety net owes a check', () => {
  const order = {
    _id: 'ord_1',
    updatedAt: new Date(),
    amountCents: 3000,
    refundedCents: 0,
    outbox: [entry('ord_1-paid', 'analytics-events'), entry('refund-ord_1-order_canceled', 'refund-requests'), entry('restock-res_1', 'inventory-commands'), entry('ord_1-canceled', 'analytics-events')],
    outboxDone: ['ord_1-paid', 'refund-ord_1-order_canceled', 'restock-res_1', 'ord_1-canceled'],
  };

  it('an analytics event is owed until its marker exists; a refund until the order shows it; a stock command is out of sight', () => {
    expect(owedMessages([order], new Set(['ord_1-paid'])).map((m) => [m.entry.id, m.effect])).toEqual([
      ['refund-ord_1-order_canceled', 'missing'],
      ['restock-res_1', 'unverifiable'],
      ['ord_1-canceled', 'missing'],
    ]);
  });

  it('once every effect shows, only the stock command remains to be looked up', () => {
    const refunded = { ...order, refundedCents: 3000 };
    expect(owedMessages([refunded], new Set(['ord_1-paid', 'ord_1-canceled'])).map((m) => m.entry.id)).toEqual(['restock-res_1']);
  });

  it('entries not yet published are the relay’s, not the safety net’s', () => {
    expect(owedMessages([{ ...order, outboxDone: [] }], new Set())).toEqual([]);
  });
});
