import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SUBGRAPH_NAMES } from '../../subgraphs/lib/config';
import type { Backing } from '../backing';
import { ensureMongo } from '../backing/mongo';
import { freePort, recentOutput, spawnService, waitForPort, type Spawned } from '../backing/processes';
import { ensureStripe } from '../backing/stripe';
import { GATEWAY_PROCESS, SUBGRAPH_PROCESSES, WORKER_PROCESSES, type StackProcess } from '../stack-processes';
import { startChaosMailpit } from './mail';
import { startPrivateRedis, type PrivateRedis } from './redis';

/**
 * The stack for the chaos run, every process a child we may SIGKILL: the four subgraphs, the
 * gateway and `replicas` copies of every worker, in production mode with fresh secrets, a private
 * database and queue prefix, a private redis-server (appendonly everysec, as in production) so
 * Redis itself can be crashed, and a private Mailpit that keeps every message, so the emails can be
 * counted. The backing MongoDB, stripe-mock and Mailpit are never killed.
 */
export interface ChaosProcess {
  /** Unique per replica, e.g. `orders-worker#2`. */
  name: string;
  role: 'subgraph' | 'gateway' | 'worker';
  spec: StackProcess;
  port: number;
  proc: Spawned | null;
  kills: number;
}

export interface ChaosStack {
  env: NodeJS.ProcessEnv;
  redis: PrivateRedis;
  processes: ChaosProcess[];
  gatewayUrl: string;
  webhookUrl: string;
  webhookSecret: string;
  mongoUri: string;
  /** The run's Mailpit (HTTP API under /api/v1), and the From address every email carries. */
  mailpitUrl: string;
  mailFrom: string;
  dbPrefix: string;
  queuePrefix: string;
  jwtSecret: string;
  /** Bearer token for every process's /metrics. */
  metricsToken: string;
  /** Starts (or restarts) the given processes, subgraphs and workers together, then the gateway; retries a start that fails. */
  start(which?: ChaosProcess[]): Promise<void>;
  /** SIGKILL, no goodbye. */
  kill(p: ChaosProcess): Promise<void>;
  stop(): Promise<void>;
}

export interface ChaosStackOptions {
  replicas: number;
  log: (m: string) => void;
  /** Environment for every process on top of ours (e.g. SAFETY_NET_GRACE_MS). */
  extraEnv?: NodeJS.ProcessEnv;
}

const isUp = (p: ChaosProcess) => !!p.proc && p.proc.child.exitCode === null && p.proc.child.signalCode === null;

async function backingServices(dataDir: string, log: (m: string) => void): Promise<Backing[]> {
  const started: Backing[] = [await ensureMongo({ dataDir, log, store: 'memory' }), await ensureStripe({ log })];
  const mailpit = await startChaosMailpit();
  started.push({ env: { SMTP_URL: mailpit.smtpUrl, MAILPIT_URL: mailpit.webUrl }, description: mailpit.description, stop: mailpit.stop });
  for (const b of started) log(b.description);
  return started;
}

async function processList(replicas: number): Promise<ChaosProcess[]> {
  const list: ChaosProcess[] = [];
  const add = async (spec: StackProcess, role: ChaosProcess['role'], name = spec.name) => list.push({ name, role, spec, port: await freePort(), proc: null, kills: 0 });
  for (const s of SUBGRAPH_PROCESSES) await add(s, 'subgraph');
  for (const w of WORKER_PROCESSES) for (let i = 1; i <= replicas; i++) await add(w, 'worker', replicas > 1 ? `${w.name}#${i}` : w.name);
  await add(GATEWAY_PROCESS, 'gateway');
  return list;
}

