import { existsSync, mkdirSync, readdirSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { freePort, spawnService, waitForPort, which, type Spawned } from '../backing/processes';

/**
 * A redis-server of our own that a fault test may kill: `everysec` is what production runs
 * (appendonly, fsync once a second); `none` keeps nothing, so a restart is a Redis that lost every
 * job (the worst case). Never someone else's Redis: it always listens on a free port we chose,
 * with its files in `dir`.
 *
 * A SIGKILL alone loses nothing under everysec: Redis has already written every acknowledged
 * command to the file, and the kernel keeps it. What everysec risks is the machine dying (power,
 * kernel panic) before the next fsync: up to the last second of acknowledged writes. `crash({
 * loseLastMs })` reproduces exactly that: it kills the process and cuts the append-only files back
 * to the sizes they had `loseLastMs` ago (sizes are sampled every 100 ms; automatic AOF rewrites
 * are off so the files only grow). Redis then loads them, dropping a command cut in half
 * (aof-load-truncated, on by default).
 */
export type RedisPersistence = 'everysec' | 'none';

export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGKILL; with `loseLastMs`, also what a power loss takes: returns the bytes of acknowledged writes dropped. */
  crash(opts?: { loseLastMs?: number }): Promise<number>;
  /** Starts it again on the same port, from what its files kept. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function argsFor(port: number, dir: string, persistence: RedisPersistence): string[] {
  const durability = persistence === 'everysec' ? ['--appendonly', 'yes', '--appendfsync', 'everysec', '--auto-aof-rewrite-percentage', '0'] : ['--appendonly', 'no'];
  return ['--port', String(port), '--bind', '127.0.0.1', ...durability, '--save', '', '--maxmemory-policy', 'noeviction', '--dir', dir];
}

/** The append-only files Redis appends to (Redis 7: appendonlydir/*.incr.aof; Redis 6: appendonly.aof). */
function appendedFiles(dir: string): string[] {
  const multipart = path.join(dir, 'appendonlydir');
  if (existsSync(multipart)) return readdirSync(multipart).filter((f) => f.endsWith('.incr.aof')).map((f) => path.join(multipart, f));
  return existsSync(path.join(dir, 'appendonly.aof')) ? [path.join(dir, 'appendonly.aof')] : [];
}

type SizeSample = { at: number; sizes: Map<string, number> };

/** Samples the files' sizes every 100 ms, keeping the last 10 s. */
function watchSizes(dir: string) {
  const samples: SizeSample[] = [];
  const timer = setInterval(() => {
    const sizes = new Map(appendedFiles(dir).map((f) => [f, statSync(f).size]));
    samples.push({ at: Date.now(), sizes });
    while (samples.length > 100) samples.shift();
  }, 100);
  timer.unref();
  return {
    /** Cuts every file back to its size at `at` (a file born since goes back to empty); returns the bytes dropped. */
    rollBackTo(at: number): number {
      const then = [...samples].reverse().find((s) => s.at <= at);
      let dropped = 0;
      for (const file of appendedFiles(dir)) {
        const size = statSync(file).size;
        const keep = Math.min(size, then?.sizes.get(file) ?? 0);
        if (keep < size) truncateSync(file, keep);
        dropped += size - keep;
      }
      return dropped;
    },
    stop: () => clearInterval(timer),
  };
}

export async function startPrivateRedis(dir: string, persistence: RedisPersistence): Promise<PrivateRedis> {
  const bin = which('redis-server');
  if (!bin) throw new Error('redis-server is not installed (Debian: apt-get install redis-server)');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const sizes = watchSizes(dir);
  let proc: Spawned | null = null;
  const start = async () => {
    proc = spawnService('redis', bin, argsFor(port, dir, persistence));
    await waitForPort(port, 15_000, proc.child);
  };
  const crash = async (opts: { loseLastMs?: number } = {}) => {
    const child = proc?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return 0;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await exited;
    return opts.loseLastMs ? sizes.rollBackTo(killedAt - opts.loseLastMs) : 0;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    crash,
    start,
    stop: async () => {
      sizes.stop();
      await proc?.stop();
    },
  };
}
