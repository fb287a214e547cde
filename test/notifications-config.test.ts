import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureMail } from '../scripts/backing/mail';
import { ROOT } from '../scripts/backing/processes';
import { mailDefaultsIn, mailEnvSchema } from '../subgraphs/lib/config';
import { createMailer } from '../subgraphs/orders/notifications/smtp';
import { inbox } from './notifications-flows';

const PRODUCTION = { NODE_ENV: 'production', INTERNAL_SECRET: 'i'.repeat(40), JWT_SECRET: 'j'.repeat(40), STRIPE_SECRET_KEY: 'sk_live_0123456789abcdef', STRIPE_PUBLISHABLE_KEY: 'pk_live_0123456789abcdef', STRIPE_WEBHOOK_SECRET: 'whsec_0123456789abcdefghij' };

/** Runs the notifications worker's entry with exactly `env` (plus PATH); resolves with its exit code and stderr. */
function runWorker(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/orders/notifications/worker-main.ts'], { cwd: ROOT, env: { PATH: process.env.PATH!, PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('where customer emails go in production', () => {
  it('the notifications worker refuses to start without an SMTP server, a real sender and the shop URL', async () => {
    const { code, stderr } = await runWorker(PRODUCTION);
    expect(code).toBe(1);
    for (const variable of ['SMTP_URL', 'MAIL_FROM', 'SHOP_URL']) expect(stderr).toContain(variable);
  });

  it('accepts real mail settings; development falls back to a local Mailpit without any', () => {
    const real = mailEnvSchema.parse({ SMTP_URL: 'smtps://apikey:secret@smtp.example.net:465', MAIL_FROM: 'Shop <orders@shop.example>', SHOP_URL: 'https://shop.example' });
    expect(mailDefaultsIn(real)).toEqual([]);
    expect(mailEnvSchema.safeParse({ SMTP_URL: 'http://smtp.example.net' }).success).toBe(false);
  });

  it('without SMTP_URL, npm start runs Mailpit: mail sent to its SMTP_URL shows in the inbox at MAILPIT_URL', async () => {
    const { SMTP_URL: saved, ...rest } = process.env;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mail-'));
    process.env = rest; // as on a machine where nobody set SMTP_URL
    const mail = await ensureMail({ dataDir }).finally(() => (process.env = { ...rest, ...(saved ? { SMTP_URL: saved } : {}) }));
    try {
      expect(mail.description).toContain(mail.env.MAILPIT_URL);
      const mailer = createMailer({ smtpUrl: mail.env.SMTP_URL, from: mail.env.MAIL_FROM });
      expect(await mailer.send({ to: 'someone@example.com', subject: 'Hello', text: 'hi', html: '<p>hi</p>', messageId: '<hello@commerce.localhost>' })).toMatchObject({ ok: true });
      mailer.close();
      expect((await inbox(mail.env.MAILPIT_URL).messagesTo('someone@example.com')).map((m) => m.Subject)).toEqual(['Hello']);
    } finally {
      await mail.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
