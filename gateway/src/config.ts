import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { baseEnvSchema, refuseDevDefaultsInProduction, SUBGRAPH_NAMES, type SubgraphName } from '../../subgraphs/lib/config';
import { port } from '../../subgraphs/lib/env';

const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** "true"/"false"/"1"/"0"; absent means "use the environment's default". */
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1').optional();
const list = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .optional();

/** Root fields whose abuse costs most (credential stuffing, card testing): a stricter budget each. */
export const DEFAULT_SENSITIVE_FIELDS = ['login', 'register', 'signUp', 'refreshToken', 'refreshSession', 'requestPasswordReset', 'resetPassword', 'checkout', 'startCheckout', 'placeOrder'];

/** Origins allowed to call /graphql from a browser in development: the gateway itself and Apollo's hosted Sandbox/Studio. */
export const DEV_CORS_ORIGINS = ['http://localhost:4000', 'http://127.0.0.1:4000', 'https://sandbox.embed.apollographql.com', 'https://studio.apollographql.com'];

export const gatewayEnvSchema = baseEnvSchema
  .extend({
    PORT: port(4000),
    /** Any composed supergraph can be served (benchmarks point this elsewhere). */
    SUPERGRAPH_PATH: z.string().default(path.resolve(__dirname, '../../schema/supergraph.graphql')),
    /** Milliseconds a single subgraph call may take before it is abandoned. */
    SUBGRAPH_TIMEOUT_MS: int(10_000),
    /** Gateway processes sharing the port (node:cluster); default: one per core in production, else 1. */
    GATEWAY_WORKERS: z.coerce.number().int().positive().max(64).optional(),
    /** Approximate memory bound of the query plan cache (LRU), MiB. */
    QUERY_PLAN_CACHE_MB: int(30),
    // Abuse limits (see docs/operating.md).
    MAX_DEPTH: int(10),
    MAX_ALIASES: int(15),
    MAX_TOKENS: int(2_000),
    MAX_DIRECTIVES: int(20),
    MAX_COST: int(5_000),
    MAX_BODY_BYTES: int(100 * 1024),
    RATE_LIMIT_ENABLED: flag,
    RATE_LIMIT_POINTS: int(1_200),
    RATE_LIMIT_WINDOW_SECONDS: int(60),
    RATE_LIMIT_SENSITIVE_POINTS: int(20),
    RATE_LIMIT_SENSITIVE_WINDOW_SECONDS: int(60),
    RATE_LIMIT_SENSITIVE_FIELDS: list,
    /** Express "trust proxy": which hops' X-Forwarded-For to believe for the client IP. */
    TRUST_PROXY: z.string().default('loopback'),
    // Production-safe defaults: all three default to on in development/test and off in production.
    GRAPHQL_INTROSPECTION: flag,
    GRAPHQL_SANDBOX: flag,
    GRAPHQL_FIELD_SUGGESTIONS: flag,
    /** Comma-separated browser origins allowed by CORS. */
    CORS_ORIGINS: list,
    // Persisted queries.
    PERSISTED_QUERIES_ENABLED: flag,
    /** At most a day: the APQ storage bound (persisted-queries.ts, ApqBudget) relies on it. */
    PERSISTED_QUERIES_TTL_SECONDS: z.coerce.number().int().positive().max(24 * 3600).default(24 * 3600),
    PERSISTED_QUERIES_MAX_BYTES: int(8 * 1024),
    /** New APQ entries all instances together may store per UTC day. */
    PERSISTED_QUERIES_MAX_PER_DAY: int(5_000),
    PERSISTED_QUERIES_SAFELIST: flag,
  })
  // The gateway has no database: production requires REDIS_URL (rate limits, sessions, APQ) but not MONGODB_URI.
  .superRefine(refuseDevDefaultsInProduction(['redis']))
  .superRefine((env, ctx) => {
    const dev = (env.CORS_ORIGINS ?? []).filter((o) => DEV_CORS_ORIGINS.includes(o));
    if (env.NODE_ENV === 'production' && dev.length) ctx.addIssue({ code: 'custom', path: ['CORS_ORIGINS'], message: `development origins are refused in production: ${dev.join(', ')}` });
  });
export type GatewayEnv = z.infer<typeof gatewayEnvSchema>;

export interface GatewayLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
  maxBodyBytes: number;
  rateLimitEnabled: boolean;
  rateLimitPoints: number;
  rateLimitWindowSeconds: number;
  sensitivePoints: number;
  sensitiveWindowSeconds: number;
  sensitiveFields: string[];
}

export interface GatewaySecurity {
  introspection: boolean;
  sandbox: boolean;
  fieldSuggestions: boolean;
  corsOrigins: string[];
  trustProxy: string;
}

export interface GatewayPersistedQueries {
  /** Automatic persisted queries: clients may store queries (off in production unless enabled). */
  enabled: boolean;
  ttlSeconds: number;
  /** A query longer than this is run but not stored. */
  maxBytes: number;
  /** New APQ entries per UTC day across all instances; beyond it queries run but are not stored. */
  maxEntriesPerDay: number;
  /** Only operations registered with `npm run register-operations` are accepted. */
  safelist: boolean;
}

