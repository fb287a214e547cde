import { ensureMail } from './mail';
import { ensureMongo, type Backing, type MongoStore } from './mongo';
import { ensureRedis } from './redis';
import { ensureStripe } from './stripe';
import type { Supervision } from './supervise';

export type { Backing };

/**
 * Every backing service the stack needs, chosen as described in each ensure*(), with one stop().
 * `mail`: also an SMTP server (ensureMail: SMTP_URL, or a local Mailpit) for the notifications worker.
 * `supervision` (npm start only): each service started here (never one the environment names) is
 * restarted on the same ports if it dies, by restart-policy.ts; stop() ends supervision before the process.
 */
export async function ensureBackingServices(opts: { dataDir: string; log: (m: string) => void; echo?: boolean; mongoStore?: MongoStore; mail?: boolean; supervision?: Supervision }): Promise<Backing> {
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
