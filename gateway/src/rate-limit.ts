import type { ApolloServerPlugin } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import type { RequestHandler } from 'express';
import { GraphQLError, Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { jsonError } from '../../subgraphs/lib/http';
import type { Logger } from '../../subgraphs/lib/logger';
import { rateLimited } from '../../subgraphs/lib/metrics';
import type { GatewayLimits } from './config';
import type { GatewayContext } from './data-source';
import { SyncedWindowLimiter } from './synced-limiter';

/**
 * Per-client rate limits shared by every gateway instance through Redis, keys under
 * `${QUEUE_PREFIX}:rl:`. If Redis is unreachable each instance counts in memory, so an outage
 * neither opens the gate nor refuses everyone.
 *  - general: every /graphql request, per client IP, checked before anything is parsed. Decided
 *    locally and shared in batches (synced-limiter.ts): no Redis round trip per request; exact on
 *    one instance, and across instances within what a client sends each one in a sync interval
 *    (250 ms).
 *  - sensitive: each sensitive root field (login, checkout…) per client (customer id when signed
 *    in, else IP), counted per occurrence, so 100 aliased `login`s spend 100 points. These budgets
 *    are tiny (20 a minute) and guard credentials and cards, so each is counted in Redis, exactly,
 *    at one round trip per sensitive request.
 */
export function createRateLimiters(redis: Redis, queuePrefix: string, limits: GatewayLimits) {
  const sensitive = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${queuePrefix}:rl:sensitive`,
    points: limits.sensitivePoints,
    duration: limits.sensitiveWindowSeconds,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ points: limits.sensitivePoints, duration: limits.sensitiveWindowSeconds }),
  });
  const general = new SyncedWindowLimiter({ redis, keyPrefix: `${queuePrefix}:rl:general`, points: limits.rateLimitPoints, durationSeconds: limits.rateLimitWindowSeconds });
  return { general, sensitive };
}
export type RateLimiters = ReturnType<typeof createRateLimiters>;

/** A spent budget rejects with a RateLimiterRes-shaped object; a store failure with an Error. */
function isLimitReached(rejection: unknown): rejection is RateLimiterRes {
  return !(rejection instanceof Error) && typeof (rejection as RateLimiterRes | null)?.msBeforeNext === 'number';
}

const retryAfter = (res: { msBeforeNext: number }) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/** Express middleware for the general per-IP budget; 429 JSON with Retry-After when spent. */
export function generalRateLimit(limiters: RateLimiters): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'OPTIONS') return next();
    const decision = limiters.general.consume(`ip:${req.ip}`);
    if (decision.allowed) {
      res.setHeader('ratelimit-remaining', String(decision.remaining));
      return next();
    }
    rateLimited.inc({ limiter: 'general' });
    const seconds = retryAfter(decision);
    res.setHeader('retry-after', String(seconds));
    jsonError(res, 'RATE_LIMITED', `Too many requests; retry in ${seconds} s`);
  };
}

/**
 * Root field counts by operation: Apollo Server hands back the same parsed document (and so the
 * same operation node) for a query it has seen, so each operation is walked once.
 */
const countsByOperation = new WeakMap<OperationDefinitionNode, Map<string, number>>();

function cachedRootFieldCounts(operation: OperationDefinitionNode, document: DocumentNode): Map<string, number> {
  let counts = countsByOperation.get(operation);
  if (!counts) {
    counts = rootFieldCounts(operation, document);
    countsByOperation.set(operation, counts);
  }
  return counts;
}

/** How many times each root field is selected (through fragments too), by field name, not alias. */
export function rootFieldCounts(operation: OperationDefinitionNode, document: DocumentNode): Map<string, number> {
  const counts = new Map<string, number>();
  const fragments = new Map(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) counts.set(sel.name.value, (counts.get(sel.name.value) ?? 0) + 1);
      else if (sel.kind === Kind.INLINE_FRAGMENT) visit(sel.selectionSet);
      else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const fragment = fragments.get(sel.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  visit(operation.selectionSet);
  return counts;
}

/** Apollo plugin for the stricter budget on sensitive root fields (works for persisted queries too). */
export function sensitiveRateLimitPlugin(limiters: RateLimiters, fields: string[], logger: Logger): ApolloServerPlugin<GatewayContext> {
  const sensitive = new Set(fields);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          if (!operation) return;
          const client = contextValue.identity.sub ? `customer:${contextValue.identity.sub}` : `ip:${contextValue.clientIp ?? 'unknown'}`;
          for (const [field, count] of cachedRootFieldCounts(operation, document)) {
            if (!sensitive.has(field)) continue;
            try {
              await limiters.sensitive.consume(`${field}:${client}`, count);
            } catch (rejection) {
              if (!isLimitReached(rejection)) {
                logger.error('rate limiter failed; letting the request through', { requestId: contextValue.requestId, error: String(rejection) });
                continue;
              }
              rateLimited.inc({ limiter: 'sensitive' });
              const seconds = retryAfter(rejection);
              throw new GraphQLError(`Too many ${field} attempts; retry in ${seconds} s`, {
                extensions: { code: 'RATE_LIMITED', field, retryAfterSeconds: seconds, http: { status: 429, headers: new HeaderMap([['retry-after', String(seconds)]]) } },
              });
            }
          }
        },
      };
    },
  };
}
