import { spawn } from 'node:child_process';
import { ROOT } from '../../scripts/backing/processes';

/** Secrets strong enough for production's checks (never real ones). */
export const STRONG_SECRETS = { INTERNAL_SECRET: 'i'.repeat(40), JWT_SECRET: 'j'.repeat(40) };
/** Stripe settings that are not the public development defaults. */
export const REAL_STRIPE = { STRIPE_SECRET_KEY: 'sk_live_0123456789abcdef', STRIPE_PUBLISHABLE_KEY: 'pk_live_0123456789abcdef', STRIPE_WEBHOOK_SECRET: 'whsec_0123456789abcdefghij' };

/**
 * Runs a process entry (e.g. `subgraphs/payments/main.ts`) with NODE_ENV=production and exactly
 * `env` (plus PATH, so nothing of the test's environment leaks in); resolves with its exit code
 * and stderr. Killed after 30 s: an entry that should refuse to start but does not.
 */
export function runEntryInProduction(entry: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env: { PATH: process.env.PATH!, NODE_ENV: 'production', PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}
