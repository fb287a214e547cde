import path from 'node:path';
import { z } from 'zod';
import { baseEnvSchema, refuseDevSecretsInProduction, SUBGRAPH_NAMES, type SubgraphName } from '../../subgraphs/lib/config';
import { port } from '../../subgraphs/lib/env';

export const gatewayEnvSchema = baseEnvSchema
  .extend({
    PORT: port(4000),
    /** Any composed supergraph can be served (benchmarks point this elsewhere). */
    SUPERGRAPH_PATH: z.string().default(path.resolve(__dirname, '../../schema/supergraph.graphql')),
    /** Milliseconds a single subgraph call may take before it is abandoned. */
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  })
  .superRefine(refuseDevSecretsInProduction);
export type GatewayEnv = z.infer<typeof gatewayEnvSchema>;

export interface GatewayConfig {
  nodeEnv: GatewayEnv['NODE_ENV'];
  logLevel: GatewayEnv['LOG_LEVEL'];
  port: number;
  host: string;
  supergraphPath: string;
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  subgraphTimeoutMs: number;
  internalSecret: string;
  jwtSecret: string;
  redisUrl: string;
  queuePrefix: string;
}

export function gatewayConfigFromEnv(env: GatewayEnv): GatewayConfig {
  const subgraphUrls: GatewayConfig['subgraphUrls'] = {};
  for (const name of SUBGRAPH_NAMES) {
    const url = env[`${name.toUpperCase()}_URL` as 'CUSTOMERS_URL'];
    if (url) subgraphUrls[name] = url;
  }
  return {
    nodeEnv: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    port: env.PORT,
    host: env.HOST,
    supergraphPath: env.SUPERGRAPH_PATH,
    subgraphUrls,
    subgraphTimeoutMs: env.SUBGRAPH_TIMEOUT_MS,
    internalSecret: env.INTERNAL_SECRET,
    jwtSecret: env.JWT_SECRET,
    redisUrl: env.REDIS_URL,
    queuePrefix: env.QUEUE_PREFIX,
  };
}
