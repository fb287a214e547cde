import { spawn } from 'node:child_process';
import { ROOT } from '../../scripts/backing/processes';

/** Secrets strong enough for production's checks (never real ones). */
export const STRONG_SECRETS = { INTERNAL_SECRET: 'i'.repeat(40), JWT_SECRET: 'j'.repeat(40) };
/** Stripe settings that are not the public development defaults. */
export const REAL_STRIPE = { STRIPE_SECRET_KEY: 'sk_live_0123456789abcdef', STRIPE_PUBLISHABLE_KEY: 'pk_live_0123456789abcdef', STRIPE_WEBHOOK_SECRET: 'whsec_0123456789abcdefghij' };
/**
 * Addresses of MongoDB and Redis that are not the local development defaults, so a refusal under
 * test is the only one. Nothing listens there: a process that wrongly starts fails to connect.
 */
export const REAL_BACKING = { MONGODB_URI: 'mongodb://db.invalid:27017/?replicaSet=rs0', REDIS_URL: 'redis://cache.invalid:6379' };

export interface ProductionRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a TypeScript entry (a process's main, or a script with `args`) with NODE_ENV=production,
 * REAL_BACKING and exactly `env` (plus PATH, so nothing of the test's environment leaks in; a
 * variable given as undefined is left out); resolves with its exit code and output. Killed after
 * 30 s with everything it started: an entry that should refuse to start but does not.
 */
export function runEntryInProduction(entry: string, env: Record<string, string | undefined>, args: string[] = []): Promise<ProductionRun> {
  const defined = Object.fromEntries(Object.entries({ NODE_ENV: 'production', PORT: '0', ...REAL_BACKING, ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  return new Promise((resolve) => {
    // Its own process group, so a timeout also stops anything it spawned.
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: ROOT, env: { PATH: process.env.PATH!, ...defined }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => killGroup(child.pid!), 30_000);
    // 'close', not 'exit': resolves only once all of its output has been read.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function killGroup(pid: number) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
