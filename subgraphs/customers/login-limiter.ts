import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../lib/errors';

/**
 * Brute-force protection for password checks, counted in Redis so every customers replica shares it.
 * Every attempt spends a point *before* the password is checked (one atomic INCR, so parallel guesses
 * cannot slip past the count); a success gives its points back.
 * - per email: from the 3rd attempt each one waits 250 ms, 500 ms, 1 s (capped at 2 s); after 5 in
 *   15 minutes the email is refused for 15 minutes.
 * - per client IP: after 20 in 15 minutes the IP is refused for 15 minutes.
 */
export const LOGIN_LIMITS = {
  email: { points: 5, duration: 15 * 60, blockDuration: 15 * 60 },
  ip: { points: 20, duration: 15 * 60, blockDuration: 15 * 60 },
  slowAfter: 2,
  baseDelayMs: 250,
  maxDelayMs: 2000,
} as const;

export interface LoginAttempt {
  /** Milliseconds to wait before answering (the slow-down). */
  delayMs: number;
  succeeded(): Promise<void>;
}

export function loginLimiter(redis: Redis, queuePrefix: string) {
  const byEmail = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${queuePrefix}:auth:login:email`, ...LOGIN_LIMITS.email });
  const byIp = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${queuePrefix}:auth:login:ip`, ...LOGIN_LIMITS.ip });

  async function spend(limiter: RateLimiterRedis, key: string): Promise<RateLimiterRes> {
    try {
      return await limiter.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new RateLimitedError(`Too many sign-in attempts; try again in ${retryAfterSeconds} seconds`, retryAfterSeconds);
      }
      throw rejection;
    }
  }

  return {
    /** Counts one attempt for this email (and IP, when known); throws RATE_LIMITED when either is used up. */
    async attempt(email: string, ip: string | undefined): Promise<LoginAttempt> {
      const emailKey = email.trim().toLowerCase();
      if (ip) await spend(byIp, ip);
      const res = await spend(byEmail, emailKey);
      const over = res.consumedPoints - LOGIN_LIMITS.slowAfter;
      const delayMs = over > 0 ? Math.min(LOGIN_LIMITS.baseDelayMs * 2 ** (over - 1), LOGIN_LIMITS.maxDelayMs) : 0;
      return {
        delayMs,
        async succeeded() {
          await byEmail.delete(emailKey);
          if (ip) await byIp.reward(ip, 1);
        },
      };
    },
  };
}
export type LoginLimiter = ReturnType<typeof loginLimiter>;