function chaosEnv(backing: Backing[], redis: PrivateRedis, processes: ChaosProcess[], extra: NodeJS.ProcessEnv) {
  const runId = randomBytes(3).toString('hex');
  const portOf = (name: string) => processes.find((p) => p.name === name)!.port;
  const peers = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, `http://127.0.0.1:${portOf(n)}/graphql`]));
  return {
    ...process.env,
    ...Object.assign({}, ...backing.map((b) => b.env)),
    REDIS_URL: redis.url,
    INTERNAL_SECRET: randomBytes(24).toString('hex'),
    JWT_SECRET: randomBytes(24).toString('hex'),
    // Production refuses stripe-mock's public defaults: a fresh test-mode key and webhook secret per run.
    STRIPE_SECRET_KEY: `sk_test_chaos${runId}`,
    STRIPE_PUBLISHABLE_KEY: `pk_test_chaos${runId}`,
    STRIPE_WEBHOOK_SECRET: `whsec_chaos${randomBytes(12).toString('hex')}`,
    ...peers,
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    DB_PREFIX: `chaos_${runId}_`,
    QUEUE_PREFIX: `chaos-${runId}`,
    RATE_LIMIT_ENABLED: 'false',
    SHUTDOWN_DRAIN_DELAY_MS: '0',
    GATEWAY_WORKERS: '1',
    // The notifications worker refuses development mail settings in production.
    MAIL_FROM: 'Chaos Shop <orders@chaos-shop.example>',
    SHOP_URL: 'https://chaos-shop.example',
    // A send cut off by a kill holds its record until the lease runs out (2 min in production): 20 s
    // settles it within the run. Sends to the local Mailpit take milliseconds, far inside it.
    NOTIFICATION_LEASE_MS: '20000',
    METRICS_TOKEN: randomBytes(16).toString('hex'),
    ...extra,
  } as NodeJS.ProcessEnv;
}

export async function startChaosStack(opts: ChaosStackOptions): Promise<ChaosStack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chaos-'));
  const processes = await processList(opts.replicas);
  const backing = await backingServices(dataDir, opts.log);
  const redis = await startPrivateRedis(path.join(dataDir, 'redis'), 'everysec');
  opts.log(`private redis-server on port ${redis.port} (appendonly, fsync every second)`);
  const env = chaosEnv(backing, redis, processes, opts.extraEnv ?? {});

  const launchOnce = async (p: ChaosProcess) => {
    p.proc = spawnService(p.name, process.execPath, ['--import', 'tsx', p.spec.entry], { env: { ...env, PORT: String(p.port) } });
    try {
      await waitForPort(p.port, 60_000, p.proc.child);
    } catch (err) {
      const output = recentOutput(p.proc);
      await p.proc.stop();
      throw new Error(`${p.name} did not start: ${String(err)}\n${output}`);
    }
  };
  /** Like a supervisor: a start that fails (Redis down at that instant...) is tried again. */
  const launch = async (p: ChaosProcess) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await launchOnce(p);
      } catch (err) {
        if (attempt >= 5) throw err;
        opts.log(`${p.name} failed to start (attempt ${attempt}); trying again`);
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
  };
  const stack: ChaosStack = {
    env,
    redis,
    processes,
    gatewayUrl: `http://127.0.0.1:${processes.find((p) => p.role === 'gateway')!.port}/graphql`,
    webhookUrl: `http://127.0.0.1:${processes.find((p) => p.name === 'payments')!.port}/webhooks/stripe`,
    webhookSecret: env.STRIPE_WEBHOOK_SECRET!,
    mongoUri: env.MONGODB_URI!,
    mailpitUrl: env.MAILPIT_URL!,
    mailFrom: env.MAIL_FROM!,
    dbPrefix: env.DB_PREFIX!,
    queuePrefix: env.QUEUE_PREFIX!,
    jwtSecret: env.JWT_SECRET!,
    metricsToken: env.METRICS_TOKEN!,
    async start(which = processes) {
      const down = which.filter((p) => !isUp(p));
      await Promise.all(down.filter((p) => p.role !== 'gateway').map(launch));
      await Promise.all(down.filter((p) => p.role === 'gateway').map(launch));
    },
    async kill(p) {
      const child = p.proc?.child;
      if (!child || !isUp(p)) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      p.kills++;
      await exited;
    },
    async stop() {
      for (const p of [...processes].reverse()) await p.proc?.stop();
      await redis.stop();
      for (const b of backing) await b.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}

export const processIsUp = isUp;
