import { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection, { type SMTPConnectionAuth, type SMTPConnectionOptions, type SMTPEnvelope } from 'nodemailer/lib/smtp-connection';
import type { MailConfig } from '../../lib/config';

/**
 * Sending one email over SMTP, with nodemailer's low-level SMTPConnection, and saying what a
 * failure means for it:
 * - `permanent`: the server refused this message for good (5xx, e.g. 550 no such mailbox; an
 *   address nodemailer cannot use). Retrying cannot help: the record is FAILED for an admin.
 * - `transient`: nothing was accepted and trying later can work (connection refused, a timeout or
 *   a broken connection before the message was handed over, 4xx, authentication or TLS set-up).
 * - `unknown`: the message was handed over (the end-of-data may have gone out) and the connection
 *   broke before the server answered: it may have been accepted. Treated like a crash after the
 *   hand-over (no automatic retry: a duplicate is what we refuse to risk; docs/notifications.md).
 * - `withheld`: the caller refused the hand-over (its claim on the record was taken away), so the
 *   message was aborted before its end-of-data: nothing was sent, someone else owns the send now.
 *
 * Why the low-level connection and not `transport.sendMail`: the hand-over has to happen after the
 * server answered DATA with 354, just before the end-of-data (<CRLF>.<CRLF>). In RFC 5321 a
 * server accepts a message only on its end-of-data (4.1.1.4), and a connection closed before it
 * acts as RSET, cancelling the pending transaction (3.8). sendMail reads a raw stream into its own
 * buffers before it even connects, so a hook on our stream would fire too early to mean anything;
 * SMTPConnection.send pipes our stream only once MAIL, RCPT and DATA (354) have succeeded.
 */
export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** `<…@domain>`, the same for every send of one notification record. */
  messageId: string;
  headers?: Record<string, string>;
}

export type FailureKind = 'permanent' | 'transient' | 'unknown' | 'withheld';
export type SendOutcome = { ok: true; response: string } | { ok: false; kind: FailureKind; error: string };

/**
 * Asked after the server's 354, with the body on its way, just before the end-of-data: true lets
 * the message end (the server may then accept it); false aborts it, so the server discards it.
 * A thrown error aborts it too (a transient failure: nothing was accepted).
 */
export type HandOver = () => Promise<boolean>;

export interface Mailer {
  send(email: OutgoingEmail, handOver?: HandOver): Promise<SendOutcome>;
  /** Closes the connections still open (a send in flight fails as transient or unknown). */
  close(): void;
}

export interface MailerOptions {
  /** Each of: connecting, the server's greeting, and any silence on the socket. Keep the sum under the send lease. */
  timeoutMs?: number;
}

/** Nodemailer error fields we read (its NodemailerError; declared here to stay on the public surface). */
interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  permanent?: boolean;
  response?: string;
}

/** Errors about our own set-up, not about the message: retried until someone fixes the configuration. */
const SETUP_ERRORS = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ECONFIG', 'ETLS', 'EREQUIRETLS']);
/** Refusals of the message itself that carry no SMTP reply (an address nodemailer cannot use). */
const MESSAGE_ERRORS = new Set(['EENVELOPE', 'EMESSAGE']);

export function classifySmtpError(err: SmtpError, messageHandedOver: boolean): Exclude<FailureKind, 'withheld'> {
  if (err.code && SETUP_ERRORS.has(err.code)) return 'transient';
  if (typeof err.responseCode === 'number') return (err.permanent ?? (err.responseCode >= 500 && err.responseCode !== 503)) ? 'permanent' : 'transient';
  if (err.code && MESSAGE_ERRORS.has(err.code)) return 'permanent';
  return messageHandedOver ? 'unknown' : 'transient';
}

/** For lastError (admins): the code, the SMTP reply code if any, and nodemailer's message (which quotes the reply). */
export function describeSmtpError(err: SmtpError): string {
  return `${err.code ?? 'ERROR'}${err.responseCode ? ` ${err.responseCode}` : ''}: ${err.message}`.slice(0, 500);
}

/** The domain of MAIL_FROM's address: it names every Message-ID we create. */
export function senderDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return address.split('@')[1]?.trim().toLowerCase() || 'localhost';
}

export interface SmtpTarget {
  options: SMTPConnectionOptions;
  auth?: SMTPConnectionAuth;
}

/** Query options of SMTP_URL we pass on; anything else is refused rather than silently ignored (a dropped `requireTLS` would send in clear). */
const URL_FLAGS = ['requireTLS', 'ignoreTLS', 'tls.rejectUnauthorized'] as const;