export interface GatewayConfig {
  nodeEnv: GatewayEnv['NODE_ENV'];
  logLevel: GatewayEnv['LOG_LEVEL'];
  port: number;
  host: string;
  supergraphPath: string;
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  subgraphTimeoutMs: number;
  /** Approximate memory bound of the query plan cache, MiB (default 30). */
  queryPlanCacheMb?: number;
  internalSecret: string;
  jwtSecret: string;
  redisUrl: string;
  queuePrefix: string;
  /** Bearer token for GET /metrics (see METRICS_TOKEN). */
  metricsToken?: string;
  /** Optional: anything left out takes the defaults below (tests pass only what they change). */
  limits?: Partial<GatewayLimits>;
  security?: Partial<GatewaySecurity>;
  persistedQueries?: Partial<GatewayPersistedQueries>;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  maxDepth: 10,
  maxAliases: 15,
  maxTokens: 2_000,
  maxDirectives: 20,
  maxCost: 5_000,
  maxBodyBytes: 100 * 1024,
  rateLimitEnabled: true,
  rateLimitPoints: 1_200,
  rateLimitWindowSeconds: 60,
  sensitivePoints: 20,
  sensitiveWindowSeconds: 60,
  sensitiveFields: DEFAULT_SENSITIVE_FIELDS,
};

export function defaultSecurity(nodeEnv: GatewayConfig['nodeEnv']): GatewaySecurity {
  const open = nodeEnv !== 'production';
  return { introspection: open, sandbox: open, fieldSuggestions: open, corsOrigins: open ? DEV_CORS_ORIGINS : [], trustProxy: 'loopback' };
}

/**
 * APQ lets any client store text in the Redis the queues live in: on in development, off in
 * production unless PERSISTED_QUERIES_ENABLED, where the safelist is the way to persist operations.
 * Wherever it is on, storage is bounded by size, TTL (a day at most) and entries per day.
 */
export function defaultPersistedQueries(nodeEnv: GatewayConfig['nodeEnv']): GatewayPersistedQueries {
  return { enabled: nodeEnv !== 'production', ttlSeconds: 24 * 3600, maxBytes: 8 * 1024, maxEntriesPerDay: 5_000, safelist: false };
}

/** Every setting with its default filled in. */
export function resolveGatewaySettings(config: GatewayConfig) {
  return {
    limits: { ...DEFAULT_LIMITS, ...definedOnly(config.limits) },
    security: { ...defaultSecurity(config.nodeEnv), ...definedOnly(config.security) },
    persistedQueries: { ...defaultPersistedQueries(config.nodeEnv), ...definedOnly(config.persistedQueries) },
  };
}
export type GatewaySettings = ReturnType<typeof resolveGatewaySettings>;

function definedOnly<T extends object>(o: Partial<T> | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** How many gateway processes to run: GATEWAY_WORKERS, else one per core in production and one elsewhere. */
export function gatewayWorkers(env: Pick<GatewayEnv, 'GATEWAY_WORKERS' | 'NODE_ENV'>): number {
  return env.GATEWAY_WORKERS ?? (env.NODE_ENV === 'production' ? os.availableParallelism() : 1);
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
    queryPlanCacheMb: env.QUERY_PLAN_CACHE_MB,
    internalSecret: env.INTERNAL_SECRET,
    jwtSecret: env.JWT_SECRET,
    redisUrl: env.REDIS_URL,
    queuePrefix: env.QUEUE_PREFIX,
    metricsToken: env.METRICS_TOKEN,
    limits: {
      maxDepth: env.MAX_DEPTH,
      maxAliases: env.MAX_ALIASES,
      maxTokens: env.MAX_TOKENS,
      maxDirectives: env.MAX_DIRECTIVES,
      maxCost: env.MAX_COST,
      maxBodyBytes: env.MAX_BODY_BYTES,
      rateLimitEnabled: env.RATE_LIMIT_ENABLED,
      rateLimitPoints: env.RATE_LIMIT_POINTS,
      rateLimitWindowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
      sensitivePoints: env.RATE_LIMIT_SENSITIVE_POINTS,
      sensitiveWindowSeconds: env.RATE_LIMIT_SENSITIVE_WINDOW_SECONDS,
      sensitiveFields: env.RATE_LIMIT_SENSITIVE_FIELDS,
    },
    security: {
      introspection: env.GRAPHQL_INTROSPECTION,
      sandbox: env.GRAPHQL_SANDBOX,
      fieldSuggestions: env.GRAPHQL_FIELD_SUGGESTIONS,
      corsOrigins: env.CORS_ORIGINS,
      trustProxy: env.TRUST_PROXY,
    },
    persistedQueries: {
      enabled: env.PERSISTED_QUERIES_ENABLED,
      ttlSeconds: env.PERSISTED_QUERIES_TTL_SECONDS,
      maxBytes: env.PERSISTED_QUERIES_MAX_BYTES,
      maxEntriesPerDay: env.PERSISTED_QUERIES_MAX_PER_DAY,
      safelist: env.PERSISTED_QUERIES_SAFELIST,
    },
  };
}
