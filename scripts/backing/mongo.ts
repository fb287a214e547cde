import { existsSync, mkdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CACHE_BIN, ROOT, freePort, recentOutput, spawnService, waitForPort, which, type Spawned } from './processes';

export interface Backing {
  /** What to put in the environment of the services (MONGODB_URI, REDIS_URL, STRIPE_*). */
  env: Record<string, string>;
  /** One line saying which server was chosen and why. */
  description: string;
  stop(): Promise<void>;
}

type Log = (msg: string) => void;

/**
 * A MongoDB-compatible server, in order of preference: MONGODB_URI from the environment;
 * a `mongod` on PATH; mongodb-memory-server (which downloads mongod where the network allows);
 * else FerretDB v1 (SQLite backend) embedded in our own Go main (tools/ferretdb).
 */
export async function ensureMongo(opts: { dataDir: string; log: Log; echo?: boolean }): Promise<Backing> {
  if (process.env.MONGODB_URI) return external('MONGODB_URI', process.env.MONGODB_URI, 'MongoDB from MONGODB_URI in the environment');

  const mongod = which('mongod');
  if (mongod) {
    const port = await freePort();
    const dbpath = path.join(opts.dataDir, 'mongod');
    mkdirSync(dbpath, { recursive: true });
    const proc = spawnService('mongod', mongod, ['--dbpath', dbpath, '--port', String(port), '--bind_ip', '127.0.0.1'], { echo: opts.echo });
    await waitForPort(port, 30_000, proc.child);
    return local(proc, `mongodb://127.0.0.1:${port}`, `mongod from PATH (${mongod}) on port ${port}`);
  }
  opts.log('no MONGODB_URI and no mongod on PATH; trying mongodb-memory-server');

  const memory = await tryMemoryServer(opts.dataDir, opts.log);
  if (memory) return memory;

  const ferret = await ensureFerretBinary(opts.log);
  const port = await freePort();
  const dataDir = path.join(opts.dataDir, 'ferretdb');
  mkdirSync(dataDir, { recursive: true });
  const proc = spawnService('ferretdb', ferret, ['-listen', `127.0.0.1:${port}`, '-data', dataDir], { echo: opts.echo });
  try {
    await waitForPort(port, 30_000, proc.child);
  } catch (err) {
    throw new Error(`FerretDB did not start: ${String(err)}\n${recentOutput(proc)}`);
  }
  return local(proc, `mongodb://127.0.0.1:${port}`, `FerretDB v1.24.2 (SQLite, data in ${path.relative(ROOT, dataDir) || dataDir}) on port ${port}, because no mongod could be found or downloaded`);
}

function external(_key: string, uri: string, description: string): Backing {
  return { env: { MONGODB_URI: uri }, description, stop: async () => {} };
}

function local(proc: Spawned, uri: string, description: string): Backing {
  return { env: { MONGODB_URI: uri }, description, stop: () => proc.stop() };
}

async function tryMemoryServer(dataDir: string, log: Log): Promise<Backing | null> {
  let mod: typeof import('mongodb-memory-server-core');
  try {
    mod = await import('mongodb-memory-server-core');
  } catch {
    log('mongodb-memory-server-core is not installed');
    return null;
  }
  const dbPath = path.join(dataDir, 'mongo-memory');
  mkdirSync(dbPath, { recursive: true });
  // The library prints its own download stack traces; our one-line summary below is enough.
  const { warn, error } = console;
  console.warn = console.error = () => {};
  try {
    const server = await withTimeout(
      mod.MongoMemoryServer.create({ instance: { dbPath, storageEngine: 'wiredTiger', ip: '127.0.0.1' } }),
      Number(process.env.MONGOMS_TIMEOUT_MS ?? 20_000),
    );
    return { env: { MONGODB_URI: server.getUri() }, description: `mongodb-memory-server (${server.getUri()})`, stop: async () => void (await server.stop({ doCleanup: false })) };
  } catch (err) {
    log(`mongodb-memory-server unavailable (${String(err).split('\n')[0].slice(0, 200)}); falling back to FerretDB`);
    return null;
  } finally {
    Object.assign(console, { warn, error });
  }
}

/** Rebuild when tools/ferretdb changed after the binary was built. */
function sourceNewerThan(bin: string): boolean {
  const built = statSync(bin).mtimeMs;
  const dir = path.join(ROOT, 'tools', 'ferretdb');
  return ['main.go', 'go.mod', 'go.sum'].some((f) => statSync(path.join(dir, f)).mtimeMs > built);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms}ms`)), ms).unref())]);
}

/** The FerretDB binary, built once from tools/ferretdb with the machine's Go into .cache/bin. */
export async function ensureFerretBinary(log: Log): Promise<string> {
  const bin = path.join(CACHE_BIN, 'ferretdb');
  if (existsSync(bin) && !sourceNewerThan(bin)) return bin;
  const go = which('go') ?? (which('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
  if (!go) throw new Error('No MongoDB-compatible server: set MONGODB_URI, install mongod, or install Go (to build the embedded FerretDB).');
  log('building FerretDB (tools/ferretdb) with Go; first time only');
  mkdirSync(CACHE_BIN, { recursive: true });
  const built = spawnSync(go, ['build', '-o', bin, '.'], { cwd: path.join(ROOT, 'tools', 'ferretdb'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (built.status !== 0) throw new Error(`building FerretDB failed:\n${built.stderr}`);
  return bin;
}
