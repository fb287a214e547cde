import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { freePort, spawnService, waitForPort, type Spawned } from '../scripts/backing/processes';

function productionSettings(): NodeJS.ProcessEnv {
  const secret = () => randomBytes(24).toString('hex');
  return { NODE_ENV: 'production', INTERNAL_SECRET: secret(), JWT_SECRET: secret(), STRIPE_SECRET_KEY: 'sk_test_cluster', STRIPE_PUBLISHABLE_KEY: 'pk_test_cluster', STRIPE_WEBHOOK_SECRET: `whsec_${secret()}` };
}

/** The pids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * GATEWAY_WORKERS=2: one primary forks two gateways that share the port; a worker that dies is
 * replaced; SIGTERM stops them all.
 */
describe('the gateway in cluster mode', () => {
  let gateway: Spawned | undefined;
  afterAll(() => gateway?.stop());

  it('serves from two workers, replaces one that dies, and stops them all on SIGTERM', async () => {
    const port = await freePort();
    gateway = spawnService('gateway-cluster', process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], {
      // Production, where cluster mode is the default, with its required non-development settings.
      env: {
        ...process.env,
        ...productionSettings(),
        PORT: String(port),
        GATEWAY_WORKERS: '2',
        LOG_LEVEL: 'warn',
        SHUTDOWN_DRAIN_DELAY_MS: '0',
        STACK_PARENT_PID: '',
      },
    });
    const primary = gateway.child.pid!;
    await waitForPort(port, 60_000, gateway.child);
    const workers = await until('two workers', () => (childrenOf(primary).length === 2 ? childrenOf(primary) : undefined));
    const health = await Promise.all(Array.from({ length: 6 }, () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status)));
    expect(health).toEqual([200, 200, 200, 200, 200, 200]);

    process.kill(workers[0], 'SIGKILL');
    const replaced = await until('a replacement worker', () => {
      const now = childrenOf(primary);
      return now.length === 2 && !now.includes(workers[0]) ? now : undefined;
    });
    expect(replaced).toContain(workers[1]);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);

    const exited = new Promise<number | null>((resolve) => gateway!.child.once('exit', (code) => resolve(code)));
    gateway.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(replaced.filter((pid) => readdirSync('/proc').includes(String(pid)))).toEqual([]);
  });
});
