import { GraphQLError } from 'graphql';
import type { Identity } from '../../subgraphs/lib/identity';
import { verifyAccessToken } from '../../subgraphs/lib/tokens';

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/**
 * Verifies the caller's bearer token once per request. No header means an anonymous caller
 * (the storefront browsing); a header that is present but invalid or expired is refused outright,
 * so a client learns its token is bad instead of silently seeing less.
 */
export async function identityFromAuthorization(header: string | undefined, jwtSecret: string, requestId: string): Promise<Omit<Identity, 'iat'>> {
  if (!header) return { role: 'ANONYMOUS', rid: requestId };
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw unauthenticated('Authorization header must be "Bearer <token>"');
  const check = await verifyAccessToken(match[1], jwtSecret);
  if (!check.ok) throw unauthenticated(check.reason === 'expired' ? 'Access token expired' : 'Invalid access token');
  return { sub: check.claims.sub, role: check.claims.role, rid: requestId };
}
