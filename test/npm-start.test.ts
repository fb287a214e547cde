import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DOWNLOAD_FAILED } from '../scripts/backing/mongo';
import { ROOT } from '../scripts/backing/processes';
import { stackProcesses, type StackProcess } from '../scripts/stack-processes';

/**
 * The README's core promise, end to end: `npm start` with nothing configured brings the whole
 * system up on its own services (mongo-java-server's H2 store, redis-server, stripe-mock, Mailpit),
 * answers GraphQL through the gateway, restarts a worker that is killed, and Ctrl-C stops every
 * process it started. STACK_PORT_OFFSET moves the stack off a developer's running one (4000-4016).
 */
describe('npm start', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'npm-start-'));
  const downloadDir = mkdtempSync(path.join(os.tmpdir(), 'no-mongod-binaries-'));
  const savedMarker = existsSync(DOWNLOAD_FAILED) ? readFileSync(DOWNLOAD_FAILED, 'utf8') : null;
  const output: string[] = [];
  let start: ChildProcess;
  let stack: StackProcess[];
  let gatewayPort: number;
  let backingPorts: number[] = [];

  beforeAll(async () => {
    const offset = await freeOffset();
    const s = stackProcesses(offset);
    stack = [...s.subgraphs, ...s.workers, s.gateway];
    gatewayPort = s.gateway.port!;
    start = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env: npmStartEnv(offset, dataDir, downloadDir), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    collectLines(start.stdout!, output);
    collectLines(start.stderr!, output);
    await until('"ready in" from npm start', () => output.some((l) => /^\[start\] ready in [\d.]+s$/.test(l)), 120_000, () => start.exitCode === null);
    // The backing services chose free ports; npm start records them for the companion commands.
    const { env } = JSON.parse(readFileSync(path.join(dataDir, 'stack-env.json'), 'utf8')) as { env: Record<string, string> };
    backingPorts = ['MONGODB_URI', 'REDIS_URL', 'SMTP_URL', 'MAILPIT_URL'].filter((k) => env[k]).map((k) => Number(new URL(env[k]).port));
    backingPorts.push(Number(env.STRIPE_API_PORT));
  }, 150_000);

  afterAll(async () => {
    // Only after a failure is anything still running: end it all, the detached children too.
    if (start && start.exitCode === null && start.signalCode === null) killGroup(start.pid!);
    for (const pid of processesReferencing(dataDir)) killGroup(pid);
    if (savedMarker === null) rmSync(DOWNLOAD_FAILED, { force: true });
    else writeFileSync(DOWNLOAD_FAILED, savedMarker);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(downloadDir, { recursive: true, force: true });
  }, 30_000);

  it('comes up on its own services and answers GraphQL through the gateway', async () => {
    expect(output.join('\n')).toContain(`H2 file ${path.join(dataDir, 'mongo', 'store.mv')}`);
    expect(output).toContainEqual(`[start] GraphQL gateway + Apollo Sandbox: http://localhost:${gatewayPort}/graphql`);
    const res = await fetch(`http://127.0.0.1:${gatewayPort}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ products(first: 1) { totalCount } categories { name } }' }),
    });
    expect(res.status).toBe(200);
    // A fresh DATA_DIR: an empty catalog, read from the products subgraph through the gateway.
    expect(await res.json()).toEqual({ data: { products: { totalCount: 0 }, categories: [] } });
  });

  it('restarts a SIGKILLed worker on the same port', async () => {
    const worker = stack.find((p) => p.name === 'orders-worker')!;
    const killed = pidListeningOn(worker.port!);
    expect(readFileSync(`/proc/${killed}/cmdline`, 'utf8')).toContain('subgraphs/orders/worker-main.ts');

    process.kill(killed, 'SIGKILL');
    await until('orders-worker to be restarted', () => output.some((l) => /^\[start\] orders-worker exited unexpectedly \(signal SIGKILL\); restarting it( in \d+ ms)?$/.test(l)), 30_000);
    await until('orders-worker /health to answer again', () => healthy(worker.port!), 60_000);

    expect(pidListeningOn(worker.port!)).not.toBe(killed);
  }, 100_000);

  it('stops every process it started on Ctrl-C, and exits 0, even a worker it is restarting at that moment', async () => {
    const started = processesReferencing(dataDir);
    // npm start itself, each of its children, and mongo-java-server, redis-server, stripe-mock, Mailpit.
    expect(started.length).toBeGreaterThanOrEqual(1 + stack.length + 4);
    // Ctrl-C lands while a replacement is loading, not yet listening (a once-orphaned case).
    const killed = pidListeningOn(stack.find((p) => p.name === 'analytics-worker')!.port!);
    process.kill(killed, 'SIGKILL');
    const isReplacement = (pid: number) => pid !== killed && describeProcess(pid).includes('subgraphs/orders/analytics/worker-main.ts');
    await until('a new analytics-worker process', () => processesReferencing(dataDir).some(isReplacement), 30_000);
    const exited = exitWithin(start, 40_000);

    process.kill(-start.pid!, 'SIGINT'); // as a terminal's Ctrl-C: to the foreground process group
    const code = await exited;

    expect(code).toBe(0);
    expect(output).toContainEqual(expect.stringMatching(/^\[start\] all stopped; data kept in /));
    expect(processesReferencing(dataDir).map(describeProcess)).toEqual([]);
    const ports = [...stack.map((p) => p.port!), ...backingPorts];
    expect((await Promise.all(ports.map(async (port) => ({ port, free: await canListen(port) })))).filter((p) => !p.free)).toEqual([]);
  }, 60_000);
});

describe('STACK_PORT_OFFSET', () => {
  it('refuses a value that is not an integer from 0 to 20000, before starting anything', () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'npm-start-refused-'));
    try {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env: { ...npmStartEnv(0, dataDir, dataDir), STACK_PORT_OFFSET: '20001' }, encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('STACK_PORT_OFFSET must be an integer from 0 to 20000 (got "20001")');
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});

/**
 * npm start's environment on a developer machine: nothing set, so it starts its own services; no
 * mongod on PATH and its download refused at once (like test/backing-supervision.test.ts), so the
 * chain ends at mongo-java-server's H2 store, as on this machine.
 */
function npmStartEnv(offset: number, dataDir: string, downloadDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The services global-setup started for the other test files are in the environment: npm start must not see them.
  const unset = ['MONGODB_URI', 'REDIS_URL', 'SMTP_URL', 'MAIL_FROM', 'MAILPIT_URL', 'CUSTOMERS_URL', 'PRODUCTS_URL', 'ORDERS_URL', 'PAYMENTS_URL', 'NODE_ENV', 'TEST_DATA_DIR', 'QUEUE_PREFIX', 'DB_PREFIX'];
  for (const k of Object.keys(env)) if (unset.includes(k) || k.startsWith('STRIPE_')) delete env[k];
  return {
    ...env,
    DATA_DIR: dataDir,
    STACK_PORT_OFFSET: String(offset),
    PATH: (env.PATH ?? '').split(path.delimiter).filter((dir) => !existsSync(path.join(dir, 'mongod'))).join(path.delimiter),
    MONGOMS_DOWNLOAD_DIR: downloadDir,
    MONGOMS_DOWNLOAD_URL: 'http://127.0.0.1:1/mongodb-linux-x86_64-debian12-7.0.14.tgz', // refused at once
  };
}

/** Whole lines only: a chunk may end in the middle of one. */
function collectLines(stream: NodeJS.ReadableStream, into: string[]): void {
  let partial = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    into.push(...lines.filter(Boolean));
  });
}

/** An offset below freePort()'s range (scripts/backing/processes.ts) at which every port of the stack is free. */
async function freeOffset(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = 1_000 + Math.floor(Math.random() * 11_000);
    const ports = Object.values(stackProcesses(offset)).flat().map((p: StackProcess) => p.port!);
    if ((await Promise.all(ports.map(canListen))).every(Boolean)) return offset;
  }
  throw new Error('no offset with all 10 stack ports free after 50 tries');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The exit code of `child`, or a description of its still running after `ms`. */
function exitWithin(child: ChildProcess, ms: number): Promise<number | string | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(`still running after ${ms} ms`), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ? `killed by ${signal}` : code);
    });
  });
}

/** Polls `check`; fails at the deadline, or at once when `alive` says npm start is gone. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (!alive()) throw new Error(`npm start exited while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** The pid holding the socket that listens on `port` (Linux /proc: the socket's inode, then its holder), as an operator would find it. */
function pidListeningOn(port: number): number {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const listening = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) => readFileSync(table, 'utf8').split('\n')).map((l) => l.trim().split(/\s+/)).find((f) => f[1]?.endsWith(`:${portHex}`) && f[3] === '0A');
  if (!listening) throw new Error(`nothing listens on port ${port}`);
  const socket = `socket:[${listening[9]}]`;
  const holder = pids().find((pid) => fds(pid).some((fd) => read(() => readlinkSync(`/proc/${pid}/fd/${fd}`)) === socket));
  if (!holder) throw new Error(`no process of ours holds the socket listening on port ${port}`);
  return holder;
}

/**
 * Every process npm start started, however deep: each inherits DATA_DIR (the unique temp folder)
 * in its environment, names the folder in its arguments (the backing services' data files), or
 * works in it (redis-server rewrites its arguments and environment into its title, but chdirs to --dir).
 */
function processesReferencing(dir: string): number[] {
  return pids().filter((pid) => {
    if (pid === process.pid) return false;
    const environ = read(() => readFileSync(`/proc/${pid}/environ`, 'utf8')) ?? '';
    const cmdline = read(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8')) ?? '';
    const cwd = read(() => readlinkSync(`/proc/${pid}/cwd`)) ?? '';
    return environ.split('\0').includes(`DATA_DIR=${dir}`) || cmdline.includes(dir) || cwd.startsWith(dir);
  });
}

function describeProcess(pid: number): string {
  return `${pid}: ${(read(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8')) ?? '?').replace(/\0/g, ' ')}`;
}

function killGroup(pid: number): void {
  for (const target of [-pid, pid]) read(() => process.kill(target, 'SIGKILL'));
}

const pids = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
const fds = (pid: number) => read(() => readdirSync(`/proc/${pid}/fd`)) ?? [];

/** The value, or null when the process is gone meanwhile or is not ours. */
function read<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}
