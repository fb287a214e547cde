import { mountAdminDashboard } from './admin-dashboard';
import { mountExplorer, mountLandingPage } from './explorer';
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { RequestHandler } from 'express';
import type { SubgraphName } from '../../subgraphs/lib/config';
import { createServiceApp, express, listen } from '../../subgraphs/lib/http';
import { createLogger, type Logger } from '../../subgraphs/lib/logger';
import { graphqlMetricsPlugin, metricsServed } from '../../subgraphs/lib/metrics';
import { createFailFastRedis } from '../../subgraphs/lib/redis';
import { REQUEST_ID_HEADER, requestIdFrom } from '../../subgraphs/lib/request-context';
import type { RunningService } from '../../subgraphs/lib/service';
import { closeAll, drainDelay } from '../../subgraphs/lib/shutdown';
import { accessLog } from '../../subgraphs/lib/subgraph-server';
import { resolveGatewaySettings, type GatewayConfig } from './config';
import { cors } from './cors';
import { SignedIdentityDataSource, type GatewayContext } from './data-source';
import { formatGatewayError, isClientHttpError, isClientSafe, operationResolutionPlugin, requestIdOnErrors } from './errors';
import { graphqlHandler } from './graphql-handler';
import { createGatewayIdentity } from './identity';
import { armorProtection, bodyErrors, refuseBatches } from './limits';
import { ApqBudget, createApqCache, PersistedQueryCache, Safelist, safelistKey, safelistOnly } from './persisted-queries';
import { createRateLimiters, generalRateLimit, sensitiveRateLimitPlugin } from './rate-limit';
import { RequestSigner } from './request-signer';

/** Readiness of the gateway reflects its subgraphs: each must answer its own /ready. */
function subgraphReadiness(urls: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(urls).map(([name, url]) => [
      name,
      async () => (await fetch(url.replace(/\/graphql$/, '/ready'), { signal: AbortSignal.timeout(2000) }).catch(() => null))?.ok === true,
    ]),
  );
}

/** Routing URLs from the supergraph, with any configured override applied. */
function routingUrls(supergraphSdl: string, overrides: GatewayConfig['subgraphUrls']): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const m of supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)) {
    urls[m[1]] = overrides[m[1] as SubgraphName] ?? m[2];
  }
  return urls;
}

/** Logs, in full and under the request id, every error the client will only see masked. */
function faultLogger(logger: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, operationName, contextValue }) {
          for (const error of errors) {
            if (isClientSafe(error) || isClientHttpError(error)) continue;
            logger.error('request fault', { requestId: contextValue.requestId, operationName, path: error.path, message: error.message, extensions: error.extensions, error: error.originalError?.stack ?? error.stack });
          }
        },
      };
    },
  };
}

