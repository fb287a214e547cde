import { GIVE_UP_AFTER, STABLE_MS, afterExit } from './restart-policy';

describe('npm start restarts what dies', () => {
  it('restarts a child that crashed in steady state at once, and forgets earlier crashes', () => {
    expect(afterExit(STABLE_MS + 1, 3)).toEqual({ restart: true, delayMs: 0, quickCrashes: 0 });
  });

  it('backs off a child that keeps dying right after starting, doubling from half a second', () => {
    const delays: number[] = [];
    let quick = 0;
    for (let i = 0; i < GIVE_UP_AFTER - 1; i++) {
      const d = afterExit(1_000, quick);
      if (!d.restart) throw new Error('gave up too early');
      delays.push(d.delayMs);
      quick = d.quickCrashes;
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it('gives up after five quick crashes in a row', () => {
    expect(afterExit(1_000, GIVE_UP_AFTER - 1)).toEqual({ restart: false, quickCrashes: GIVE_UP_AFTER });
  });
});
