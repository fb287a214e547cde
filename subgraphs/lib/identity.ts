import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Who is calling, as verified by the gateway (or, for SERVICE, by a sibling service).
 * Subgraphs never read identity from anything but a header signed with INTERNAL_SECRET,
 * so a request sent straight to a subgraph cannot claim to be someone else.
 */
export const ROLES = ['ANONYMOUS', 'CUSTOMER', 'ADMIN', 'SERVICE'] as const;
export type Role = (typeof ROLES)[number];

export const identitySchema = z.object({
  /** Customer id for CUSTOMER and ADMIN; absent for ANONYMOUS; the calling service's name for SERVICE. */
  sub: z.string().min(1).optional(),
  role: z.enum(ROLES),
  /** Request id, so subgraphs log under the gateway's id. */
  rid: z.string().min(1),
  /** Issued-at, seconds: a captured header stops working after IDENTITY_MAX_AGE_SECONDS. */
  iat: z.number().int(),
  /** The end client's IP as the gateway saw it (login throttling); absent for SERVICE calls. */
  ip: z.string().optional(),
  /** The one subgraph this header is for: a captured header is refused by every other subgraph. */
  aud: z.string().min(1),
  /** requestDigest() of the request it came with: a captured header cannot carry another query or other variables. */
  bh: z.string().min(1),
});
export type Identity = z.infer<typeof identitySchema>;

export const IDENTITY_HEADER = 'x-commerce-identity';
/** A header is bound to one subgraph and one request, and stops working after this long. */
export const IDENTITY_MAX_AGE_SECONDS = 60;

/** What a signed identity is bound to: the target subgraph and the request it travels with. */
export interface IdentityBinding {
  aud: string;
  bh: string;
}

/** A digest of what a GraphQL request asks (its query and variables), as both sides see them after JSON parsing. */
export function requestDigest(body: { query?: unknown; variables?: unknown } | null | undefined): string {
  const query = typeof body?.query === 'string' ? body.query : '';
  return createHash('sha256').update(`${query}\n${JSON.stringify(body?.variables ?? {})}`).digest('base64url');
}

/** The binding for a request to `subgraph` carrying this query and these variables. */
export function bindingFor(subgraph: string, request: { query?: unknown; variables?: unknown }): IdentityBinding {
  return { aud: subgraph, bh: requestDigest(request) };
}

/** Redis key set by customers while an account is disabled; the gateway refuses that account's tokens. */
export const disabledAccountKey = (queuePrefix: string, customerId: string) => `${queuePrefix}:auth:disabled:${customerId}`;

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function signIdentity(identity: Omit<Identity, 'iat' | 'aud' | 'bh'> & { iat?: number }, secret: string, binding: IdentityBinding): string {
  const full: Identity = { ...identity, ...binding, iat: identity.iat ?? Math.floor(Date.now() / 1000) };
  const payload = Buffer.from(JSON.stringify(full)).toString('base64url');
  return `${payload}.${mac(payload, secret)}`;
}

export type IdentityCheck = { ok: true; identity: Identity } | { ok: false; reason: string };

export function verifyIdentity(header: string | undefined, secret: string, expected: IdentityBinding, now = Date.now()): IdentityCheck {
  if (!header) return { ok: false, reason: 'missing gateway identity' };
  const [payload, signature, extra] = header.split('.');
  if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'malformed gateway identity' };
  const wanted = Buffer.from(mac(payload, secret));
  const given = Buffer.from(signature);
  if (wanted.length !== given.length || !timingSafeEqual(wanted, given)) return { ok: false, reason: 'bad gateway identity signature' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed gateway identity' };
  }
  const result = identitySchema.safeParse(parsed);
  if (!result.success) return { ok: false, reason: 'malformed gateway identity' };
  const age = now / 1000 - result.data.iat;
  if (age > IDENTITY_MAX_AGE_SECONDS || age < -IDENTITY_MAX_AGE_SECONDS) return { ok: false, reason: 'expired gateway identity' };
  if (result.data.aud !== expected.aud) return { ok: false, reason: 'gateway identity is for another subgraph' };
  if (result.data.bh !== expected.bh) return { ok: false, reason: 'gateway identity was signed for another request' };
  return { ok: true, identity: result.data };
}
