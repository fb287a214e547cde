/**
 * When `npm start` restarts a child that died, and when it gives up. Pure, so it is unit-tested.
 *
 * A child that ran for at least STABLE_MS before dying is restarted at once (a crash in steady
 * state: the stack heals itself). A child that dies soon after starting is in trouble (a bad
 * config, a port taken, a dependency down): it is restarted with a doubling delay, and after
 * GIVE_UP_AFTER such crashes in a row the whole stack stops, saying why.
 */
export const STABLE_MS = 30_000;
export const FIRST_DELAY_MS = 500;
export const MAX_DELAY_MS = 30_000;
export const GIVE_UP_AFTER = 5;

export type RestartDecision = { restart: true; delayMs: number; quickCrashes: number } | { restart: false; quickCrashes: number };

/** `quickCrashes`: crashes soon after start, in a row, before this one. */
export function afterExit(ranForMs: number, quickCrashes: number): RestartDecision {
  if (ranForMs >= STABLE_MS) return { restart: true, delayMs: 0, quickCrashes: 0 };
  const crashes = quickCrashes + 1;
  if (crashes >= GIVE_UP_AFTER) return { restart: false, quickCrashes: crashes };
  return { restart: true, delayMs: Math.min(FIRST_DELAY_MS * 2 ** (crashes - 1), MAX_DELAY_MS), quickCrashes: crashes };
}
