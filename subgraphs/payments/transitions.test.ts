import { nextPaymentState, type PaymentChange, type PaymentState } from './transitions';
import type { PaymentStatus } from './model';

const state = (status: PaymentStatus, refundedCents = 0): PaymentState => ({ status, amountCents: 1000, refundedCents });
const succeeded: PaymentChange = { kind: 'succeeded' };
const failed: PaymentChange = { kind: 'failed', reason: 'card declined' };
const canceled: PaymentChange = { kind: 'canceled' };
const refunded = (refundedCents: number): PaymentChange => ({ kind: 'refunded', refundedCents });

/** Applies changes in order, as the ledger does, and returns the final status and everything published. */
function replay(changes: PaymentChange[], from: PaymentState = state('PENDING')) {
  let current = from;
  const published: string[] = [];
  for (const change of changes) {
    const t = nextPaymentState(current, change);
    if (!t) continue;
    published.push(...t.outcomes.map((o) => (o === 'refunded' ? `refunded-${t.refundedCents}` : o)));
    current = { ...current, status: t.status, refundedCents: t.refundedCents };
  }
  return { status: current.status, refundedCents: current.refundedCents, published };
}

describe('payment status transitions', () => {
  it('a pending payment succeeds and publishes one succeeded result', () => {
    expect(nextPaymentState(state('PENDING'), succeeded)).toEqual({ status: 'SUCCEEDED', refundedCents: 0, outcomes: ['succeeded'] });
  });

  it('a pending payment fails with the reason', () => {
    expect(nextPaymentState(state('PENDING'), failed)).toEqual({ status: 'FAILED', refundedCents: 0, outcomes: ['failed'], failureReason: 'card declined' });
  });

  it('a late failed or canceled never overrides a captured payment', () => {
    for (const status of ['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const) {
      expect(nextPaymentState(state(status, status === 'SUCCEEDED' ? 0 : 500), failed)).toBeNull();
      expect(nextPaymentState(state(status, status === 'SUCCEEDED' ? 0 : 500), canceled)).toBeNull();
    }
  });

  it('the same event twice changes nothing the second time', () => {
    expect(replay([succeeded, succeeded, succeeded]).published).toEqual(['succeeded']);
    expect(replay([failed, failed]).published).toEqual(['failed']);
    expect(replay([succeeded, refunded(400), refunded(400)]).published).toEqual(['succeeded', 'refunded-400']);
  });

  it('a success after a failed attempt wins (the customer retried with another card)', () => {
    expect(replay([failed, succeeded])).toEqual({ status: 'SUCCEEDED', refundedCents: 0, published: ['failed', 'succeeded'] });
  });

  it('failed after succeeded stays succeeded, whatever the order of arrival', () => {
    expect(replay([succeeded, failed]).status).toBe('SUCCEEDED');
    expect(replay([failed, succeeded]).status).toBe('SUCCEEDED');
  });

  it('canceled is final and publishes canceled, after a failed attempt too', () => {
    expect(replay([canceled, succeeded])).toEqual({ status: 'CANCELED', refundedCents: 0, published: ['canceled'] });
    expect(replay([failed, canceled])).toEqual({ status: 'CANCELED', refundedCents: 0, published: ['failed', 'canceled'] });
  });

  it('refunds accumulate, partial then full, and an older (smaller) amount is ignored', () => {
    expect(replay([succeeded, refunded(300), refunded(200), refunded(1000)])).toEqual({
      status: 'REFUNDED',
      refundedCents: 1000,
      published: ['succeeded', 'refunded-300', 'refunded-1000'],
    });
    expect(nextPaymentState(state('SUCCEEDED'), refunded(300))?.status).toBe('PARTIALLY_REFUNDED');
  });

  it('a refund never records more than the amount paid', () => {
    expect(nextPaymentState(state('SUCCEEDED'), refunded(5000))).toEqual({ status: 'REFUNDED', refundedCents: 1000, outcomes: ['refunded'] });
    expect(nextPaymentState(state('REFUNDED', 1000), refunded(5000))).toBeNull();
  });

  it('a refund seen before its success publishes succeeded, then refunded', () => {
    expect(replay([refunded(1000), succeeded])).toEqual({ status: 'REFUNDED', refundedCents: 1000, published: ['succeeded', 'refunded-1000'] });
  });

  it('a canceled payment cannot be refunded', () => {
    expect(nextPaymentState(state('CANCELED'), refunded(100))).toBeNull();
  });
});
