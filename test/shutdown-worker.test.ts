import { spawn, type ChildProcess } from 'node:child_process';
import { Queue } from 'bullmq';
import { freePort, ROOT } from '../scripts/backing/processes';
import { createRedis } from '../subgraphs/lib/redis';
import { openQueue, queueDeps, reservationExpiryQueue } from '../subgraphs/lib/queues';

const JOB_COUNT = 12;
const JOB_MS = 400;

/** Start the worker child; resolves once its /ready answers 200. */
async function startWorkerChild(env: Record<string, string>): Promise<{ child: ChildProcess; output: string[]; port: number }> {
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/shutdown-worker-child.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (b) => output.push(...b.toString().split('\n').filter(Boolean)));
  child.stderr!.on('data', (b) => output.push(...b.toString().split('\n').filter(Boolean)));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`worker exited early:\n${output.join('\n')}`);
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false);
    if (ok) return { child, output, port };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`worker never became ready:\n${output.join('\n')}`);
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

describe('SIGTERM during a burst of BullMQ jobs', () => {
  it('loses none: in-flight jobs finish, the rest wait for a fresh worker, each completes exactly once', async () => {
    const prefix = `test-shutdown-${Date.now().toString(36)}`;
    const completionsKey = `${prefix}:completions`;
    const env = {
      MONGODB_URI: process.env.MONGODB_URI!,
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: prefix,
      DB_PREFIX: `${prefix.replace(/-/g, '_')}_`,
      JOB_MS: String(JOB_MS),
      COMPLETIONS_KEY: completionsKey,
      SHUTDOWN_DRAIN_DELAY_MS: '100',
    };
    const redis = createRedis(process.env.REDIS_URL!);
    const expiry = openQueue(reservationExpiryQueue, queueDeps(redis, prefix));
    const queue = expiry.queue;
    try {
      const first = await startWorkerChild(env);
      for (let i = 0; i < JOB_COUNT; i++) {
        await expiry.publish({ reservationId: `res_${i}`, requestId: `burst-${i}` });
      }
      // Mid-burst: some jobs done, some running, most still waiting.
      await new Promise((r) => setTimeout(r, JOB_MS * 1.5));
      expect(await queue.getActiveCount()).toBeGreaterThan(0);
      const metrics = await (await fetch(`http://127.0.0.1:${first.port}/metrics`)).text();
      expect(metrics).toMatch(/queue_jobs\{queue="reservation-expiry",state="waiting"\} [1-9]/);
      expect(metrics).toMatch(/queue_job_duration_seconds_count\{queue="reservation-expiry",outcome="completed"\} [1-9]/);

      // While draining, the worker reports itself not ready, then exits cleanly.
      first.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 50));
      expect((await fetch(`http://127.0.0.1:${first.port}/ready`)).status).toBe(503);
      expect(await exited(first.child)).toBe(0);
      expect(first.output.join('\n')).toMatch(/closing workers; waiting for in-flight jobs/);

      const afterFirst = await redis.hgetall(completionsKey);
      expect(Object.keys(afterFirst).length).toBeGreaterThan(0);
      expect(Object.keys(afterFirst).length).toBeLessThan(JOB_COUNT);
      expect(await queue.getActiveCount()).toBe(0); // nothing left half-done

      const second = await startWorkerChild(env);
      const deadline = Date.now() + 30_000;
      while ((await queue.getCompletedCount()) < JOB_COUNT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      second.child.kill('SIGTERM');
      expect(await exited(second.child)).toBe(0);

      const completions = await redis.hgetall(completionsKey);
      expect(Object.keys(completions).sort()).toEqual(Array.from({ length: JOB_COUNT }, (_, i) => `res_${i}`).sort());
      expect(new Set(Object.values(completions))).toEqual(new Set(['1']));
      expect(await queue.getFailedCount()).toBe(0);
      expect(await queue.getCompletedCount()).toBe(JOB_COUNT);
    } finally {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await redis.del(completionsKey);
      redis.disconnect();
    }
  });
});
