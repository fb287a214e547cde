import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../subgraphs/lib/config';
import type { StackProcess } from '../stack-processes';
import { ensureBackingServices } from './index';
import { launchProcess } from './launch';
import { freePort, type Spawned } from './processes';

/**
 * For benchmarks: its own backing services (or those the environment names), and the chosen
 * processes of the stack as children on free ports, in production mode with fresh secrets, a
 * private database prefix and queue prefix. stop() stops everything it started.
 */
export interface BenchStack {
  env: NodeJS.ProcessEnv;
  ports: Record<string, number>;
  mongoUri: string;
  redisUrl: string;
  dbPrefix: string;
  queuePrefix: string;
  secrets: { INTERNAL_SECRET: string; JWT_SECRET: string };
  children: Array<{ name: string; proc: Spawned }>;
  launch(p: StackProcess): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchStack(log: (m: string) => void, extraEnv: NodeJS.ProcessEnv = {}): Promise<BenchStack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const backing = await ensureBackingServices({ dataDir, log, mongoStore: 'memory' });
  const runId = randomBytes(3).toString('hex');
  const secrets = { INTERNAL_SECRET: randomBytes(24).toString('hex'), JWT_SECRET: randomBytes(24).toString('hex') };
  const ports: Record<string, number> = {};
  for (const name of SUBGRAPH_NAMES) ports[name] = await freePort();
  const peers = Object.fromEntries(SUBGRAPH_NAMES.map((n: SubgraphName) => [`${n.toUpperCase()}_URL`, `http://127.0.0.1:${ports[n]}/graphql`]));
  const dbPrefix = `bench_${runId}_`;
  const queuePrefix = `bench-${runId}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...backing.env,
    ...secrets,
    // Production refuses stripe-mock's public defaults; a fresh test-mode key and secret per run.
    STRIPE_SECRET_KEY: `sk_test_bench${runId}`,
    STRIPE_PUBLISHABLE_KEY: `pk_test_bench${runId}`,
    STRIPE_WEBHOOK_SECRET: `whsec_bench${randomBytes(12).toString('hex')}`,
    ...peers,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DB_PREFIX: dbPrefix,
    QUEUE_PREFIX: queuePrefix,
    RATE_LIMIT_ENABLED: 'false',
    SHUTDOWN_DRAIN_DELAY_MS: '0',
    ...extraEnv,
  };
  const children: BenchStack['children'] = [];
  const stack: BenchStack = {
    env,
    ports,
    mongoUri: backing.env.MONGODB_URI ?? process.env.MONGODB_URI!,
    redisUrl: backing.env.REDIS_URL ?? process.env.REDIS_URL!,
    dbPrefix,
    queuePrefix,
    secrets,
    children,
    async launch(p) {
      const port = ports[p.name] ?? (ports[p.name] = await freePort());
      children.push({ name: p.name, proc: await launchProcess(p, env, { port }) });
    },
    async stop() {
      for (const c of [...children].reverse()) await c.proc.stop();
      await backing.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  process.once('SIGINT', () => void stack.stop().then(() => process.exit(130)));
  return stack;
}

export function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Math.round((kb / 1024) * 10) / 10;
  } catch {
    return NaN;
  }
}
