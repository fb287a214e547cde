import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * The project folder (the one with package.json): two levels up from the sources, three from their
 * compiled copy in dist/scripts/backing (npm run start:prod), where .cache, .data and tools/ still are.
 */
export const ROOT = projectRoot(__dirname);

function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '../..');
  }
}

export const CACHE_BIN = path.join(ROOT, '.cache', 'bin');

/**
 * A port that is free now and that the OS will not hand to anyone else by itself: picked at random
 * below the kernel's ephemeral range. A port from listen(0) is in that range, so between our
 * check and the service's bind the kernel could give it to any outgoing connection (a driver's
 * socket) or to another test's listen(0), and the service would then fail to bind, or a client
 * would reach some other process on it.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralRangeStart();
  const low = Math.max(10_000, high - 16_000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found in ${low}-${high - 1} after 100 tries`);
}

/** Linux's net.ipv4.ip_local_port_range start (32768 by default; macOS and Windows start higher). */
function ephemeralRangeStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 11_000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitForPort(port: number, timeoutMs: number, child?: ChildProcess, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`process exited (${child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`}) before listening on ${port}`);
    if (await canConnect(port, host)) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs}ms`);
}

/** Absolute path of an executable on PATH (or in the project's .cache/bin), or null. */
export function which(cmd: string): string | null {
  const local = path.join(CACHE_BIN, cmd);
  if (existsSync(local)) return local;
  const found = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() ? found.stdout.trim() : null;
}

export interface Spawned {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Start a helper process; stop() sends SIGTERM, then SIGKILL if it lingers. Output is prefixed and passed through when `echo` is set. */
export function spawnService(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; echo?: boolean; cwd?: string } = {}): Spawned {
  // Own process group: a terminal Ctrl-C reaches only the orchestrator, which stops children in order.
  const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tail: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      tail.push(line);
      if (tail.length > 50) tail.shift();
      if (opts.echo) process.stdout.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  (child as ChildProcess & { tail: string[] }).tail = tail;
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export function recentOutput(s: Spawned): string {
  return ((s.child as ChildProcess & { tail?: string[] }).tail ?? []).join('\n');
}
