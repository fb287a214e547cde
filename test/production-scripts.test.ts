import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REAL_BACKING, REAL_STRIPE, STRONG_SECRETS, runEntryInProduction } from './support/production-entry';

/**
 * The commands meant for a developer's machine refuse production before they start anything:
 * `npm start` would otherwise run local stand-ins (mongo-java-server, a private redis-server,
 * stripe-mock, Mailpit) and `npm run pay` would sign a webhook that marks a payment paid.
 */
describe('development commands refuse NODE_ENV=production before starting anything', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'prod-scripts-')), 'data')));
  afterEach(() => rmSync(path.dirname(dataDir), { recursive: true, force: true }));

  /** Everything `npm start` in production needs to use real services instead of local stand-ins. */
  const REAL_SERVICES = { ...STRONG_SECRETS, ...REAL_STRIPE, ...REAL_BACKING, SMTP_URL: 'smtps://user:pass@smtp.invalid:465' };

  it.each(['MONGODB_URI', 'REDIS_URL', 'STRIPE_SECRET_KEY', 'SMTP_URL'])('npm start without %s exits 1 naming it, and starts no service', async (variable) => {
    const { code, stdout, stderr } = await runEntryInProduction('scripts/start.ts', { ...REAL_SERVICES, [variable]: undefined, DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(stderr).toContain('NODE_ENV=production');
    expect(stderr).toContain(variable);
    for (const other of ['MONGODB_URI', 'REDIS_URL', 'STRIPE_SECRET_KEY', 'SMTP_URL'].filter((v) => v !== variable)) expect(stderr).not.toContain(other);
    // Nothing was started: no service announced itself and no data directory was created.
    expect(stdout).toBe('');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('npm run pay refuses to sign a webhook with NODE_ENV=production, before reading any payment', async () => {
    const { code, stdout, stderr } = await runEntryInProduction('scripts/pay.ts', { ...REAL_SERVICES, DATA_DIR: dataDir }, [`pay_${'0'.repeat(24)}`, 'succeeded']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/refus.*NODE_ENV=production/);
    // It never tried MongoDB (db.invalid): the refusal is the only thing it said.
    expect(stderr).not.toMatch(/MongoDB|cannot reach/i);
    expect(stdout).toBe('');
  });
});
