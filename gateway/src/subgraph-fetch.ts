import http from 'node:http';
import https from 'node:https';

/**
 * The gateway's HTTP client for subgraph calls: node's own http module over one keep-alive agent
 * per subgraph, so each call reuses a pooled socket and costs no more than writing the request and
 * reading the answer (Apollo's default fetcher, make-fetch-happen, builds fetch Request/Response
 * objects, a caching layer and a minipass stream per call). Every call has a deadline.
 */
export interface SubgraphResponse {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface SubgraphClientOptions {
  /** A call that has not answered in full by then is abandoned (SUBGRAPH_TIMEOUT_MS). */
  timeoutMs: number;
  /** Sockets per subgraph; requests beyond it wait for a free socket. */
  maxSockets?: number;
}

/** Our subgraphs keep idle sockets for 65 s (lib/http.ts); dropping ours sooner avoids reusing one they just closed. */
const IDLE_SOCKET_MS = 30_000;

export class SubgraphClient {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(url: string, private readonly opts: SubgraphClientOptions) {
    this.url = new URL(url);
    const secure = this.url.protocol === 'https:';
    const Agent = secure ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256, maxFreeSockets: opts.maxSockets ?? 256, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' });
    this.request = secure ? https.request : http.request;
  }

  async post(body: string, headers: Record<string, string>): Promise<SubgraphResponse> {
    try {
      return await this.send(body, headers);
    } catch (err) {
      // A pooled socket the subgraph closed while it sat idle fails before anything was sent to a
      // live server: the request never ran, so sending it once more on a fresh socket is safe.
      if ((err as StaleSocketError).staleSocket) return this.send(body, headers);
      throw err;
    }
  }

  private send(body: string, headers: Record<string, string>): Promise<SubgraphResponse> {
    return new Promise((resolve, reject) => {
      const req = this.request(this.url, { method: 'POST', agent: this.agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } });
      let timedOut: Error | undefined;
      const deadline = setTimeout(() => {
        timedOut = new Error(`subgraph call to ${this.url.host} timed out after ${this.opts.timeoutMs} ms`);
        req.destroy(timedOut);
      }, this.opts.timeoutMs);
      let answered = false;
      req.once('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => {
          clearTimeout(deadline);
          const body = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body });
        });
        res.once('error', (err) => {
          clearTimeout(deadline);
          reject(timedOut ?? err);
        });
        // Cut off mid-answer (the deadline, or the subgraph went away): never leave the call hanging.
        res.once('close', () => {
          clearTimeout(deadline);
          if (!res.complete) reject(timedOut ?? new Error(`subgraph ${this.url.host} closed the connection before answering in full`));
        });
      });
      req.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(deadline);
        const stale = !answered && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        reject(stale ? Object.assign(err, { staleSocket: true }) : err);
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

type StaleSocketError = Error & { staleSocket?: boolean };
