import { messageIdFor, DELIVERY_UNKNOWN } from '../../subgraphs/orders/notifications/records';
import { compareEmails, owedEmails } from './emails';

const step = (to: 'PAID' | 'FAILED') => ({ from: null, to, at: new Date(), by: 'payments' });
const inboxId = (recordId: string) => messageIdFor(recordId, 'shop.example').slice(1, -1);

describe('the emails a chaos run counts', () => {
  it('an order owes one email per announced status it entered: paid, failed, or failed then paid', () => {
    const orders = [
      { _id: 'ord_paid', statusHistory: [step('PAID')] },
      { _id: 'ord_failed', statusHistory: [step('FAILED')] },
      { _id: 'ord_retried', statusHistory: [step('FAILED'), step('PAID')] },
    ];
    expect(owedEmails(orders)).toEqual(['ord_paid:ORDER_PLACED', 'ord_failed:PAYMENT_FAILED', 'ord_retried:PAYMENT_FAILED', 'ord_retried:ORDER_PLACED']);
  });

  it('received once, missing (with what its record says), cut off mid-send (admin-visible), received twice, and received though never owed', () => {
    const owed = ['o1:ORDER_PLACED', 'o2:ORDER_PLACED', 'o3:PAYMENT_FAILED', 'o4:ORDER_PLACED'];
    const received = new Map([
      [inboxId('o1:ORDER_PLACED'), 1],
      [inboxId('o3:PAYMENT_FAILED'), 2],
      [inboxId('o9:SHIPPED'), 1],
    ]);
    const records = [{ _id: 'o2:ORDER_PLACED', status: 'FAILED' as const, lastError: `${DELIVERY_UNKNOWN} (ECONNRESET)` }];
    expect(compareEmails(owed, 'shop.example', received, records)).toEqual({
      owed: 4,
      receivedOnce: 1,
      missing: 1,
      interrupted: 1,
      duplicated: 1,
      unowed: 1,
      missingByRecord: { 'no record': 1 },
    });
  });
});
