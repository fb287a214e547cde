import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Backing } from './mongo';
import { freePort, spawnService, waitForPort, which } from './processes';
import { runService, type ServiceLaunch, type Supervision } from './supervise';

/** How to run a private redis-server on `port`: append-only (nothing lost on restart) and noeviction (BullMQ needs it). */
function redisLaunch(dataDir: string, port: number, echo?: boolean): ServiceLaunch {
  const bin = which('redis-server');
  if (!bin) throw new Error('No Redis: set REDIS_URL or install redis-server (Debian: apt-get install redis-server).');
  mkdirSync(dataDir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--save', '', '--dir', dataDir];
  return { name: 'redis-server', ports: [port], spawn: () => spawnService('redis', bin, args, { echo }), ready: (proc) => waitForPort(port, 15_000, proc.child) };
}

/** Start a private redis-server on a free port (or `port`), unsupervised: tests kill and restart it themselves. */
export async function startRedisServer(dataDir: string, opts: { port?: number; echo?: boolean } = {}) {
  const port = opts.port ?? (await freePort());
  const launch = redisLaunch(dataDir, port, opts.echo);
  const proc = launch.spawn();
  await launch.ready(proc);
  return { port, url: `redis://127.0.0.1:${port}`, proc };
}

/** REDIS_URL from the environment wins; otherwise our own redis-server on a free port (restarted if it dies, under `supervision`). */
export async function ensureRedis(opts: { dataDir: string; echo?: boolean; supervision?: Supervision }): Promise<Backing> {
  if (process.env.REDIS_URL) return { env: { REDIS_URL: process.env.REDIS_URL }, description: 'Redis from REDIS_URL in the environment', stop: async () => {} };
  const dir = path.join(opts.dataDir, 'redis');
  const port = await freePort();
  const redis = await runService(redisLaunch(dir, port, opts.echo), opts.supervision);
  return { env: { REDIS_URL: `redis://127.0.0.1:${port}` }, description: `redis-server on port ${port} (appendonly, noeviction; data in ${dir}), because REDIS_URL is not set`, stop: () => redis.stop() };
}
