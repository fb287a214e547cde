import { AppError, isErrorCode } from './errors';
import { IDENTITY_HEADER, bindingFor, signIdentity } from './identity';
import { REQUEST_ID_HEADER, currentRequestScope } from './request-context';
import { randomUUID } from 'node:crypto';

/**
 * Calls a sibling subgraph's GraphQL endpoint as a trusted SERVICE (signed with INTERNAL_SECRET).
 * Used for synchronous questions only (prices, reservations at checkout); everything that can be
 * eventual goes through a queue instead.
 */
export interface InternalClientOptions {
  url: string;
  /** The subgraph called: the signed identity is valid for it alone. */
  target: string;
  service: string;
  internalSecret: string;
  timeoutMs?: number;
}

export class InternalCallError extends AppError {}

export function internalClient(opts: InternalClientOptions) {
  return async function call<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const requestId = currentRequestScope()?.requestId ?? randomUUID();
    const identity = signIdentity({ sub: opts.service, role: 'SERVICE', rid: requestId }, opts.internalSecret, bindingFor(opts.target, { query, variables }));
    const res = await fetch(`${opts.url.replace(/\/graphql\/?$/, '').replace(/\/$/, '')}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: identity, [REQUEST_ID_HEADER]: requestId },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    });
    const body = (await res.json().catch(() => null)) as { data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } | null;
    const first = body?.errors?.[0];
    if (first) {
      // A code outside the registry is a fault of the callee, not something to act on.
      const code = isErrorCode(first.extensions?.code) ? first.extensions.code : 'INTERNAL_SERVER_ERROR';
      const { code: _c, ...details } = first.extensions ?? {};
      throw new InternalCallError(code, first.message, details);
    }
    if (!res.ok || !body?.data) throw new InternalCallError('INTERNAL_SERVER_ERROR', `internal call failed with HTTP ${res.status}`);
    return body.data;
  };
}
export type InternalCall = ReturnType<typeof internalClient>;
