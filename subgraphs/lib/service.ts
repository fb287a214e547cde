import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';
import type { ServiceConfig } from './config';
import { createLogger, type Logger } from './logger';
import { connectMongo, pingMongo } from './mongo';
import { createRedis, pingRedis } from './redis';

/** What every running service (subgraph or worker) hands back to whoever started it. */
export interface RunningService {
  name: string;
  /** Base URL (subgraphs), absent for pure workers. */
  url?: string;
  stop(): Promise<void>;
}

/** The connections most services open: their own database and, where queues are used, Redis. */
export interface ServiceResources {
  logger: Logger;
  conn: Connection;
  redis?: Redis;
  readiness: Record<string, () => Promise<boolean>>;
}

export async function openResources(name: string, config: ServiceConfig, opts: { redis: boolean }): Promise<ServiceResources> {
  const logger = createLogger(name, config.logLevel);
  const conn = await connectMongo(config.mongoUri, `${config.dbPrefix}${name}`, logger);
  const readiness: ServiceResources['readiness'] = { mongo: () => pingMongo(conn) };
  let redis: Redis | undefined;
  if (opts.redis) {
    redis = createRedis(config.redisUrl);
    readiness.redis = () => pingRedis(redis!);
  }
  return { logger, conn, redis, readiness };
}

export async function closeResources(res: ServiceResources): Promise<void> {
  await res.redis?.quit().catch(() => res.redis?.disconnect());
  await res.conn.close();
}
