import { missingResults, orderReflects, type OrderState } from './sweep';

const order = (status: string, refundedCents = 0, releaseRequested = false): OrderState => ({ paymentId: 'pay_1', status, refundedCents, releaseRequested });

describe('which recorded payment outcomes an order shows (the payments safety net)', () => {
  it('no order shows nothing', () => {
    for (const outcome of ['succeeded', 'failed', 'canceled', 'refunded'] as const) expect(orderReflects(undefined, { outcome, refundedCents: 0 })).toBe(false);
  });

  it('a success shows as any status but a failed attempt', () => {
    expect(orderReflects(order('PAID'), { outcome: 'succeeded', refundedCents: 0 })).toBe(true);
    expect(orderReflects(order('CANCELED'), { outcome: 'succeeded', refundedCents: 0 })).toBe(true);
    expect(orderReflects(order('FAILED'), { outcome: 'succeeded', refundedCents: 0 })).toBe(false);
  });

  it('a cancel shows as the hold asked back, or as a paid order a late cancel never touches', () => {
    expect(orderReflects(order('FAILED'), { outcome: 'canceled', refundedCents: 0 })).toBe(false);
    expect(orderReflects(order('FAILED', 0, true), { outcome: 'canceled', refundedCents: 0 })).toBe(true);
    expect(orderReflects(order('PAID'), { outcome: 'canceled', refundedCents: 0 })).toBe(true);
  });

  it('a refund shows once the cumulative amount is reached', () => {
    expect(orderReflects(order('PAID', 0), { outcome: 'refunded', refundedCents: 500 })).toBe(false);
    expect(orderReflects(order('PARTIALLY_REFUNDED', 500), { outcome: 'refunded', refundedCents: 500 })).toBe(true);
    expect(orderReflects(order('REFUNDED', 1000), { outcome: 'refunded', refundedCents: 500 })).toBe(true);
  });

  it('owes only published results the order does not show, with their outbox entries', () => {
    const entry = (id: string) => ({ id, queue: 'payment-results', payload: '{}' });
    const payment = {
      _id: 'pay_1',
      updatedAt: new Date(),
      results: [
        { jobId: 'pay_1-failed', outcome: 'failed' as const, refundedCents: 0, occurredAt: new Date(), requestId: 'r1' },
        { jobId: 'pay_1-succeeded', outcome: 'succeeded' as const, refundedCents: 0, occurredAt: new Date(), requestId: 'r2' },
      ],
      outbox: [entry('pay_1-failed'), entry('pay_1-succeeded')],
      outboxDone: ['pay_1-failed', 'pay_1-succeeded'],
    };
    expect(missingResults([payment], new Map([['pay_1', order('FAILED')]]))).toEqual([{ docId: 'pay_1', entry: entry('pay_1-succeeded'), effect: 'missing' }]);
    expect(missingResults([payment], new Map([['pay_1', order('PAID')]]))).toEqual([]);
    expect(missingResults([payment], new Map()).map((m) => m.entry.id)).toEqual(['pay_1-failed', 'pay_1-succeeded']);
  });
});
