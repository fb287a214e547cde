import { developmentDefaultsIn, baseEnvSchema } from '../subgraphs/lib/config';
import { REAL_STRIPE, STRONG_SECRETS as STRONG, runEntryInProduction as runEntry } from './support/production-entry';

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

  it('the gateway refuses development CORS origins', async () => {
    const { code, stderr } = await runEntry('gateway/src/main.ts', { ...STRONG, ...REAL_STRIPE, CORS_ORIGINS: 'https://shop.example.com,https://sandbox.embed.apollographql.com' });
    expect(code).toBe(1);
    expect(stderr).toContain('CORS_ORIGINS');
    expect(stderr).toContain('sandbox.embed.apollographql.com');
  });

  it('refuses payment simulation, a mock Stripe API for a live key, and the development secrets', () => {
    const env = baseEnvSchema.parse({ NODE_ENV: 'production', PAYMENT_SIMULATION: 'true', STRIPE_API_HOST: '127.0.0.1', ...REAL_STRIPE });
    expect(developmentDefaultsIn(env).map((d) => d.variable).sort()).toEqual(['INTERNAL_SECRET', 'JWT_SECRET', 'PAYMENT_SIMULATION', 'STRIPE_API_HOST']);
  });

  it('accepts a production environment with real values (a test-mode key may use a self-hosted Stripe API)', () => {
    expect(developmentDefaultsIn(baseEnvSchema.parse({ NODE_ENV: 'production', ...STRONG, ...REAL_STRIPE }))).toEqual([]);
    expect(developmentDefaultsIn(baseEnvSchema.parse({ NODE_ENV: 'production', ...STRONG, ...REAL_STRIPE, STRIPE_SECRET_KEY: 'sk_test_staging', STRIPE_API_HOST: 'stripe-mock' }))).toEqual([]);
  });
});
