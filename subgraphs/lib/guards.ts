import { ForbiddenError, UnauthenticatedError } from './errors';
import type { Identity } from './identity';

/**
 * Authorization rules in one place. Resolvers call these before touching a service (services
 * handed a Caller call the Caller forms); "not yours" and "does not exist" both surface as
 * FORBIDDEN where existence would leak.
 */
export interface AuthContext {
  identity: Identity;
}

/** A signed-in person, as resolvers hand them to services. */
export interface Caller {
  customerId: string;
  role: 'CUSTOMER' | 'ADMIN';
}

/** The signed-in person's id, or null for anonymous callers and services (`me` answers null rather than refusing). */
export function currentCustomerId(ctx: AuthContext): string | null {
  const { sub, role } = ctx.identity;
  return (role === 'CUSTOMER' || role === 'ADMIN') && sub ? sub : null;
}

export function requireSignedIn(ctx: AuthContext): Caller {
  const customerId = currentCustomerId(ctx);
  if (!customerId) throw new UnauthenticatedError();
  return { customerId, role: ctx.identity.role as Caller['role'] };
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

/** The ownership rule, written once: the owner, an admin, or a trusted service. */
function mayAccess(who: Pick<Identity, 'role' | 'sub'>, ownerId: string): boolean {
  return who.role === 'ADMIN' || who.role === 'SERVICE' || (who.role === 'CUSTOMER' && who.sub === ownerId);
}

/** The caller owns `ownerId`, or is an admin (or a trusted service). */
export function canAccessOwned(ctx: AuthContext, ownerId: string): boolean {
  return mayAccess(ctx.identity, ownerId);
}

export function requireOwnerOrAdmin(ctx: AuthContext, ownerId: string | undefined | null): void {
  requireSignedInOrService(ctx);
  if (!ownerId || !canAccessOwned(ctx, ownerId)) throw new ForbiddenError();
}

/** A customer's document the caller may see; FORBIDDEN whether or not it exists (existence must not leak). */
export function requireOwned<T extends { customerId: string }>(ctx: AuthContext, doc: T | null | undefined): T {
  if (!doc || !canAccessOwned(ctx, doc.customerId)) throw new ForbiddenError();
  return doc;
}

/** A customer's document if the caller may see it, else null (fields that quietly hide what is not yours). */
export function ownedOrNull<T extends { customerId: string }>(ctx: AuthContext, doc: T | null | undefined): T | null {
  return doc && canAccessOwned(ctx, doc.customerId) ? doc : null;
}

/** requireOwned for a service that was handed the Caller (it reads the document itself, fresh, before a write). */
export function requireOwnedBy<T extends { customerId: string }>(caller: Caller, doc: T | null | undefined): T {
  if (!doc || !mayAccess({ role: caller.role, sub: caller.customerId }, doc.customerId)) throw new ForbiddenError();
  return doc;
}

function requireSignedInOrService(ctx: AuthContext): void {
  if (ctx.identity.role === 'SERVICE') return;
  requireSignedIn(ctx);
}
