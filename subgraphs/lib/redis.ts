import { Redis, type RedisOptions } from 'ioredis';

/** BullMQ needs maxRetriesPerRequest: null on connections used by workers; we use it everywhere for one behaviour. */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...opts });
}

/** A connection that fails fast instead of queueing commands while Redis is down (for request paths). */
export function createFailFastRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 });
}

export async function pingRedis(redis: Redis): Promise<boolean> {
  try {
    return (await Promise.race([redis.ping(), new Promise<string>((r) => setTimeout(() => r('timeout'), 1000))])) === 'PONG';
  } catch {
    return false;
  }
}
