import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { ERROR_CODES, type ErrorCode } from './errors';
import type { Logger } from './logger';
import { httpMetricsMiddleware, metricsServed, mountMetrics, type MetricsAccess } from './metrics';

export type ReadinessCheck = () => Promise<boolean>;

/** GET /health: the process is alive. GET /ready: every dependency answers (503 with the failing names otherwise). */
export function mountHealth(app: Express, checks: Record<string, ReadinessCheck>, isDraining: () => boolean): void {
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/ready', async (_req, res) => {
    if (isDraining()) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((n) => checks[n]().catch(() => false)));
    const failing = names.filter((_, i) => !results[i]);
    res.status(failing.length ? 503 : 200).json({ status: failing.length ? 'unavailable' : 'ready', checks: Object.fromEntries(names.map((n, i) => [n, results[i] ? 'up' : 'down'])) });
  });
}

/**
 * The express app every process starts from: request metrics, /health, /ready, /metrics, and
 * `Connection: close` on every response once draining, so keep-alive clients (the gateway's pool,
 * load balancers) move to another instance instead of reusing a socket about to close.
 */
export function createServiceApp(service: string, checks: Record<string, ReadinessCheck>, isDraining: () => boolean, metrics: MetricsAccess): Express {
  const app = express();
  app.disable('x-powered-by');
  if (metricsServed(metrics)) app.use(httpMetricsMiddleware(service));
  app.use((_req, res, next) => {
    if (isDraining()) res.setHeader('connection', 'close');
    next();
  });
  mountHealth(app, checks, isDraining);
  mountMetrics(app, metrics);
  return app;
}

export interface RunningHttpServer {
  server: http.Server;
  port: number;
  url: string;
  /** Stop accepting, let in-flight requests finish (bounded), then close idle keep-alive sockets. */
  close(timeoutMs?: number): Promise<void>;
}

export async function listen(app: Express, port: number, logger: Logger, host = '127.0.0.1'): Promise<RunningHttpServer> {
  const server = http.createServer(app);
  // Keep-alive from the gateway's pooled agent must outlive its idle timeout on our side.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const url = `http://${host}:${actual}`;
  logger.info('listening', { url });
  return {
    server,
    port: actual,
    url,
    close: (timeoutMs = 10_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, timeoutMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/** An HTTP endpoint's error: the status comes from the error registry, the body has the GraphQL error shape. */
export function jsonError(res: express.Response, code: ErrorCode, message: string): void {
  res.status(ERROR_CODES[code].status).json({ errors: [{ message, extensions: { code } }] });
}

export { express };
