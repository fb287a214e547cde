import { ATTEMPTS, MAX_BACKOFF_MS, cappedBackoff } from './policy';

/** Total time a job keeps being retried before it fails for good. */
const retryWindowMs = (attempts: number) => Array.from({ length: attempts - 1 }, (_, i) => cappedBackoff(i + 1)).reduce((a, b) => a + b, 0);

describe('retry policies', () => {
  it('doubles the delay from one second and never waits more than five minutes', () => {
    expect([1, 2, 3, 4].map(cappedBackoff)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(cappedBackoff(9)).toBe(256_000);
    expect(cappedBackoff(10)).toBe(MAX_BACKOFF_MS);
    expect(cappedBackoff(1_000)).toBe(MAX_BACKOFF_MS);
  });

  it('keeps every job (a payment result, a refund, a stock command, an analytics event) retrying through a two-hour outage', () => {
    expect(retryWindowMs(ATTEMPTS)).toBeGreaterThan(2 * 3600_000);
  });
});
