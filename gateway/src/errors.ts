import type { GraphQLFormattedError } from 'graphql';
import { formatError as formatWithInternals } from '../../subgraphs/lib/errors';
import { currentRequestScope } from '../../subgraphs/lib/request-context';
import { isTokenLimitError, LIMIT_CODES } from './limits';

/**
 * Codes whose message is written for clients. Everything else reaching the gateway (a subgraph's
 * unexpected error, a fetch failure, a timeout, an error without a code) is masked.
 */
const CLIENT_SAFE_CODES = new Set<string>([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PAYMENT_FAILED',
  'RATE_LIMITED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_IN_LIST',
  ...Object.values(LIMIT_CODES),
]);

/** Extensions that describe our internals (stack, the subgraph's raw HTTP response), never forwarded. */
const INTERNAL_EXTENSIONS = ['stacktrace', 'exception', 'response', 'serviceName', 'http'];

export function isClientSafe(formatted: Pick<GraphQLFormattedError, 'extensions'>): boolean {
  const code = formatted.extensions?.code;
  return typeof code === 'string' && CLIENT_SAFE_CODES.has(code);
}

/**
 * The gateway's formatError. Errors arrive from subgraphs already formatted, so only the code can
 * be trusted: a known code keeps its message and details; anything else becomes
 * INTERNAL_SERVER_ERROR with the request id (the full error is logged by the fault logger).
 * In development everything is shown, stack included, to help whoever is debugging.
 */
export function formatGatewayError(formatted: GraphQLFormattedError, error: unknown, opts: { exposeInternals: boolean }): GraphQLFormattedError {
  formatted = withLimitCode(formatted);
  if (opts.exposeInternals) return formatWithInternals(formatted, error, { exposeInternals: true });
  const requestId = currentRequestScope()?.requestId;
  if (isClientSafe(formatted)) {
    const extensions = Object.fromEntries(Object.entries(formatted.extensions ?? {}).filter(([k]) => !INTERNAL_EXTENSIONS.includes(k)));
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { ...extensions, ...(requestId && !extensions.requestId ? { requestId } : {}) } };
  }
  return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) } };
}

/** A refused query reports which limit it hit as its code (see limits.ts). */
function withLimitCode(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const { limitCode, ...extensions } = formatted.extensions ?? {};
  if (typeof limitCode === 'string') return { ...formatted, extensions: { ...extensions, code: limitCode } };
  if (extensions.code === 'GRAPHQL_PARSE_FAILED' && isTokenLimitError(formatted.message)) return { ...formatted, extensions: { ...extensions, code: LIMIT_CODES.tokens } };
  return formatted;
}
