import { GraphQLError } from 'graphql';
import { Redis } from 'ioredis';
import { disabledAccountKey, type Identity } from '../../subgraphs/lib/identity';
import { decodeJwt } from 'jose';
import { verifyAccessToken, type TokenCheck } from '../../subgraphs/lib/tokens';

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
  /** Checks a token's signature and claims (default: verifyAccessToken, no cache). */
  verify?: (token: string) => Promise<TokenCheck>;
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
  const check = await (checks.verify ?? ((token: string) => verifyAccessToken(token, jwtSecret)))(match[1]);
  if (!check.ok) throw unauthenticated(check.reason === 'expired' ? 'Access token expired' : 'Invalid access token');
  if (checks.isDisabled && (await checks.isDisabled(check.claims.sub))) throw unauthenticated('This account is disabled');
  return { sub: check.claims.sub, role: check.claims.role, rid: requestId, ...ip };
}

export interface GatewayIdentity {
  fromRequest(req: { header(name: string): string | undefined; ip?: string }, requestId: string): Promise<ForwardedIdentity>;
  close(): Promise<void>;
}

/**
 * verifyAccessToken with a memory: a client sends the same token with every request for its 15
 * minutes, and checking an HMAC signature (WebCrypto, a key import each time) costs more than
 * looking the exact same string up. A verified token is remembered until its own `exp` (checked
 * on every use, so an expired token is refused as before); a refused one is not remembered.
 * Bounded: the oldest entry goes when `max` are held.
 */
export function cachedTokenVerifier(jwtSecret: string, max = 10_000): (token: string) => Promise<TokenCheck> {
  const verified = new Map<string, { check: TokenCheck & { ok: true }; expiresAtMs: number }>();
  return async (token) => {
    const hit = verified.get(token);
    if (hit && Date.now() < hit.expiresAtMs) return hit.check;
    if (hit) verified.delete(token);
    const check = await verifyAccessToken(token, jwtSecret);
    const exp = check.ok ? decodeJwt(token).exp : undefined;
    if (check.ok && typeof exp === 'number') {
      if (verified.size >= max) verified.delete(verified.keys().next().value!);
      verified.set(token, { check, expiresAtMs: exp * 1000 });
    }
    return check;
  };
}

/**
 * The gateway's identity step with its own Redis connection: one GET of
 * `<QUEUE_PREFIX>:auth:disabled:<customerId>` (written by the customers service) per authenticated
 * request, so that disabling an account takes effect at once. If Redis cannot answer, signed-in
 * requests fail closed (503) rather than let a disabled account through; anonymous requests need
 * no Redis at all. Token signatures are checked once per token (cachedTokenVerifier).
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
  const verify = cachedTokenVerifier(config.jwtSecret);
  return {
    fromRequest: (req, requestId) => identityFromAuthorization(req.header('authorization'), config.jwtSecret, requestId, { ip: req.ip, isDisabled, verify }),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
