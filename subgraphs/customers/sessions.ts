import { createHash, randomBytes } from 'node:crypto';
import type { Model } from 'mongoose';
import { UnauthenticatedError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from '../lib/tokens';
import type { CustomerDoc, RefreshTokenDoc } from './model';

/** Refresh tokens last 30 days from their last use (each rotation starts a new 30 days). */
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

export interface TokenPair {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  customer: CustomerDoc;
}

export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex');
const newFamilyId = () => `fam_${randomBytes(12).toString('hex')}`;

/** Sessions: access JWTs plus opaque, rotated, revocable refresh tokens stored as SHA-256 only. */
export function createSessionStore(deps: { refreshTokens: Model<RefreshTokenDoc>; jwtSecret: string; logger: Logger }) {
  const { refreshTokens } = deps;

  async function issue(customer: CustomerDoc, familyId: string): Promise<TokenPair> {
    const refreshToken = randomBytes(32).toString('base64url');
    const refreshTokenExpiresAt = new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000);
    await refreshTokens.create({ _id: hashRefreshToken(refreshToken), customerId: customer._id, familyId, expiresAt: refreshTokenExpiresAt });
    const accessToken = await issueAccessToken({ sub: customer._id, role: customer.role, sid: familyId }, deps.jwtSecret);
    return { accessToken, accessTokenExpiresAt: new Date(Date.now() + ACCESS_TOKEN_TTL_SECONDS * 1000), refreshToken, refreshTokenExpiresAt, customer };
  }

  async function revokeFamily(familyId: string, reason: string): Promise<void> {
    await refreshTokens.updateMany({ familyId, revokedAt: null }, { $set: { revokedAt: new Date(), revokedReason: reason } });
  }

  return {
    /** A new sign-in: a new token family. */
    start: (customer: CustomerDoc) => issue(customer, newFamilyId()),

    /**
     * Exchanges a refresh token for a new pair. Claiming the token is one conditional update, so two
     * concurrent uses cannot both succeed. Presenting a token that was already rotated means someone
     * else holds a copy: the whole family is revoked and both parties must sign in again.
     */
    async rotate(refreshToken: string, loadCustomer: (id: string) => Promise<CustomerDoc | null>): Promise<TokenPair> {
      const _id = hashRefreshToken(refreshToken);
      const now = new Date();
      const claimed = await refreshTokens.findOneAndUpdate({ _id, rotatedAt: null, revokedAt: null, expiresAt: { $gt: now } }, { $set: { rotatedAt: now } }, { new: true }).lean();
      if (!claimed) {
        const seen = await refreshTokens.findById(_id).lean();
        // Only within the token's lifetime: MongoDB's TTL index deletes expired tokens (the local
        // server does not), and the answer must not depend on whether the deletion happened yet.
        // A revoked token still revokes: a rotation racing a revocation may have issued a newer one.
        if (seen?.rotatedAt && seen.expiresAt > now) {
          if (!seen.revokedAt) deps.logger.warn('refresh token reused after rotation; revoking its session', { customerId: seen.customerId, familyId: seen.familyId });
          await revokeFamily(seen.familyId, 'reuse');
        }
        throw new UnauthenticatedError('Invalid or expired refresh token');
      }
      const customer = await loadCustomer(claimed.customerId);
      if (!customer || customer.disabled) {
        await revokeFamily(claimed.familyId, 'disabled');
        throw new UnauthenticatedError('Invalid or expired refresh token');
      }
      return issue(customer, claimed.familyId);
    },

    /** Logout: the token's whole session stops working. Unknown tokens are ignored (logout is idempotent). */
    async revoke(refreshToken: string): Promise<void> {
      const seen = await refreshTokens.findById(hashRefreshToken(refreshToken)).lean();
      if (seen) await revokeFamily(seen.familyId, 'logout');
    },

    async revokeAllFor(customerId: string, reason: string): Promise<void> {
      await refreshTokens.updateMany({ customerId, revokedAt: null }, { $set: { revokedAt: new Date(), revokedReason: reason } });
    },
  };
}
export type SessionStore = ReturnType<typeof createSessionStore>;
