import type { ApolloServerPlugin, BaseContext as BaseContextValue } from '@apollo/server';
import type { Queue } from 'bullmq';
import type { Express, NextFunction, Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import client from 'prom-client';

/**
 * Prometheus metrics, one registry per process (several services share a process in tests, so
 * every series carries a `service` label). Domain code increments the business counters below;
 * the shared library records HTTP, GraphQL, subgraph-call, queue and job figures by itself.
 */
export const registry = client.register;

let defaultsStarted = false;
function ensureDefaultMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  client.collectDefaultMetrics({ register: registry });
}

/** prom-client refuses to register a name twice; modules can be re-evaluated (jest), so reuse. */
function metric<T>(name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequestDuration = metric(
  'http_request_duration_seconds',
  () => new client.Histogram({ name: 'http_request_duration_seconds', help: 'HTTP requests by route and status', labelNames: ['service', 'method', 'route', 'status'] as const, buckets: SECONDS }),
);

export const graphqlOperationDuration = metric(
  'graphql_operation_duration_seconds',
  () => new client.Histogram({ name: 'graphql_operation_duration_seconds', help: 'GraphQL operations by name, type and outcome (ok | error)', labelNames: ['service', 'operation', 'type', 'outcome'] as const, buckets: SECONDS }),
);

export const graphqlErrors = metric(
  'graphql_errors_total',
  () => new client.Counter({ name: 'graphql_errors_total', help: 'GraphQL errors by operation name and extensions.code', labelNames: ['service', 'operation', 'code'] as const }),
);

export const subgraphCallDuration = metric(
  'gateway_subgraph_call_duration_seconds',
  () => new client.Histogram({ name: 'gateway_subgraph_call_duration_seconds', help: 'Gateway → subgraph fetches by subgraph and outcome (ok | graphql_error | failure)', labelNames: ['subgraph', 'outcome'] as const, buckets: SECONDS }),
);

export const rateLimited = metric(
  'gateway_rate_limited_total',
  () => new client.Counter({ name: 'gateway_rate_limited_total', help: 'Requests refused by a rate limit, by limiter', labelNames: ['limiter'] as const }),
);

export const jobDuration = metric(
  'queue_job_duration_seconds',
  () => new client.Histogram({ name: 'queue_job_duration_seconds', help: 'BullMQ job handler runs by queue and outcome (completed | failed | invalid)', labelNames: ['queue', 'outcome'] as const, buckets: [...SECONDS, 30, 60] }),
);

/**
 * Jobs that failed for good (retries used up, or a payload that can never succeed). On a money
 * queue (money="true": payment results, refunds, inventory) each one is a payment whose
 * consequence did not happen: alert on any increase.
 */
export const jobsExhausted = metric(
  'queue_jobs_exhausted_total',
  () => new client.Counter({ name: 'queue_jobs_exhausted_total', help: 'Jobs failed for good, by queue; money="true" marks payment results, refunds and inventory', labelNames: ['queue', 'money'] as const }),
);

/** Orders created, incremented by the orders worker once per newly inserted order (not on duplicates). */
export const ordersCreated = metric(
  'orders_created_total',
  () => new client.Counter({ name: 'orders_created_total', help: 'Orders created (once per order)', labelNames: ['currency'] as const }),
);

/** Payment outcomes, incremented by payments when a payment reaches a final state. */
export const paymentsByOutcome = metric(
  'payments_total',
  () => new client.Counter({ name: 'payments_total', help: 'Payments by outcome (succeeded | failed | refunded)', labelNames: ['outcome'] as const }),
);

/** Queues whose counts are sampled at every scrape. */
const watchedQueues = new Set<Queue>();
const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

metric(
  'queue_jobs',
  () =>
    new client.Gauge({
      name: 'queue_jobs',
      help: 'Jobs per queue and state (waiting, active, delayed, failed), sampled at scrape time',
      labelNames: ['queue', 'state'] as const,
      async collect() {
        this.reset();
        await Promise.all(
          [...watchedQueues].map(async (queue) => {
            const counts = await queue.getJobCounts(...JOB_STATES).catch(() => null);
            if (!counts) return;
            for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          }),
        );
      },
    }),
);

/** Report this queue's job counts on /metrics until the returned function is called. */
export function watchQueue(queue: Queue): () => void {
  watchedQueues.add(queue);
  return () => void watchedQueues.delete(queue);
}

/**
 * Operation names come from clients, so they cannot all become labels (each is a new time series:
 * 200 made-up names cost 400 KB per scrape). The first MAX_OPERATION_LABELS well-formed names a
 * process sees keep their own label (a storefront's operations are few and come first); any
 * later new name is counted as "(other)".
 */
export const MAX_OPERATION_LABELS = 100;
const operationLabels = new Set<string>();

export function operationLabel(name: string | null | undefined): string {
  if (!name) return '(anonymous)';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return '(invalid)';
  if (operationLabels.has(name)) return name;
  if (operationLabels.size >= MAX_OPERATION_LABELS) return '(other)';
  operationLabels.add(name);
  return name;
}

/** Times every request (label `route` is the mount path, never the raw URL, to bound cardinality). */
export function httpMetricsMiddleware(service: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = httpRequestDuration.startTimer({ service, method: req.method });
    // Read now: inside a mounted router express rewrites req.url (e.g. /graphql becomes /).
    const route = routeLabel(req.path);
    res.once('finish', () => end({ route, status: String(res.statusCode) }));
    next();
  };
}

