import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DocumentNode } from 'graphql';
import type { Express } from 'express';
import { formatError, isServerFault } from './errors';
import type { MetricsAccess } from './metrics';
import { createServiceApp, express, jsonError, listen, type ReadinessCheck, type RunningHttpServer } from './http';
import type { AuthContext } from './guards';
import { IDENTITY_HEADER, bindingFor, verifyIdentity, type Identity } from './identity';
import type { Logger } from './logger';
import { graphqlMetricsPlugin } from './metrics';
import { drainDelay } from './shutdown';
import { REQUEST_ID_HEADER, requestIdFrom, runWithRequestScope } from './request-context';

export interface BaseContext {
  identity: Identity;
  requestId: string;
  logger: Logger;
}

/**
 * Every subgraph's GraphQL context has this one shape: who asks (BaseContext), the request's own
 * DataLoaders (`<thing>ById`, fresh per request so nothing is cached across callers), and
 * `services`, the domain's service instances built once in its index.ts. Resolvers read only
 * those two, never a Mongoose model.
 */
export type SubgraphContext<Loaders extends object, Services extends object> = BaseContext & AuthContext & Loaders & { services: Services };

export interface SubgraphOptions<C extends BaseContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<C>;
  port: number;
  host: string;
  internalSecret: string;
  exposeInternals: boolean;
  logger: Logger;
  readiness: Record<string, ReadinessCheck>;
  /** Who may read /metrics. */
  metrics: MetricsAccess;
  /** Builds the per-request context (fresh DataLoaders live here). */
  context: (base: BaseContext) => C | Promise<C>;
  /** Extra routes mounted before the JSON body parser (e.g. a webhook that needs the raw body). */
  routes?: (app: Express) => void;
}

export interface RunningSubgraph extends RunningHttpServer {
  stop(): Promise<void>;
}

/** Logs every unexpected resolver error in full; clients see only the masked form (see errors.ts). */
function faultLogger(logger: Logger): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, operationName }) {
          for (const error of errors) {
            if (isServerFault(error)) logger.error('resolver fault', { operationName, path: error.path, error: error.originalError?.stack ?? error.stack });
          }
        },
      };
    },
  };
}

/** One line per GraphQL request at level `http` (set LOG_LEVEL=http to see them), under the request id. */
export function accessLog(logger: Logger, req: express.Request, res: express.Response, requestId: string): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    logger.http('graphql request', { requestId, operationName: req.body?.operationName, status: res.statusCode, ms: Math.round(ms * 10) / 10 });
  });
}

/**
 * One subgraph process: a Federation 2 schema served at /graphql, which accepts only requests
 * carrying an identity signed by the gateway (or a sibling service); plus /health and /ready.
 */
export async function startSubgraph<C extends BaseContext>(opts: SubgraphOptions<C>): Promise<RunningSubgraph> {
  const apollo = new ApolloServer<C>({
    schema: buildSubgraphSchema([{ typeDefs: opts.typeDefs, resolvers: opts.resolvers }]),
    // Our own handler (lib/shutdown.ts) drains and stops everything; Apollo's would re-raise the signal.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: opts.exposeInternals,
    formatError: (formatted, error) => formatError(formatted, error, { exposeInternals: opts.exposeInternals }),
    plugins: [ApolloServerPluginInlineTraceDisabled(), faultLogger(opts.logger) as ApolloServerPlugin<C>, graphqlMetricsPlugin(opts.name) as ApolloServerPlugin<C>],
  });
  await apollo.start();

  let draining = false;
  const app = createServiceApp(opts.name, opts.readiness, () => draining, opts.metrics);
  opts.routes?.(app);
  app.use('/graphql', express.json({ limit: '1mb' }), (req, res, next) => {
    const check = verifyIdentity(req.header(IDENTITY_HEADER), opts.internalSecret, bindingFor(opts.name, req.body ?? {}));
    if (!check.ok) {
      opts.logger.warn('refused request without valid gateway identity', { reason: check.reason, ip: req.ip });
      jsonError(res, 'UNAUTHENTICATED', `Subgraphs accept only gateway-signed requests (${check.reason})`);
      return;
    }
    res.locals.identity = check.identity;
    const requestId = check.identity.rid ?? requestIdFrom(req.header(REQUEST_ID_HEADER));
    res.setHeader(REQUEST_ID_HEADER, requestId);
    accessLog(opts.logger, req, res, requestId);
    runWithRequestScope({ requestId }, () => next());
  });
  app.use(
    '/graphql',
    expressMiddleware(apollo, {
      context: async ({ res }) => {
        const identity = res.locals.identity as Identity;
        return opts.context({ identity, requestId: identity.rid, logger: opts.logger });
      },
    }),
  );

  const http = await listen(app, opts.port, opts.logger, opts.host);
  return {
    ...http,
    /** Readiness goes 503 first, then (after the drain delay) the listener closes and in-flight requests finish. */
    async stop() {
      draining = true;
      await drainDelay();
      await http.close();
      await apollo.stop();
    },
  };
}
