import { AppError } from '../lib/errors';
import { TRANSITIONS, assertTransition, canTransition, isCancelable, refundTarget, trackingTarget } from './lifecycle';
import { ORDER_STATUSES } from './model';

describe('order lifecycle table', () => {
  it('walks the happy path PAID → PROCESSING → SHIPPED → DELIVERED for admins', () => {
    expect(canTransition('PAID', 'PROCESSING', 'admin')).toBe(true);
    expect(canTransition('PROCESSING', 'SHIPPED', 'admin')).toBe(true);
    expect(canTransition('SHIPPED', 'DELIVERED', 'admin')).toBe(true);
  });

  it('lets customers and admins cancel only while PAID or PROCESSING', () => {
    const cancelable = ORDER_STATUSES.filter((s) => isCancelable(s, 'customer'));
    expect(cancelable).toEqual(['PAID', 'PROCESSING']);
    expect(ORDER_STATUSES.filter((s) => isCancelable(s, 'admin'))).toEqual(['PAID', 'PROCESSING']);
  });

  it('leaves refund statuses to the payment pipeline', () => {
    expect(canTransition('DELIVERED', 'REFUNDED', 'payments')).toBe(true);
    expect(canTransition('DELIVERED', 'REFUNDED', 'admin')).toBe(false);
    expect(canTransition('PAID', 'PARTIALLY_REFUNDED', 'customer')).toBe(false);
  });

  it('keeps terminal statuses terminal', () => {
    for (const s of ['CANCELED', 'REFUNDED', 'OVERSOLD_REFUNDED'] as const) {
      expect(Object.keys(TRANSITIONS[s])).toEqual([]);
      for (const to of ORDER_STATUSES) expect(canTransition(s, to, 'admin')).toBe(false);
    }
  });

  it('refuses going backwards or skipping with CONFLICT naming from and to', () => {
    expect.assertions(4);
    try {
      assertTransition('DELIVERED', 'PROCESSING', 'admin');
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('CONFLICT');
      expect((err as AppError).details).toEqual({ from: 'DELIVERED', to: 'PROCESSING' });
    }
    expect(() => assertTransition('PAID', 'DELIVERED', 'admin')).toThrow(/from PAID to DELIVERED/);
  });

  it('refuses a legal move by the wrong actor', () => {
    expect(() => assertTransition('PAID', 'PROCESSING', 'customer')).toThrow(/set by admin, not by customer/);
  });

  it('decides refund targets from the cumulative amount', () => {
    expect(refundTarget(1000, 400)).toBe('PARTIALLY_REFUNDED');
    expect(refundTarget(1000, 1000)).toBe('REFUNDED');
  });

  it('ships on tracking from PAID/PROCESSING, corrects it on SHIPPED, refuses otherwise', () => {
    expect(trackingTarget('PAID')).toEqual({ to: 'SHIPPED', moves: true });
    expect(trackingTarget('PROCESSING')).toEqual({ to: 'SHIPPED', moves: true });
    expect(trackingTarget('SHIPPED')).toEqual({ to: 'SHIPPED', moves: false });
    expect(trackingTarget('DELIVERED')).toBeNull();
    expect(trackingTarget('CANCELED')).toBeNull();
  });
});
