import { mkdirSync } from 'node:fs';
import type { Backing } from './mongo';
import { CACHE_BIN, freePort, spawnService, waitForPort, which } from './processes';
import { spawnSync as run } from 'node:child_process';
import { runService, type Supervision } from './supervise';

export const STRIPE_MOCK_VERSION = 'v0.197.0';
/** stripe-mock accepts any key of the right shape; these never touch a real account. */
export const MOCK_SECRET_KEY = 'sk_test_localmock';
export const MOCK_PUBLISHABLE_KEY = 'pk_test_mock_local';
export const MOCK_WEBHOOK_SECRET = 'whsec_local_development_secret';

/**
 * STRIPE_SECRET_KEY from the environment wins (real Stripe test mode, or STRIPE_API_HOST for a
 * self-hosted mock); otherwise stripe-mock on a free port, installed with `go install` if needed.
 * stripe-mock keeps no state and sends no webhooks: `npm run pay` signs and delivers them.
 */
export async function ensureStripe(opts: { log: (m: string) => void; echo?: boolean; supervision?: Supervision }): Promise<Backing> {
  if (process.env.STRIPE_SECRET_KEY) {
    const env: Record<string, string> = { STRIPE_SECRET_KEY: process.env.STRIPE_SECRET_KEY };
    for (const k of ['STRIPE_API_HOST', 'STRIPE_API_PORT', 'STRIPE_API_PROTOCOL', 'STRIPE_PUBLISHABLE_KEY', 'STRIPE_WEBHOOK_SECRET']) if (process.env[k]) env[k] = process.env[k]!;
    return { env, description: `Stripe API at ${process.env.STRIPE_API_HOST ?? 'api.stripe.com'} (STRIPE_SECRET_KEY from the environment)`, stop: async () => {} };
  }
  const bin = ensureStripeMockBinary(opts.log);
  const port = await freePort();
  const httpsPort = await freePort();
  const args = ['-http-port', String(port), '-https-port', String(httpsPort)];
  const proc = await runService(
    { name: 'stripe-mock', ports: [port, httpsPort], spawn: () => spawnService('stripe-mock', bin, args, { echo: opts.echo }), ready: (p) => waitForPort(port, 30_000, p.child) },
    opts.supervision,
  );
  return {
    env: {
      STRIPE_SECRET_KEY: MOCK_SECRET_KEY,
      STRIPE_PUBLISHABLE_KEY: MOCK_PUBLISHABLE_KEY,
      STRIPE_WEBHOOK_SECRET: process.env.STRIPE_WEBHOOK_SECRET ?? MOCK_WEBHOOK_SECRET,
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(port),
      STRIPE_API_PROTOCOL: 'http',
    },
    description: `stripe-mock ${STRIPE_MOCK_VERSION} on port ${port}, because STRIPE_SECRET_KEY is not set`,
    stop: () => proc.stop(),
  };
}

export function ensureStripeMockBinary(log: (m: string) => void): string {
  const found = which('stripe-mock');
  if (found) return found;
  const go = which('go') ?? '/usr/local/go/bin/go';
  // Downloads and compiles stripe-mock (a minute or two the first time): `go install -v` names each package as it builds.
  log(`installing stripe-mock@${STRIPE_MOCK_VERSION} with go install; first time only (its package list follows)`);
  mkdirSync(CACHE_BIN, { recursive: true });
  const started = Date.now();
  const res = run(go, ['install', '-v', `github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION}`], { env: { ...process.env, GOBIN: CACHE_BIN }, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) throw new Error(`No Stripe: set STRIPE_SECRET_KEY, or install Go so stripe-mock can be built (go install's output is above${res.error ? `; ${res.error}` : ''})`);
  log(`installed stripe-mock in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return which('stripe-mock')!;
}
