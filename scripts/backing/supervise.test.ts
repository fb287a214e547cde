import net from 'node:net';
import { canConnect, freePort, spawnService, waitForPort, type Spawned } from './processes';
import { FIRST_DELAY_MS, GIVE_UP_AFTER, STABLE_MS } from './restart-policy';
import { planAfterServiceExit, runService, type RunningService, type ServiceLaunch } from './supervise';

describe('what npm start does when a backing service it started dies', () => {
  it('restarts one that crashed in steady state at once, on the same ports, saying which and why', () => {
    expect(planAfterServiceExit('stripe-mock', [12001, 12002], 'signal SIGKILL', STABLE_MS + 1, 2)).toEqual({
      restart: true,
      delayMs: 0,
      quickCrashes: 0,
      message: 'stripe-mock died (signal SIGKILL); restarting it on the same ports 12001, 12002 in 0 ms',
    });
  });

  it('backs off one that keeps dying right after starting, then stops the stack', () => {
    const delays: number[] = [];
    let quick = 0;
    for (;;) {
      const plan = planAfterServiceExit('redis-server', [12003], 'code 1', 200, quick);
      quick = plan.quickCrashes;
      if (!plan.restart) {
        expect(plan.message).toBe(`redis-server died ${GIVE_UP_AFTER} times in a row right after starting (last: code 1); stopping the stack`);
        break;
      }
      expect(plan.message).toBe(`redis-server died (code 1); restarting it on the same port 12003 in ${plan.delayMs} ms`);
      delays.push(plan.delayMs);
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000]);
  });
});

/** A real process listening on `port` (a stand-in for redis-server: what matters is a pid and a port). */
function listenerLaunch(port: number, spawned: Spawned[], exitAtOnce = () => false): ServiceLaunch {
  const serve = `require('net').createServer().listen(${port}, '127.0.0.1')`;
  return {
    name: 'toy-server',
    ports: [port],
    spawn: () => {
      const proc = spawnService('toy', process.execPath, ['-e', exitAtOnce() ? 'process.exit(3)' : serve]);
      spawned.push(proc);
      return proc;
    },
    ready: (proc) => waitForPort(port, 10_000, proc.child),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const exited = (proc: Spawned) => new Promise<void>((resolve) => (proc.child.exitCode !== null || proc.child.signalCode ? resolve() : proc.child.once('exit', () => resolve())));

describe('a supervised backing service (runService with supervision)', () => {
  const running: RunningService[] = [];
  const spawned: Spawned[] = [];
  afterAll(async () => {
    await Promise.all(running.map((r) => r.stop()));
    await Promise.all(spawned.map((p) => p.stop()));
  });

  async function supervised(exitAtOnce?: () => boolean) {
    const port = await freePort();
    const logged: string[] = [];
    const gaveUp: string[] = [];
    const mine: Spawned[] = [];
    const service = await runService(listenerLaunch(port, mine, exitAtOnce), { log: (m) => logged.push(m), onGiveUp: (r) => gaveUp.push(r) });
    running.push(service);
    const track = () => spawned.push(...mine.filter((p) => !spawned.includes(p)));
    track();
    return { port, logged, gaveUp, mine, service, track };
  }

  it('comes back on the same port after a SIGKILL, with one line saying so', async () => {
    const s = await supervised();
    s.mine[0].child.kill('SIGKILL');
    await until('the restart', () => s.mine.length === 2 && s.logged.some((l) => l.startsWith('toy-server is back')));
    s.track();
    expect(s.logged[0]).toBe(`toy-server died (signal SIGKILL); restarting it on the same port ${s.port} in ${FIRST_DELAY_MS} ms`);
    expect(await canConnect(s.port)).toBe(true);
    expect(s.mine[1].child.pid).not.toBe(s.mine[0].child.pid);
  });

  it('is never restarted once stopped, even with a restart already scheduled', async () => {
    const s = await supervised();
    s.mine[0].child.kill('SIGKILL');
    await until('the death to be seen', () => s.logged.length === 1);
    await s.service.stop();
    await sleep(FIRST_DELAY_MS + 500);
    s.track();
    expect(s.mine).toHaveLength(1);
    expect(await canConnect(s.port)).toBe(false);
  });

  it('waits while a stranger holds its port, then starts again on that port', async () => {
    const s = await supervised();
    s.mine[0].child.kill('SIGKILL');
    await exited(s.mine[0]);
    const stranger = net.createServer();
    await new Promise<void>((resolve) => stranger.listen(s.port, '127.0.0.1', resolve));
    await until('the taken port to be noticed', () => s.logged.some((l) => l.includes(`port ${s.port} still taken`)));
    await new Promise<void>((resolve) => stranger.close(() => resolve()));
    await until('the restart', () => s.logged.some((l) => l.startsWith('toy-server is back')));
    s.track();
    expect(s.logged[1]).toBe(`toy-server died (port ${s.port} still taken, could not start again); restarting it on the same port ${s.port} in ${2 * FIRST_DELAY_MS} ms`);
    expect(s.mine).toHaveLength(2);
    expect(await canConnect(s.port)).toBe(true);
  });

  it(`gives up after ${GIVE_UP_AFTER} quick deaths in a row, with the last one's reason`, async () => {
    let started = 0;
    const s = await supervised(() => started++ > 0);
    s.mine[0].child.kill('SIGKILL');
    await until('the give-up', () => s.gaveUp.length === 1, 20_000);
    s.track();
    expect(s.gaveUp[0]).toMatch(new RegExp(`^toy-server died ${GIVE_UP_AFTER} times in a row right after starting \\(last: restart failed: .*code 3.*\\); stopping the stack`));
    expect(s.mine).toHaveLength(GIVE_UP_AFTER);
    await sleep(FIRST_DELAY_MS);
    expect(s.mine).toHaveLength(GIVE_UP_AFTER);
  }, 30_000);
});
