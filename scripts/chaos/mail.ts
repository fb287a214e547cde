import { MAILPIT_VERSION, startMailpit } from '../backing/mail';

/**
 * The chaos run's own mail catcher: always a private Mailpit, never SMTP_URL from the environment
 * (a chaos run emails thousands of made-up shoppers), keeping every message (Mailpit prunes to the
 * newest 500 by default), so the run can count what each customer got.
 */
export interface ChaosMailpit {
  smtpUrl: string;
  /** The HTTP API, under /api/v1. */
  webUrl: string;
  description: string;
  stop(): Promise<void>;
}

export async function startChaosMailpit(): Promise<ChaosMailpit> {
  const { smtpPort, smtpUrl, webUrl, stop } = await startMailpit({ keepEveryMessage: true });
  return { smtpUrl, webUrl, description: `Mailpit ${MAILPIT_VERSION} (SMTP on port ${smtpPort}, every message kept): every customer email lands at ${webUrl}`, stop };
}

/** How many delivered messages carry each Message-ID (without its angle brackets, as Mailpit shows it). */
export async function deliveredByMessageId(webUrl: string, pageSize = 500): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let start = 0; ; start += pageSize) {
    const res = await fetch(`${webUrl}/api/v1/messages?start=${start}&limit=${pageSize}`, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`Mailpit messages: HTTP ${res.status}`);
    const page = (await res.json()) as { total: number; messages: Array<{ MessageID: string }> };
    for (const m of page.messages) counts.set(m.MessageID, (counts.get(m.MessageID) ?? 0) + 1);
    if (page.messages.length < pageSize || start + pageSize >= page.total) return counts;
  }
}
