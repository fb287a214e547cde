import type { Express } from 'express';
import type { DocumentNode } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { ServiceConfig, SubgraphName } from './config';
import { closeAll } from './shutdown';
import { closeResources, openResources, type RunningService, type ServiceResources } from './service';
import { startSubgraph, type BaseContext } from './subgraph-server';

/** C is the subgraph's context: see SubgraphContext (loaders plus the domain's `services`). */
export interface SubgraphServiceSpec<C extends BaseContext & { services: object }, D> {
  name: SubgraphName;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<C>;
  /** Whether the service uses Redis (queues, counters). */
  redis: boolean;
  /** Bind models, build indexes, create queues and services; runs before the server listens. */
  setup: (res: ServiceResources) => Promise<D>;
  context: (base: BaseContext, deps: D) => C;
  routes?: (app: Express, deps: D) => void;
  /** Closed in order, after the HTTP server stops taking requests and before connections close. */
  closers?: (deps: D) => Array<() => Promise<unknown>>;
}

/** Connects a subgraph's resources, serves its schema, and gives back one stop() that drains then closes everything. */
export async function startSubgraphService<C extends BaseContext & { services: object }, D>(spec: SubgraphServiceSpec<C, D>, config: ServiceConfig): Promise<RunningService & { deps: D }> {
  const res = await openResources(spec.name, config, { redis: spec.redis });
  const deps = await spec.setup(res);
  const server = await startSubgraph<C>({
    name: spec.name,
    typeDefs: spec.typeDefs,
    resolvers: spec.resolvers,
    port: config.port,
    host: config.host,
    internalSecret: config.internalSecret,
    exposeInternals: config.nodeEnv === 'development',
    logger: res.logger,
    readiness: res.readiness,
    metrics: { production: config.nodeEnv === 'production', token: config.metricsToken },
    context: (base) => spec.context(base, deps),
    routes: spec.routes ? (app) => spec.routes!(app, deps) : undefined,
  });
  return {
    name: spec.name,
    url: server.url,
    deps,
    async stop() {
      await server.stop();
      await closeAll(spec.closers?.(deps) ?? [], res.logger);
      await closeResources(res);
    },
  };
}
