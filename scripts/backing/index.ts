import { ensureMail } from './mail';
import { ensureMongo, type Backing, type MongoStore } from './mongo';
import { ensureRedis } from './redis';
import { ensureStripe } from './stripe';

export type { Backing };

/**
 * Every backing service the stack needs, chosen as described in each ensure*(), with one stop().
 * `mail`: also an SMTP server (ensureMail: SMTP_URL, or a local Mailpit) for the notifications worker.
 */
export async function ensureBackingServices(opts: { dataDir: string; log: (m: string) => void; echo?: boolean; mongoStore?: MongoStore; mail?: boolean }): Promise<Backing> {
  const started: Backing[] = [];
  const mail = opts.mail ? [() => ensureMail(opts)] : [];
  try {
    for (const ensure of [() => ensureMongo({ ...opts, store: opts.mongoStore }), () => ensureRedis(opts), () => ensureStripe(opts), ...mail]) {
      const b = await ensure();
      opts.log(b.description);
      started.push(b);
    }
  } catch (err) {
    await Promise.all(started.map((b) => b.stop()));
    throw err;
  }
  return {
    env: Object.assign({}, ...started.map((b) => b.env)),
    description: started.map((b) => b.description).join('; '),
    stop: async () => void (await Promise.all(started.map((b) => b.stop()))),
  };
}
