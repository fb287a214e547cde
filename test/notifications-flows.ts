import net from 'node:net';
import { newId } from '../subgraphs/lib/ids';
import type { MailConfig } from '../subgraphs/lib/config';
import { startNotificationsWorker, type NotificationsWorkerOptions } from '../subgraphs/orders/notifications/worker';
import type { NotificationDoc } from '../subgraphs/orders/notifications/model';
import type { TestStack } from './support/stack';
import { waitFor } from './support/wait';

/**
 * Shared steps of the notification stories (not a test file itself): a real Mailpit inbox read
 * through its HTTP API, customers with unique addresses, and the real notifications worker.
 */
export const SHOP: Omit<MailConfig, 'smtpUrl'> = { from: 'Corner Shop <orders@shop.test>', shopName: 'Corner Shop', shopUrl: 'https://shop.test' };

export interface InboxMessage {
  ID: string;
  MessageID: string;
  Subject: string;
  To: Array<{ Address: string }>;
  Text: string;
  HTML: string;
}

/** Mailpit's API: GET /api/v1/search (summaries) and /api/v1/message/{ID} (the message with its parts). */
export function inbox(webUrl: string) {
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${webUrl}/api/v1/${path}`);
    if (!res.ok) throw new Error(`Mailpit ${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  const summaries = async (to: string) => (await get<{ messages: Array<{ ID: string }> }>(`search?limit=50&query=${encodeURIComponent(`to:"${to}"`)}`)).messages;
  return {
    /** Every message delivered to `to`, whole (text and HTML parts). */
    async messagesTo(to: string): Promise<InboxMessage[]> {
      return Promise.all((await summaries(to)).map((m) => get<InboxMessage>(`message/${m.ID}`)));
    },
    headers: (id: string) => get<Record<string, string[]>>(`message/${id}/headers`),
    /** Waits until `to` has received at least `count` messages, and returns them. */
    async waitForMessages(to: string, count = 1, timeoutMs = 30_000): Promise<InboxMessage[]> {
      await waitFor(`${count} email(s) to ${to}`, async () => (await summaries(to)).length >= count, timeoutMs, 200);
      return this.messagesTo(to);
    },
  };
}
export type Inbox = ReturnType<typeof inbox>;

let counter = 0;
/** A customer account with a unique address (straight into the customers database, as seed does). */
export async function aCustomer(stack: TestStack, opts: { domain?: string; name?: string } = {}) {
  const id = newId('customer');
  const email = `shopper.${Date.now().toString(36)}${(counter++).toString(36)}@${opts.domain ?? 'example.com'}`;
  const name = opts.name ?? 'Ada Lovelace';
  await stack.customers.deps.service.models.customers.create({ _id: id, email, name, role: 'CUSTOMER', addresses: [], disabled: false });
  return { id, email, name };
}

export function startNotifications(stack: TestStack, smtpUrl: string, opts: NotificationsWorkerOptions = {}) {
  return startNotificationsWorker({ ...stack.config, port: 0 }, { ...SHOP, smtpUrl }, { sweepIntervalMs: 500, relayIntervalMs: 500, ...opts });
}

export const notificationRecords = (stack: TestStack) => stack.orders.deps.notifications.records;

export function waitForRecord(stack: TestStack, what: string, filter: Record<string, unknown>, timeoutMs = 30_000): Promise<NotificationDoc> {
  return waitFor(what, () => notificationRecords(stack).findOne(filter).lean<NotificationDoc>(), timeoutMs, 200);
}

/**
 * An SMTP proxy in front of a real server that lets everything through until the client has sent
 * a whole message (DATA … CRLF.CRLF), then holds the server's answer back: the server has the
 * message, the client never learns it. `accepted` resolves at that moment.
 */
export async function replySwallowingProxy(target: number): Promise<{ port: number; accepted: Promise<void>; close(): Promise<void> }> {
  let markAccepted!: () => void;
  const accepted = new Promise<void>((resolve) => (markAccepted = resolve));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    let sentBody = false;
    let seen = '';
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (chunk) => {
      seen = (seen + chunk.toString('latin1')).slice(-64);
      if (/\r\n\.\r\n$/.test(seen)) sentBody = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!sentBody) return void client.write(chunk);
      markAccepted(); // the server's reply to the message: it has it now; the client never hears so
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
