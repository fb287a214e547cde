import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault, ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import type { SubgraphName } from '../../subgraphs/lib/config';
import { formatError, isServerFault } from '../../subgraphs/lib/errors';
import { express, listen, mountHealth } from '../../subgraphs/lib/http';
import { createLogger } from '../../subgraphs/lib/logger';
import { REQUEST_ID_HEADER, requestIdFrom, runWithRequestScope } from '../../subgraphs/lib/request-context';
import type { RunningService } from '../../subgraphs/lib/service';
import type { GatewayConfig } from './config';
import { SignedIdentityDataSource, type GatewayContext } from './data-source';
import { createGatewayIdentity } from './identity';

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

export async function startGateway(config: GatewayConfig): Promise<RunningService & { port: number }> {
  const logger = createLogger('gateway', config.logLevel);
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const urls = routingUrls(supergraphSdl, config.subgraphUrls);
  const dev = config.nodeEnv !== 'production';

  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new SignedIdentityDataSource({ url: urls[name] ?? url!, internalSecret: config.internalSecret, timeoutMs: config.subgraphTimeoutMs }),
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: dev,
    includeStacktraceInErrorResponses: config.nodeEnv === 'development',
    formatError: (formatted, error) => formatError(formatted, error, { exposeInternals: config.nodeEnv === 'development' }),
    plugins: [
      dev ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
      {
        async requestDidStart() {
          return {
            async didEncounterErrors({ errors, operationName }) {
              for (const error of errors) if (isServerFault(error)) logger.error('request fault', { operationName, path: error.path, error: error.originalError?.stack ?? error.message });
            },
          };
        },
      },
    ],
  });
  await apollo.start();
  const identity = createGatewayIdentity(config);

  let draining = false;
  const app = express();
  app.disable('x-powered-by');
  mountHealth(app, subgraphReadiness(urls), () => draining);
  app.use('/graphql', express.json({ limit: '100kb' }), (req, res, next) => {
    const requestId = requestIdFrom(req.header(REQUEST_ID_HEADER));
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.locals.requestId = requestId;
    runWithRequestScope({ requestId }, () => next());
  });
  app.use(
    '/graphql',
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = res.locals.requestId as string;
        return { requestId, identity: await identity.fromRequest(req, requestId) };
      },
    }),
  );

  const server = await listen(app, config.port, logger, config.host);
  logger.info('gateway ready', { url: `${server.url}/graphql`, subgraphs: urls });
  return {
    name: 'gateway',
    url: server.url,
    port: server.port,
    async stop() {
      draining = true;
      await server.close();
      await apollo.stop();
      await identity.close();
    },
  };
}
