import { MOVES, RESERVATION_STATUSES, holdKey, holdsThatDoNotCount, nextStep, owedEffect, publicStatus, type ReservationStatus } from './reservation-rules';
import { movementDelta } from './stock';

const state = (status: ReservationStatus, settled = false) => ({ status, settled });

describe('reservation state machine', () => {
  it('owes the stock effect of its status until settled', () => {
    const owed = Object.fromEntries(RESERVATION_STATUSES.map((s) => [s, owedEffect(state(s))]));
    expect(owed).toEqual({ PENDING: null, HELD: null, COMMITTED: 'sell', RELEASED: 'give-back', EXPIRED: 'give-back', FAILED: 'give-back', RETAKING: null, RETURNED: 'return' });
    for (const s of RESERVATION_STATUSES) expect(owedEffect(state(s, true))).toBeNull();
  });

  it('moves only from the states each move names', () => {
    const table = Object.fromEntries(Object.entries(MOVES).map(([name, m]) => [name, `${m.from.join('|')} -> ${m.to}`]));
    expect(table).toEqual({
      held: 'PENDING -> HELD',
      short: 'PENDING|RETAKING -> FAILED',
      commit: 'HELD -> COMMITTED',
      release: 'PENDING|HELD -> RELEASED',
      expire: 'PENDING|HELD -> EXPIRED',
      retake: 'RELEASED|EXPIRED -> RETAKING',
      retaken: 'RETAKING -> COMMITTED',
      return: 'COMMITTED -> RETURNED',
    });
    // Taking the stock again or returning sold units waits until the previous effect is complete.
    expect(Object.entries(MOVES).filter(([, m]) => 'onlySettled' in m).map(([n]) => n)).toEqual(['retake', 'return']);
    // Only reaching HELD completes its effect on arrival; everything else owes something.
    expect(Object.entries(MOVES).filter(([, m]) => 'settles' in m).map(([n]) => n)).toEqual(['held']);
  });

  it('decides each command by the status it finds', () => {
    const table = (command: Parameters<typeof nextStep>[0]) =>
      Object.fromEntries(RESERVATION_STATUSES.map((s) => {
        const step = nextStep(command, s);
        return [s, step.kind === 'move' ? step.move : step.kind === 'refuse' ? step.reason : step.kind];
      }));
    expect(table('reserve')).toEqual({ PENDING: 'hold', HELD: 'answer', COMMITTED: 'answer', RELEASED: 'answer', EXPIRED: 'answer', FAILED: 'INSUFFICIENT_STOCK', RETAKING: 'answer', RETURNED: 'answer' });
    expect(table('commit')).toEqual({ PENDING: 'RESERVATION_PENDING', HELD: 'commit', COMMITTED: 'answer', RELEASED: 'retake', EXPIRED: 'retake', FAILED: 'INSUFFICIENT_STOCK', RETAKING: 'hold', RETURNED: 'answer' });
    expect(table('release')).toEqual({ PENDING: 'release', HELD: 'release', COMMITTED: 'answer', RELEASED: 'answer', EXPIRED: 'answer', FAILED: 'answer', RETAKING: 'answer', RETURNED: 'answer' });
    expect(table('restock')).toEqual({ PENDING: 'answer', HELD: 'answer', COMMITTED: 'return', RELEASED: 'answer', EXPIRED: 'answer', FAILED: 'answer', RETAKING: 'answer', RETURNED: 'answer' });
    expect(table('expire')).toEqual({ PENDING: 'expire', HELD: 'expire', COMMITTED: 'answer', RELEASED: 'answer', EXPIRED: 'answer', FAILED: 'answer', RETAKING: 'answer', RETURNED: 'answer' });
  });

  it('keys the checkout hold and the re-take apart', () => {
    expect(holdKey({ _id: 'res_1', retaken: false })).toBe('res_1');
    expect(holdKey({ _id: 'res_1', retaken: true })).toBe('res_1/retake');
  });

  it('counts only the holds the deciding move recorded', () => {
    const mine = [{ p: 'a', t: 'mine' }, { p: 'b', t: 'mine' }];
    // The winner saw our hold on a and placed its own on b (ours on b came late, after that one ended).
    expect(holdsThatDoNotCount(mine, [{ p: 'a', t: 'mine' }, { p: 'b', t: 'theirs' }])).toEqual([{ p: 'b', t: 'mine' }]);
    expect(holdsThatDoNotCount(mine, mine)).toEqual([]);
    // Decided without recording holds (short, released, expired): none of ours counts.
    expect(holdsThatDoNotCount(mine, [])).toEqual(mine);
  });

  it('shows four public statuses', () => {
    expect(Object.fromEntries(RESERVATION_STATUSES.map((s) => [s, publicStatus(s)]))).toEqual({
      PENDING: 'HELD', HELD: 'HELD', COMMITTED: 'COMMITTED', RELEASED: 'RELEASED', EXPIRED: 'EXPIRED', FAILED: 'RELEASED', RETAKING: 'EXPIRED', RETURNED: 'RELEASED',
    });
  });

  it('moves stock so that available stays on hand minus reserved', () => {
    for (const kind of ['hold', 'retake', 'give-back', 'retake-give-back', 'sell', 'return', 'adjust'] as const) {
      const d = movementDelta(kind, 3);
      expect(d.available).toBe(d.onHand - d.reserved);
    }
    expect(movementDelta('sell', 2)).toEqual({ onHand: -2, reserved: -2, available: 0 });
    expect(movementDelta('hold', 2)).toEqual({ onHand: 0, reserved: 2, available: -2 });
  });
});