const KNOWN_ROUTES = ['/graphql', '/health', '/ready', '/metrics', '/admin', '/webhooks'];
function routeLabel(path: string): string {
  return KNOWN_ROUTES.find((r) => path === r || path.startsWith(`${r}/`)) ?? 'other';
}

/**
 * Who may read /metrics: with a token, only `Authorization: Bearer <token>`; without one, anyone in
 * development and no one in production (the series name operations, queues and error codes).
 */
export interface MetricsAccess {
  production: boolean;
  token?: string;
}

/** Whether /metrics can be read at all: where it cannot, nothing needs recording (no per-request cost). */
export function metricsServed(access: MetricsAccess): boolean {
  return !access.production || Boolean(access.token);
}

function metricsRefusal(req: Request, access: MetricsAccess): { status: number; reason: string } | null {
  if (access.token) {
    const given = /^Bearer (.+)$/.exec(req.header('authorization') ?? '')?.[1];
    return given !== undefined && safeEqual(given, access.token) ? null : { status: 401, reason: 'metrics need Authorization: Bearer <METRICS_TOKEN>' };
  }
  return access.production ? { status: 404, reason: 'metrics are off in production until METRICS_TOKEN is set' } : null;
}

function safeEqual(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/** GET /metrics in Prometheus text format, for those `access` lets in. */
export function mountMetrics(app: Express, access: MetricsAccess): void {
  if (metricsServed(access)) ensureDefaultMetrics();
  app.get('/metrics', async (req, res) => {
    const refused = metricsRefusal(req, access);
    if (refused) {
      res.status(refused.status).json({ errors: [{ message: refused.reason, extensions: { code: refused.status === 401 ? 'UNAUTHENTICATED' : 'NOT_FOUND' } }] });
      return;
    }
    res.setHeader('content-type', registry.contentType);
    res.send(await registry.metrics());
  });
}

/** Apollo Server plugin: operation durations by name/type/outcome, and errors by code. */
export function graphqlMetricsPlugin(service: string): ApolloServerPlugin<BaseContextValue> {
  return {
    async requestDidStart() {
      const end = graphqlOperationDuration.startTimer({ service });
      return {
        async didEncounterErrors({ errors, operationName, request }) {
          const operation = operationLabel(operationName ?? request.operationName);
          for (const error of errors) graphqlErrors.inc({ service, operation, code: String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
        },
        async willSendResponse({ response, operation, operationName, request }) {
          const body = response.body;
          const failed = body.kind === 'single' ? Boolean(body.singleResult.errors?.length) : Boolean(body.initialResult.errors?.length);
          end({ operation: operationLabel(operationName ?? request.operationName), type: operation?.operation ?? 'unknown', outcome: failed ? 'error' : 'ok' });
        },
      };
    },
  };
}
