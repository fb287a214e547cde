import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, freePort, spawnService, waitForPort, which } from './processes';
import { runService, type RunningService, type ServiceLaunch, type Supervision } from './supervise';

export interface Backing {
  /** What to put in the environment of the services (MONGODB_URI, REDIS_URL, STRIPE_*). */
  env: Record<string, string>;
  /** One line saying which server was chosen and why. */
  description: string;
  stop(): Promise<void>;
}

type Log = (msg: string) => void;

/** `memory`: fresh and fast, gone on exit (tests, benchmarks). `file`: survives a restart (`npm start`). */
export type MongoStore = 'memory' | 'file';

const TOOL_DIR = path.join(ROOT, 'tools', 'mongo-server');
const BUILD_DIR = path.join(ROOT, '.cache', 'mongo-server');
const MAIN_JAR = path.join(BUILD_DIR, 'mongo-server-1.0.0.jar');
/** Where a failed mongod download is remembered, so each start does not wait for it again. */
export const DOWNLOAD_FAILED = path.join(ROOT, '.cache', 'mongodb-download-failed');
const RETRY_DOWNLOAD_AFTER_MS = 24 * 3600_000;
export const MONGO_JAVA_SERVER_VERSION = '1.47.0';

/**
 * A MongoDB-compatible server, in order of preference, each choice logged with its reason:
 * MONGODB_URI from the environment; a `mongod` on PATH; mongodb-memory-server (downloads a real
 * mongod where the network allows); else mongo-java-server behind our own Java main
 * (tools/mongo-server), with its memory backend for tests and its H2 file backend for `npm start`.
 */
export async function ensureMongo(opts: { dataDir: string; log: Log; echo?: boolean; store?: MongoStore; supervision?: Supervision }): Promise<Backing> {
  const store = opts.store ?? 'file';
  if (process.env.MONGODB_URI) return external(process.env.MONGODB_URI, 'MongoDB from MONGODB_URI in the environment');

  const mongod = which('mongod');
  if (mongod) {
    const port = await freePort();
    const dbpath = path.join(opts.dataDir, 'mongod');
    mkdirSync(dbpath, { recursive: true });
    const args = ['--dbpath', dbpath, '--port', String(port), '--bind_ip', '127.0.0.1'];
    const proc = await runService({ name: 'mongod', ports: [port], spawn: () => spawnService('mongod', mongod, args, { echo: opts.echo }), ready: (p) => waitForPort(port, 30_000, p.child) }, opts.supervision);
    return local(proc, `mongodb://127.0.0.1:${port}`, `mongod from PATH (${mongod}) on port ${port}, because MONGODB_URI is not set`);
  }
  opts.log('no MONGODB_URI and no mongod on PATH; trying mongodb-memory-server');

  const memory = await tryMemoryServer(opts.dataDir, opts.log);
  if (memory) return memory;

  return startMongoJavaServer({ ...opts, store });
}

export async function startMongoJavaServer(opts: { dataDir: string; log: Log; echo?: boolean; store: MongoStore; supervision?: Supervision }): Promise<Backing> {
  const java = which('java');
  if (!java) throw new Error('No MongoDB-compatible server: set MONGODB_URI, install mongod, or install a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless maven) for the local mongo-java-server.');
  ensureMongoServerBuild(opts.log);
  const port = await freePort();
  const file = path.join(opts.dataDir, 'mongo', 'store.mv');
  const backendArgs = opts.store === 'file' ? ['--backend', 'h2', '--file', file] : ['--backend', 'memory'];
  const args = ['-XX:+UseSerialGC', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', `${MAIN_JAR}${path.delimiter}${path.join(BUILD_DIR, 'lib', '*')}`, 'local.mongo.MongoServerMain', '--host', '127.0.0.1', '--port', String(port), ...backendArgs];
  const launch: ServiceLaunch = { name: 'mongo-java-server', ports: [port], spawn: () => spawnService('mongo-server', java, args, { echo: opts.echo }), ready: (p) => waitForPort(port, 60_000, p.child) };
  const proc = await runService(launch, opts.supervision);
  const shown = path.relative(ROOT, file).startsWith('..') ? file : path.relative(ROOT, file);
  const where = opts.store === 'file' ? `H2 file ${shown}` : 'in memory';
  return local(proc, `mongodb://127.0.0.1:${port}`, `mongo-java-server ${MONGO_JAVA_SERVER_VERSION} (${where}) on port ${port}, because no mongod was found or could be downloaded`);
}

function external(uri: string, description: string): Backing {
  return { env: { MONGODB_URI: uri }, description, stop: async () => {} };
}

function local(proc: RunningService, uri: string, description: string): Backing {
  return { env: { MONGODB_URI: uri }, description, stop: () => proc.stop() };
}

async function tryMemoryServer(dataDir: string, log: Log): Promise<Backing | null> {
  const failedAt = existsSync(DOWNLOAD_FAILED) ? Date.parse(readFileSync(DOWNLOAD_FAILED, 'utf8').trim()) : NaN;
  if (Date.now() - failedAt < RETRY_DOWNLOAD_AFTER_MS) {
    log(`skipping mongodb-memory-server: its mongod download failed at ${new Date(failedAt).toISOString()} (tried again after 24 h; delete ${path.relative(ROOT, DOWNLOAD_FAILED)} to retry now)`);
    return null;
  }
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
    log(`mongodb-memory-server unavailable (${String(err).split('\n')[0].slice(0, 200)}); falling back to mongo-java-server`);
    mkdirSync(path.dirname(DOWNLOAD_FAILED), { recursive: true });
    writeFileSync(DOWNLOAD_FAILED, new Date().toISOString());
    return null;
  } finally {
    Object.assign(console, { warn, error });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms}ms`)), ms).unref())]);
}

/** Newest modification time under tools/mongo-server (pom.xml and the Java source). */
function newestSource(dir = TOOL_DIR): number {
  return Math.max(...readdirSync(dir).map((name) => {
    const p = path.join(dir, name);
    const s = statSync(p);
    return s.isDirectory() ? newestSource(p) : s.mtimeMs;
  }));
}

/**
 * Builds tools/mongo-server once with the machine's Maven into .cache/mongo-server (our jar plus
 * its runtime classpath in lib/), and again whenever the source is newer than the jar.
 */
export function ensureMongoServerBuild(log: Log): string {
  if (existsSync(MAIN_JAR) && statSync(MAIN_JAR).mtimeMs >= newestSource()) return MAIN_JAR;
  const mvn = which('mvn');
  if (!mvn) throw new Error('Building the local MongoDB server needs Maven and a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless maven), or set MONGODB_URI.');
  // The first build downloads mongo-java-server, H2 and Maven's plugins (minutes on a slow
  // network): Maven's own download and build lines are the progress, shown as they come.
  log('building the local MongoDB server (tools/mongo-server) with Maven; first time only: 10 s with a warm ~/.m2, a few minutes when Maven must download (its output follows)');
  const started = Date.now();
  const built = spawnSync(mvn, ['-B', '-f', path.join(TOOL_DIR, 'pom.xml'), 'package'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (built.status !== 0) throw new Error(`building tools/mongo-server failed (Maven's output is above; exit ${built.status})`);
  log(`built the local MongoDB server in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return MAIN_JAR;
}
