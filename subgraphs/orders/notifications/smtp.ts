import { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { MailConfig } from '../../lib/config';

/**
 * Sending one email over SMTP with nodemailer, and saying what a failure means for it:
 * - `permanent`: the server refused this message for good (5xx, e.g. 550 no such mailbox; an
 *   address nodemailer cannot use). Retrying cannot help: the record is FAILED for an admin.
 * - `transient`: nothing was accepted and trying later can work (connection refused, timeout
 *   before the message went out, 4xx, authentication or TLS set-up problems).
 * - `unknown`: the connection broke after the whole message had been handed to the server and
 *   before it answered: it may have been accepted. Treated like a crash mid-send (no automatic
 *   retry: a duplicate is what we refuse to risk; docs/notifications.md).
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

export type SendOutcome = { ok: true; response: string } | { ok: false; kind: 'permanent' | 'transient' | 'unknown'; error: string };

export interface Mailer {
  send(email: OutgoingEmail): Promise<SendOutcome>;
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

export function classifySmtpError(err: SmtpError, messageHandedOver: boolean): Extract<SendOutcome, { ok: false }>['kind'] {
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

export function createMailer(config: Pick<MailConfig, 'smtpUrl' | 'from'>, opts: MailerOptions = {}): Mailer {
  const timeout = opts.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport({ url: config.smtpUrl, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout, logger: false });
  return {
    async send(email) {
      // Composed here, streamed as raw: the stream's end tells that the whole message went to the server.
      const raw = await new MailComposer({ from: config.from, to: email.to, subject: email.subject, html: email.html, text: email.text, messageId: email.messageId, headers: email.headers }).compile().build();
      let handedOver = false;
      const body = Readable.from([raw]).on('end', () => (handedOver = true));
      try {
        const info = await transport.sendMail({ envelope: { from: config.from, to: [email.to] }, raw: body });
        return { ok: true, response: String(info.response ?? '') };
      } catch (err) {
        const e = err as SmtpError;
        return { ok: false, kind: classifySmtpError(e, handedOver), error: describeSmtpError(e) };
      }
    },
    close: () => transport.close(),
  };
}
