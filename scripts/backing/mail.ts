import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { DEV_MAIL } from '../../subgraphs/lib/config';
import type { Backing } from './mongo';
import { CACHE_BIN, freePort, recentOutput, spawnService, waitForPort, which, type Spawned } from './processes';
import { runService, type ServiceLaunch, type Supervision } from './supervise';

/**
 * The local mail catcher: Mailpit, a single Go binary (SMTP server + web inbox + HTTP API), built
 * once with `go install` like stripe-mock, so it needs nothing but the Go toolchain the project
 * already requires. Mail sent to it never leaves the machine.
 */
export const MAILPIT_VERSION = 'v1.33.1';

export interface Mailpit {
  smtpPort: number;
  /** smtp://127.0.0.1:<port>: what SMTP_URL should be. */
  smtpUrl: string;
  /** The web inbox, and the HTTP API under /api/v1. */
  webUrl: string;
  proc: Spawned;
  stop(): Promise<void>;
}

export interface MailpitOptions {
  /** Use this SMTP port (a test that starts the server late on a port it already handed out). */
  smtpPort?: number;
  /** Keep the inbox in this SQLite file (npm start); otherwise a temporary one, gone on exit. */
  database?: string;
  /** Refuse (SMTP 550) every recipient that does not match this regular expression (tests of permanent failures). */
  allowedRecipients?: string;
  /** Keep every message (Mailpit prunes to the newest 500 by default): a run that counts what each customer got. */
  keepEveryMessage?: boolean;
  echo?: boolean;
  /** Where to say that Mailpit is being built (first run only); stderr if not given. */
  log?: (m: string) => void;
}

const logToStderr = (m: string) => process.stderr.write(`[mailpit] ${m}\n`);

/** How to run Mailpit on fixed ports; ready once both its SMTP and HTTP ports answer. */
function mailpitLaunch(opts: MailpitOptions, smtpPort: number, webPort: number): ServiceLaunch {
  const bin = ensureMailpitBinary(opts.log ?? logToStderr);
  const args = ['--smtp', `127.0.0.1:${smtpPort}`, '--listen', `127.0.0.1:${webPort}`, '--smtp-disable-rdns', '--disable-version-check', '--quiet'];
  if (opts.database) {
    mkdirSync(path.dirname(opts.database), { recursive: true });
    args.push('--database', opts.database);
  }
  if (opts.allowedRecipients) args.push('--smtp-allowed-recipients', opts.allowedRecipients);
  if (opts.keepEveryMessage) args.push('--max', '0');
  return {
    name: 'Mailpit',
    ports: [smtpPort, webPort],
    spawn: () => spawnService('mailpit', bin, args, { echo: opts.echo }),
    ready: async (proc) => {
      await waitForPort(smtpPort, 20_000, proc.child);
      await waitForPort(webPort, 20_000, proc.child);
    },
  };
}

/** Starts Mailpit on 127.0.0.1 (free ports unless given), waits until both its SMTP and HTTP ports answer. */
export async function startMailpit(opts: MailpitOptions = {}): Promise<Mailpit> {
  const smtpPort = opts.smtpPort ?? (await freePort());
  const webPort = await freePort();
  const launch = mailpitLaunch(opts, smtpPort, webPort);
  const proc = launch.spawn();
  try {
    await launch.ready(proc);
  } catch (err) {
    await proc.stop();
    throw new Error(`Mailpit did not start: ${String(err)}\n${recentOutput(proc)}`);
  }
  return { smtpPort, smtpUrl: `smtp://127.0.0.1:${smtpPort}`, webUrl: `http://127.0.0.1:${webPort}`, proc, stop: () => proc.stop() };
}

/**
 * SMTP_URL from the environment wins (a real mail server); otherwise Mailpit on free ports with its
 * inbox kept in `<dataDir>/mailpit` (restarted on the same ports if it dies, under `supervision`).
 * MAILPIT_URL (the inbox) goes into the stack's environment so companion commands can print it.
 */
export async function ensureMail(opts: { dataDir: string; echo?: boolean; log?: (m: string) => void; supervision?: Supervision }): Promise<Backing> {
  const from: Record<string, string> = process.env.MAIL_FROM ? { MAIL_FROM: process.env.MAIL_FROM } : {};
  if (process.env.SMTP_URL) return { env: { SMTP_URL: process.env.SMTP_URL, ...from }, description: 'SMTP server from SMTP_URL in the environment: customer emails are really sent', stop: async () => {} };
  const [smtpPort, webPort] = [await freePort(), await freePort()];
  const launch = mailpitLaunch({ database: path.join(opts.dataDir, 'mailpit', 'mailpit.db'), echo: opts.echo, log: opts.log }, smtpPort, webPort);
  const mailpit = await runService(launch, opts.supervision);
  const webUrl = `http://127.0.0.1:${webPort}`;
  return {
    env: { SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, MAIL_FROM: process.env.MAIL_FROM ?? DEV_MAIL.from, MAILPIT_URL: webUrl },
    description: `Mailpit ${MAILPIT_VERSION} (SMTP on port ${smtpPort}), because SMTP_URL is not set: every customer email lands in the inbox at ${webUrl}`,
    stop: () => mailpit.stop(),
  };
}

export function ensureMailpitBinary(log: (m: string) => void): string {
  const found = which('mailpit');
  if (found) return found;
  const go = which('go') ?? '/usr/local/go/bin/go';
  // Downloads and compiles Mailpit (a minute or more the first time): `go install -v` names each package as it builds.
  log(`installing mailpit@${MAILPIT_VERSION} with go install; first time only (its package list follows)`);
  mkdirSync(CACHE_BIN, { recursive: true });
  const started = Date.now();
  const res = spawnSync(go, ['install', '-v', `github.com/axllent/mailpit@${MAILPIT_VERSION}`], { env: { ...process.env, GOBIN: CACHE_BIN }, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) throw new Error(`No mail catcher: set SMTP_URL, or install Go so Mailpit can be built (go install's output is above${res.error ? `; ${res.error}` : ''})`);
  log(`installed mailpit in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return which('mailpit')!;
}
