import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Backing } from './mongo';
import { freePort, spawnService, waitForPort, which } from './processes';

/** Start a private redis-server on a free port: append-only (nothing lost on restart) and noeviction (BullMQ needs it). */
export async function startRedisServer(dataDir: string, opts: { port?: number; echo?: boolean } = {}) {
  const bin = which('redis-server');
  if (!bin) throw new Error('No Redis: set REDIS_URL or install redis-server (Debian: apt-get install redis-server).');
  const port = opts.port ?? (await freePort());
  mkdirSync(dataDir, { recursive: true });
  const proc = spawnService('redis', bin, ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--save', '', '--dir', dataDir], { echo: opts.echo });
  await waitForPort(port, 15_000, proc.child);
  return { port, url: `redis://127.0.0.1:${port}`, proc };
}

/** REDIS_URL from the environment wins; otherwise our own redis-server on a free port. */
export async function ensureRedis(opts: { dataDir: string; echo?: boolean }): Promise<Backing> {
  if (process.env.REDIS_URL) return { env: { REDIS_URL: process.env.REDIS_URL }, description: 'Redis from REDIS_URL in the environment', stop: async () => {} };
  const dir = path.join(opts.dataDir, 'redis');
  const redis = await startRedisServer(dir, { echo: opts.echo });
  return { env: { REDIS_URL: redis.url }, description: `redis-server on port ${redis.port} (appendonly, noeviction; data in ${dir}), because REDIS_URL is not set`, stop: () => redis.proc.stop() };
}
