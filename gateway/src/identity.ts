import { GraphQLError } from 'graphql';
import { Redis } from 'ioredis';
import { disabledAccountKey, type Identity } from '../../subgraphs/lib/identity';
import { verifyAccessToken } from '../../subgraphs/lib/tokens';

/** What the gateway knows of the caller; each subgraph call adds its own binding when signing. */
export type ForwardedIdentity = Omit<Identity, 'iat' | 'aud' | 'bh'>;

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

export interface IdentityChecks {
  /** The client's IP (forwarded to subgraphs for login throttling). */
  ip?: string;
  /** Is this account disabled right now? Access tokens are stateless, so this is how disabling takes effect at once. */
  isDisabled?: (customerId: string) => Promise<boolean>;
}

/**
 * Verifies the caller's bearer token once per request. No header means an anonymous caller
 * (the storefront browsing); a header that is present but invalid or expired is refused outright,
 * so a client learns its token is bad instead of silently seeing less. A valid token of a disabled
 * account is refused the same way.
 */
export async function identityFromAuthorization(header: string | undefined, jwtSecret: string, requestId: string, checks: IdentityChecks = {}): Promise<ForwardedIdentity> {
  const ip = checks.ip ? { ip: checks.ip } : {};
  if (!header) return { role: 'ANONYMOUS', rid: requestId, ...ip };
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw unauthenticated('Authorization header must be "Bearer <token>"');
  const check = await verifyAccessToken(match[1], jwtSecret);
  if (!check.ok) throw unauthenticated(check.reason === 'expired' ? 'Access token expired' : 'Invalid access token');
  if (checks.isDisabled && (await checks.isDisabled(check.claims.sub))) throw unauthenticated('This account is disabled');
  return { sub: check.claims.sub, role: check.claims.role, rid: requestId, ...ip };
}

export interface GatewayIdentity {
  fromRequest(req: { header(name: string): string | undefined; ip?: string }, requestId: string): Promise<ForwardedIdentity>;
  close(): Promise<void>;
}

/**
 * The gateway's identity step with its own Redis connection: one GET of
 * `<QUEUE_PREFIX>:auth:disabled:<customerId>` (written by the customers service) per authenticated
 * request. If Redis cannot answer, signed-in requests fail closed (503) rather than let a disabled
 * account through; anonymous requests need no Redis at all.
 */
export function createGatewayIdentity(config: { jwtSecret: string; redisUrl: string; queuePrefix: string }): GatewayIdentity {
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 2000, connectTimeout: 2000 });
  redis.on('error', () => undefined); // reported per request below; ioredis reconnects by itself
  const isDisabled = async (customerId: string) => {
    try {
      return (await redis.get(disabledAccountKey(config.queuePrefix, customerId))) !== null;
    } catch {
      throw new GraphQLError('Cannot verify your session right now; try again shortly', { extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } } });
    }
  };
  return {
    fromRequest: (req, requestId) => identityFromAuthorization(req.header('authorization'), config.jwtSecret, requestId, { ip: req.ip, isDisabled }),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