/**
 * SMTP_URL → SMTPConnection options: `smtp://` (STARTTLS when the server offers it) or `smtps://`
 * (TLS from the start), port 587 / 465 when absent, percent-decoded `user:pass`.
 */
export function smtpTarget(smtpUrl: string, timeoutMs: number): SmtpTarget {
  const url = new URL(smtpUrl);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error(`SMTP_URL must be smtp:// or smtps://, not ${url.protocol}//`);
  const secure = url.protocol === 'smtps:';
  const options: SMTPConnectionOptions = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: false,
  };
  for (const [key, value] of url.searchParams) {
    if (!(URL_FLAGS as readonly string[]).includes(key)) throw new Error(`SMTP_URL option ${key} is not supported (supported: ${URL_FLAGS.join(', ')})`);
    if (value !== 'true' && value !== 'false') throw new Error(`SMTP_URL option ${key} must be true or false`);
    if (key === 'tls.rejectUnauthorized') options.tls = { rejectUnauthorized: value === 'true' };
    else options[key as 'requireTLS' | 'ignoreTLS'] = value === 'true';
  }
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  return user || pass ? { options, auth: { user, pass } } : { options };
}

/** Whether the hand-over happened (so a broken connection means "unknown"), or was refused. */
interface HandOverState {
  handedOver: boolean;
  refused: boolean;
}

/**
 * The message as nodemailer reads it: the raw bytes, then, when it asks for more (after the 354:
 * the stream is piped only then), the hand-over. Ending the stream is what makes nodemailer write
 * the end-of-data; erroring it makes send() fail with ESTREAM and leaves its DataStream unended,
 * so the end-of-data is never written.
 */
async function* rawThenHandOver(raw: Buffer, handOver: HandOver, state: HandOverState): AsyncGenerator<Buffer> {
  yield raw;
  if (!(await handOver())) {
    state.refused = true;
    throw new Error('hand-over refused: the message was aborted before its end-of-data');
  }
  state.handedOver = true;
}

/** One SMTP session: connect, log in if the server offers it and we have credentials, send, quit. */
function transmit(target: SmtpTarget, envelope: SMTPEnvelope, message: Readable, open: Set<SMTPConnection>): Promise<string> {
  return new Promise((resolve, reject) => {
    const connection = new SMTPConnection(target.options);
    open.add(connection);
    connection.once('end', () => open.delete(connection));
    let settled = false;
    const finish = (err: SmtpError | null, response = '') => {
      if (settled) return;
      settled = true;
      if (!err) {
        connection.quit();
        return resolve(response);
      }
      // Dropping the connection mid-DATA is what makes the server discard an unfinished message.
      connection.close();
      message.destroy();
      reject(err);
    };
    // Kept for the connection's whole life: an 'error' without a listener would crash the worker.
    connection.on('error', (err) => finish(err));
    connection.connect((err) => {
      if (err) return finish(err);
      const send = () => connection.send(envelope, message, (e, info) => finish(e ?? null, info ? String(info.response ?? '') : ''));
      // As nodemailer's transport does: credentials are offered only to a server that asks for them.
      if (target.auth && connection.allowsAuth) connection.login(target.auth, (e) => (e ? finish(e) : send()));
      else send();
    });
  });
}

export function createMailer(config: Pick<MailConfig, 'smtpUrl' | 'from'>, opts: MailerOptions = {}): Mailer {
  const target = smtpTarget(config.smtpUrl, opts.timeoutMs ?? 15_000);
  const open = new Set<SMTPConnection>();
  return {
    async send(email, handOver = async () => true) {
      const mail = new MailComposer({ from: config.from, to: email.to, subject: email.subject, html: email.html, text: email.text, messageId: email.messageId, headers: email.headers }).compile();
      const { from, to } = mail.getEnvelope();
      const state: HandOverState = { handedOver: false, refused: false };
      const message = Readable.from(rawThenHandOver(await mail.build(), handOver, state), { objectMode: false });
      try {
        return { ok: true, response: await transmit(target, { from, to }, message, open) };
      } catch (err) {
        const e = err as SmtpError;
        if (state.refused) return { ok: false, kind: 'withheld', error: describeSmtpError(e) };
        return { ok: false, kind: classifySmtpError(e, state.handedOver), error: describeSmtpError(e) };
      }
    },
    close() {
      for (const connection of open) connection.close();
      open.clear();
    },
  };
}
