import { ForbiddenError, UnauthenticatedError } from './errors';
import type { Identity } from './identity';

/**
 * Authorization rules in one place. Resolvers call these before touching a service;
 * "not yours" and "does not exist" both surface as FORBIDDEN where existence would leak.
 */
export interface AuthContext {
  identity: Identity;
}

export function requireSignedIn(ctx: AuthContext): { customerId: string; role: 'CUSTOMER' | 'ADMIN' } {
  const { sub, role } = ctx.identity;
  if ((role === 'CUSTOMER' || role === 'ADMIN') && sub) return { customerId: sub, role };
  throw new UnauthenticatedError();
}

export function requireAdmin(ctx: AuthContext): string {
  const who = requireSignedIn(ctx);
  if (who.role !== 'ADMIN') throw new ForbiddenError('Admin role required');
  return who.customerId;
}

/** For internal (@inaccessible) operations that only sibling services may call. */
export function requireService(ctx: AuthContext): string {
  if (ctx.identity.role === 'SERVICE' && ctx.identity.sub) return ctx.identity.sub;
  throw new ForbiddenError('Internal operation');
}

export function isAdmin(ctx: AuthContext): boolean {
  return ctx.identity.role === 'ADMIN' || ctx.identity.role === 'SERVICE';
}

/** The caller owns `ownerId`, or is an admin (or a trusted service). */
export function canAccessOwned(ctx: AuthContext, ownerId: string): boolean {
  return isAdmin(ctx) || (ctx.identity.role === 'CUSTOMER' && ctx.identity.sub === ownerId);
}

export function requireOwnerOrAdmin(ctx: AuthContext, ownerId: string | undefined | null): void {
  requireSignedInOrService(ctx);
  if (!ownerId || !canAccessOwned(ctx, ownerId)) throw new ForbiddenError();
}

function requireSignedInOrService(ctx: AuthContext): void {
  if (ctx.identity.role === 'SERVICE') return;
  requireSignedIn(ctx);
}