/** Express "trust proxy" from TRUST_PROXY: true/false, a hop count, or addresses/subnets. */
function trustProxy(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** Counters should start in Redis, not in the in-memory fallback, so wait (bounded) for the connection. */
function readyWithin(redis: ReturnType<typeof createFailFastRedis>, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const logRequest =
  (logger: Logger): RequestHandler =>
  (req, res, next) => {
    accessLog(logger, req, res, res.locals.requestId);
    next();
  };

/** The request id (client's x-request-id if well-formed, else new) on the response and res.locals. */
const assignRequestId: RequestHandler = (req, res, next) => {
  const requestId = requestIdFrom(req.header(REQUEST_ID_HEADER));
  res.setHeader(REQUEST_ID_HEADER, requestId);
  res.locals.requestId = requestId;
  next();
};

export async function startGateway(config: GatewayConfig): Promise<RunningService & { port: number }> {
  const logger = createLogger('gateway', config.logLevel);
  const { limits, security, persistedQueries } = resolveGatewaySettings(config);
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const urls = routingUrls(supergraphSdl, config.subgraphUrls);
  const exposeInternals = config.nodeEnv === 'development';
  // Metrics are recorded only where /metrics is served (off in production without METRICS_TOKEN).
  const metricsAccess = { production: config.nodeEnv === 'production', token: config.metricsToken };
  const recordMetrics = metricsServed(metricsAccess);

  // Rate-limit counters and the safelist; fail fast (limits fall back to memory) when Redis is away.
  const redis = createFailFastRedis(config.redisUrl);
  redis.on('error', (err) => logger.debug('gateway redis error', { error: String(err) }));
  if (!(await readyWithin(redis, 3000))) logger.warn('redis not reachable at start; rate limits count in memory until it is');
  const limiters = createRateLimiters(redis, config.queuePrefix, limits);
  const safelist = new Safelist(redis, safelistKey(config.queuePrefix), logger);
  const apq = persistedQueries.enabled ? createApqCache(config.redisUrl, config.queuePrefix, logger) : undefined;
  const budget = new ApqBudget(redis, config.queuePrefix, persistedQueries.maxEntriesPerDay);
  const persistedQueryCache = new PersistedQueryCache({ apq: apq?.cache, budget, safelist, maxBytes: persistedQueries.maxBytes });
  const armor = armorProtection(limits, security);

  // Apollo Server caches parsed and validated documents by query hash (armor's rules run once per
  // document), and the gateway caches query plans in an LRU bounded by QUERY_PLAN_CACHE_MB, so a
  // repeated operation is neither parsed, validated nor planned again.
  const signer = new RequestSigner(config.internalSecret);
  const dataSources: SignedIdentityDataSource[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl,
    experimental_approximateQueryPlanStoreMiB: config.queryPlanCacheMb ?? 30,
    buildService: ({ name, url }) => {
      const source = new SignedIdentityDataSource({ name, url: urls[name] ?? url!, signer, timeoutMs: config.subgraphTimeoutMs, timed: recordMetrics });
      dataSources.push(source);
      return source;
    },
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: security.introspection,
    // Our own handler (lib/shutdown.ts) drains and stops everything; Apollo's would re-raise the signal.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: exposeInternals,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // The safelist answers hash-only requests even where clients may not store queries (APQ off).
    persistedQueries: apq || persistedQueries.safelist ? { cache: persistedQueryCache, ttl: persistedQueries.ttlSeconds } : false,
    validationRules: armor.validationRules,
    parseOptions: armor.parseOptions,
    formatError: (formatted, error) => formatGatewayError(formatted, error, { exposeInternals, hideSuggestions: !security.fieldSuggestions }),
    plugins: [
      security.sandbox ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }) : ApolloServerPluginLandingPageDisabled(),
      operationResolutionPlugin() as ApolloServerPlugin<GatewayContext>,
      ...(armor.plugins as ApolloServerPlugin<GatewayContext>[]),
      ...(limits.rateLimitEnabled ? [sensitiveRateLimitPlugin(limiters, limits.sensitiveFields, logger)] : []),
      ...(recordMetrics ? [graphqlMetricsPlugin('gateway')] : []),
      faultLogger(logger),
      requestIdOnErrors(),
    ],
  });
  await apollo.start();
  const identity = createGatewayIdentity(config);

  let draining = false;
  const app = createServiceApp('gateway', subgraphReadiness(urls), () => draining, metricsAccess);
  app.set('trust proxy', trustProxy(security.trustProxy));
  app.set('etag', false);
  // Static routes (e.g. the /admin dashboard) mount here, before /graphql and outside its limits.
  mountAdminDashboard(app);
  // The offline explorer and the landing page live where Sandbox does (development): explorer.ts.
  if (security.sandbox) mountLandingPage(app, { explorer: await mountExplorer(app, logger) });
  app.use(
    '/graphql',
    assignRequestId,
    cors(security.corsOrigins),
    ...(limits.rateLimitEnabled ? [generalRateLimit(limiters)] : []),
    express.json({ limit: limits.maxBodyBytes }),
    refuseBatches,
    // One line per request at level http; skipped entirely when that level is off (winston would
    // still format the line before dropping it).
    ...(logger.isLevelEnabled('http') ? [logRequest(logger)] : []),
    ...(persistedQueries.safelist ? [safelistOnly(safelist, limits.maxTokens)] : []),
    graphqlHandler(apollo, async (req, res) => {
      const requestId = res.locals.requestId as string;
      return { requestId, clientIp: req.ip, identity: await identity.fromRequest(req, requestId) };
    }),
  );
  app.use('/graphql', bodyErrors(limits.maxBodyBytes));

  const server = await listen(app, config.port, logger, config.host);
  logger.info('gateway ready', { url: `${server.url}/graphql`, subgraphs: urls, introspection: security.introspection, sandbox: security.sandbox, safelist: persistedQueries.safelist });
  return {
    name: 'gateway',
    url: server.url,
    port: server.port,
    /** Readiness goes 503 first; after the drain delay the listener closes and in-flight requests finish. */
    async stop() {
      draining = true;
      await drainDelay();
      await server.close();
      await apollo.stop();
      dataSources.forEach((d) => d.close());
      await closeAll([() => limiters.general.flush(), () => limiters.general.stop(), () => identity.close(), () => apq?.close(), () => redis.quit()], logger);
    },
  };
}
