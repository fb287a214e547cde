import { Redis } from 'ioredis';
import { SyncedWindowLimiter } from '../gateway/src/synced-limiter';
import { freePort } from '../scripts/backing/processes';
import { createFailFastRedis } from '../subgraphs/lib/redis';
import { newId } from '../subgraphs/lib/ids';

/**
 * The general rate limit is decided in memory and shared through Redis in batches (no round trip
 * per request): one gateway alone is exact, gateways sharing a Redis share one budget once they
 * have synced, and a Redis outage leaves each one counting on its own.
 */
describe('a rate limit shared by gateway instances without a Redis round trip per request', () => {
  const redisUrl = process.env.REDIS_URL!;
  const clients: Redis[] = [];
  const limiters: SyncedWindowLimiter[] = [];

  function limiter(keyPrefix: string, points: number, redis = createFailFastRedis(redisUrl)) {
    clients.push(redis);
    const l = new SyncedWindowLimiter({ redis, keyPrefix, points, durationSeconds: 60, syncMs: 50 });
    limiters.push(l);
    return l;
  }
  const ready = (r: Redis) => (r.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => r.once('ready', () => resolve())));
  const allowedCount = (l: SyncedWindowLimiter, key: string, n: number) => Array.from({ length: n }, () => l.consume(key).allowed).filter(Boolean).length;

  afterAll(async () => {
    limiters.forEach((l) => l.stop());
    // A client still connecting reports its cut-off connection: expected here, not a failure.
    clients.forEach((c) => c.on('error', () => undefined));
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  });

  it('admits exactly `points` requests per window on one instance, then says when to retry', async () => {
    const one = limiter(`rl-${newId('order')}`, 5);
    await ready(clients.at(-1)!);
    expect(allowedCount(one, 'ip:1.2.3.4', 5)).toBe(5);
    const refused = one.consume('ip:1.2.3.4');
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    expect(refused.msBeforeNext).toBeGreaterThan(0);
    expect(refused.msBeforeNext).toBeLessThanOrEqual(60_000);
    // Another client has its own budget.
    expect(one.consume('ip:5.6.7.8').allowed).toBe(true);
  });

  it('shares one budget between instances: what one admitted, the others learn at their next sync', async () => {
    const prefix = `rl-${newId('order')}`;
    const a = limiter(prefix, 5);
    const b = limiter(prefix, 5);
    await Promise.all(clients.slice(-2).map(ready));
    expect(allowedCount(a, 'ip:9.9.9.9', 3)).toBe(3);
    await a.flush();
    // b's first request is admitted on its own view and synced at once; it then knows of a's three.
    expect(b.consume('ip:9.9.9.9').allowed).toBe(true);
    await b.flush();
    expect(allowedCount(b, 'ip:9.9.9.9', 3)).toBe(1);
    await b.flush();
    // a last synced at 3: it admits on that view until its next sync (the stated tolerance: one
    // sync interval of this client's traffic to a), then knows the budget is spent.
    expect(a.consume('ip:9.9.9.9').allowed).toBe(true);
    await a.flush();
    expect(a.consume('ip:9.9.9.9').allowed).toBe(false);
    expect(b.consume('ip:9.9.9.9').allowed).toBe(false);

    const redis = new Redis(redisUrl);
    try {
      const keys = await redis.keys(`${prefix}:ip:9.9.9.9:*`);
      expect(keys).toHaveLength(1);
      expect(Number(await redis.get(keys[0]))).toBe(6);
      const ttl = await redis.pttl(keys[0]);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(61_000);
    } finally {
      redis.disconnect();
    }
  });

  it('starts a fresh budget in the next window', () => {
    const l = limiter(`rl-${newId('order')}`, 2);
    const now = Date.UTC(2030, 0, 1, 12, 0, 10);
    expect([l.consume('k', 1, now).allowed, l.consume('k', 1, now).allowed, l.consume('k', 1, now).allowed]).toEqual([true, true, false]);
    expect(l.consume('k', 1, now + 60_000).allowed).toBe(true);
  });

  it('keeps counting in memory while Redis is unreachable', async () => {
    const away = createFailFastRedis(`redis://127.0.0.1:${await freePort()}`);
    away.on('error', () => undefined);
    const l = limiter(`rl-${newId('order')}`, 3, away);
    expect(allowedCount(l, 'ip:1.1.1.1', 5)).toBe(3);
    await l.flush();
    expect(l.consume('ip:1.1.1.1').allowed).toBe(false);
  });
});
