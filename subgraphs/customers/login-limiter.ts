import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../lib/errors';
import type { Logger } from '../lib/logger';

/**
 * Brute-force protection for password checks, counted in Redis so every customers replica shares it.
 * Every attempt spends its points *before* the password is checked (one atomic INCR per budget, so
 * parallel guesses cannot slip past the count); a success gives them back.
 *
 * Refusals are keyed by where the guesses come from, never by the email alone: knowing someone's
 * email must not be enough to lock them out (a denial of service against a known admin).
 * - email from one client IP: from the 3rd attempt each one waits 250 ms, 500 ms, 1 s; after 5 in
 *   15 minutes that IP is refused for that email for 15 minutes. Other IPs are not affected.
 * - client IP, whatever the email (password spraying): after 20 in 15 minutes the IP is refused for
 *   15 minutes.
 * - email, from every IP together (a guess spread over many IPs): from the 11th attempt in 15
 *   minutes answers are slowed (up to 2 s), never refused, so the owner can always get in.
 */
export const LOGIN_LIMITS = {
  emailFromIp: { points: 5, duration: 15 * 60, blockDuration: 15 * 60, slowAfter: 2 },
  ip: { points: 20, duration: 15 * 60, blockDuration: 15 * 60 },
  email: { duration: 15 * 60, slowAfter: 10 },
  baseDelayMs: 250,
  maxDelayMs: 2000,
} as const;

/** Callers without a known IP (none come through the gateway) share one bucket, apart from everyone else. */
const UNKNOWN_IP = 'unknown';
/** The email-wide budget only counts: it has no refusal, so its ceiling is never reached. */
const COUNT_ONLY = Number.MAX_SAFE_INTEGER;

export interface LoginAttempt {
  /** Milliseconds to wait before answering (the slow-down). */
  delayMs: number;
  succeeded(): Promise<void>;
}

/** The hold-back once a budget has counted more than `slowAfter` attempts: doubling, capped. */
export function slowDownMs(consumedPoints: number, slowAfter: number): number {
  const over = consumedPoints - slowAfter;
  return over > 0 ? Math.min(LOGIN_LIMITS.baseDelayMs * 2 ** (over - 1), LOGIN_LIMITS.maxDelayMs) : 0;
}

/** `logger` tells operators when one email is being guessed from many places (scripts may omit it). */
export function loginLimiter(redis: Redis, queuePrefix: string, logger?: Logger) {
  const budget = (name: string, opts: { points: number; duration: number; blockDuration?: number }) =>
    new RateLimiterRedis({ storeClient: redis, keyPrefix: `${queuePrefix}:auth:login:${name}`, ...opts });
  const { emailFromIp, ip, email } = LOGIN_LIMITS;
  const byEmailFromIp = budget('email-ip', { points: emailFromIp.points, duration: emailFromIp.duration, blockDuration: emailFromIp.blockDuration });
  const byIp = budget('ip', ip);
  const byEmail = budget('email', { points: COUNT_ONLY, duration: email.duration });

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
    /**
     * Counts one attempt; throws RATE_LIMITED when this IP, or this email from this IP, is used up.
     * A refused attempt is not counted against the email everywhere (it checked no password).
     */
    async attempt(rawEmail: string, clientIp: string | undefined): Promise<LoginAttempt> {
      const emailKey = rawEmail.trim().toLowerCase();
      const ipKey = clientIp || UNKNOWN_IP;
      const pairKey = `${ipKey}/${emailKey}`; // an IP never contains '/'
      await spend(byIp, ipKey);
      const fromHere = await spend(byEmailFromIp, pairKey);
      const everywhere = await byEmail.consume(emailKey);
      if (everywhere.consumedPoints === email.slowAfter + 1) {
        logger?.warn('sign-in failures for one email from many places: slowing its sign-ins down', { email: emailKey, window: `${email.duration}s` });
      }
      return {
        delayMs: Math.max(slowDownMs(fromHere.consumedPoints, emailFromIp.slowAfter), slowDownMs(everywhere.consumedPoints, email.slowAfter)),
        async succeeded() {
          // The owner proved the password from here: forget this place's failures; give back the points.
          await Promise.all([byEmailFromIp.delete(pairKey), byIp.reward(ipKey, 1), byEmail.reward(emailKey, 1)]);
        },
      };
    },
  };
}
export type LoginLimiter = ReturnType<typeof loginLimiter>;
