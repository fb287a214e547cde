import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gatewayEnvSchema } from '../gateway/src/config';
import { developmentDefaultsIn, baseEnvSchema, subgraphEnvSchema } from '../subgraphs/lib/config';
import { SEED_ADMIN, SEED_CUSTOMER_PASSWORD } from '../subgraphs/customers/seed';
import { REAL_BACKING, REAL_STRIPE, STRONG_SECRETS as STRONG, runEntryInProduction as runEntry } from './support/production-entry';

/** A production environment with nothing left at a development default. */
const PRODUCTION = { NODE_ENV: 'production', ...STRONG, ...REAL_STRIPE, ...REAL_BACKING };

/** The variables a schema refuses for `env`. */
function refused(schema: { safeParse(env: unknown): { success: boolean; error?: { issues: Array<{ path: PropertyKey[] }> } } }, env: Record<string, string | undefined>): string[] {
  const result = schema.safeParse(env);
  return result.success ? [] : result.error!.issues.map((i) => String(i.path[0])).sort();
}

/** A `KEY: value` of docker-compose.yml's shared environment, exactly as published. */
function composeValue(key: string): string {
  const compose = readFileSync(path.resolve(__dirname, '..', 'docker-compose.yml'), 'utf8');
  const value = new RegExp(`^\\s+${key}:\\s*(\\S+)\\s*$`, 'm').exec(compose)?.[1];
  if (!value) throw new Error(`docker-compose.yml sets no ${key}`);
  return value;
}

/**
 * An attacker who knows this repository knows every development default. With NODE_ENV=production
 * and only the two secrets set, nothing may start: the public webhook secret would let anyone mark
 * their own payment paid.
 */
describe('production refuses to start with any development default', () => {
  it('the payments service refuses the public Stripe defaults, naming each variable', async () => {
    const { code, stderr } = await runEntry('subgraphs/payments/main.ts', STRONG);
    expect(code).toBe(1);
    for (const variable of ['STRIPE_SECRET_KEY', 'STRIPE_PUBLISHABLE_KEY', 'STRIPE_WEBHOOK_SECRET']) expect(stderr).toContain(variable);
  });

  it('a subgraph without MONGODB_URI exits 1 naming it (it would use a local development server)', async () => {
    const { code, stderr } = await runEntry('subgraphs/payments/main.ts', { ...STRONG, ...REAL_STRIPE, MONGODB_URI: undefined });
    expect(code).toBe(1);
    expect(stderr).toContain('MONGODB_URI');
    expect(stderr).not.toContain('REDIS_URL');
  });

  it('a worker without REDIS_URL exits 1 naming it', async () => {
    const { code, stderr } = await runEntry('subgraphs/payments/worker-main.ts', { ...STRONG, ...REAL_STRIPE, REDIS_URL: undefined });
    expect(code).toBe(1);
    expect(stderr).toContain('REDIS_URL');
    expect(stderr).not.toContain('MONGODB_URI');
  });

  it('the gateway requires REDIS_URL but not MONGODB_URI (it has no database)', () => {
    expect(refused(gatewayEnvSchema, { ...PRODUCTION, REDIS_URL: undefined })).toEqual(['REDIS_URL']);
    expect(refused(gatewayEnvSchema, { ...PRODUCTION, MONGODB_URI: undefined })).toEqual([]);
  });

  it('the gateway refuses development CORS origins', async () => {
    const { code, stderr } = await runEntry('gateway/src/main.ts', { ...STRONG, ...REAL_STRIPE, CORS_ORIGINS: 'https://shop.example.com,https://sandbox.embed.apollographql.com' });
    expect(code).toBe(1);
    expect(stderr).toContain('CORS_ORIGINS');
    expect(stderr).toContain('sandbox.embed.apollographql.com');
  });

  it("refuses docker-compose.yml's published change-me secrets, in either variable", () => {
    const internal = composeValue('INTERNAL_SECRET');
    const jwt = composeValue('JWT_SECRET');
    expect(refused(subgraphEnvSchema('orders'), { ...PRODUCTION, INTERNAL_SECRET: internal, JWT_SECRET: jwt })).toEqual(['INTERNAL_SECRET', 'JWT_SECRET']);
    expect(refused(gatewayEnvSchema, { ...PRODUCTION, INTERNAL_SECRET: jwt, JWT_SECRET: internal })).toEqual(['INTERNAL_SECRET', 'JWT_SECRET']);
    // Development runs with them, as compose does.
    expect(refused(subgraphEnvSchema('orders'), { ...PRODUCTION, NODE_ENV: 'development', INTERNAL_SECRET: internal, JWT_SECRET: jwt })).toEqual([]);
  });

  it("refuses the README's seeded passwords as ADMIN_PASSWORD, and accepts another", () => {
    // The refused passwords are the ones the README prints for the seeded accounts.
    const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    for (const password of [SEED_ADMIN.password, SEED_CUSTOMER_PASSWORD]) expect(readme).toContain(password);
    for (const password of [SEED_ADMIN.password, SEED_CUSTOMER_PASSWORD]) {
      expect(refused(subgraphEnvSchema('customers'), { ...PRODUCTION, ADMIN_EMAIL: 'ops@shop.example', ADMIN_PASSWORD: password })).toEqual(['ADMIN_PASSWORD']);
    }
    expect(refused(subgraphEnvSchema('customers'), { ...PRODUCTION, ADMIN_EMAIL: 'ops@shop.example', ADMIN_PASSWORD: 'a long admin passphrase 42' })).toEqual([]);
  });

  it('refuses payment simulation, a mock Stripe API for a live key, local backing services and the development secrets', () => {
    const env = baseEnvSchema.parse({ NODE_ENV: 'production', PAYMENT_SIMULATION: 'true', STRIPE_API_HOST: '127.0.0.1', ...REAL_STRIPE });
    expect(developmentDefaultsIn(env).map((d) => d.variable).sort()).toEqual(['INTERNAL_SECRET', 'JWT_SECRET', 'MONGODB_URI', 'PAYMENT_SIMULATION', 'REDIS_URL', 'STRIPE_API_HOST']);
  });

  it('accepts a production environment with real values (a test-mode key may use a self-hosted Stripe API)', () => {
    expect(developmentDefaultsIn(baseEnvSchema.parse(PRODUCTION))).toEqual([]);
    expect(developmentDefaultsIn(baseEnvSchema.parse({ ...PRODUCTION, STRIPE_SECRET_KEY: 'sk_test_staging', STRIPE_API_HOST: 'stripe-mock' }))).toEqual([]);
  });
});
