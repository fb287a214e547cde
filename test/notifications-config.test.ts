import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureMail } from '../scripts/backing/mail';
import { mailDefaultsIn, mailEnvSchema } from '../subgraphs/lib/config';
import { createMailer } from '../subgraphs/orders/notifications/smtp';
import { inbox } from './notifications-flows';
import { REAL_STRIPE, STRONG_SECRETS, runEntryInProduction } from './support/production-entry';

const PRODUCTION = { ...STRONG_SECRETS, ...REAL_STRIPE };

describe('where customer emails go in production', () => {
  it('the notifications worker refuses to start without an SMTP server, a real sender and the shop URL', async () => {
    const { code, stderr } = await runEntryInProduction('subgraphs/orders/notifications/worker-main.ts', PRODUCTION);
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
