import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ZodError } from 'zod';
import { currentRequestScope } from './request-context';

/**
 * The error registry: every code a client may see in `extensions.code` (GraphQL) or in a JSON
 * error body (HTTP endpoints), its HTTP status, and whether its message is written for clients.
 * Subgraphs, the gateway's masking, internal calls and HTTP endpoints all read it; a code not in
 * it is masked as INTERNAL_SERVER_ERROR.
 */
export const ERROR_CODES = {
  // Ours.
  BAD_USER_INPUT: { status: 400, clientSafe: true },
  BAD_REQUEST: { status: 400, clientSafe: true },
  UNAUTHENTICATED: { status: 401, clientSafe: true },
  PAYMENT_FAILED: { status: 402, clientSafe: true },
  FORBIDDEN: { status: 403, clientSafe: true },
  NOT_FOUND: { status: 404, clientSafe: true },
  CONFLICT: { status: 409, clientSafe: true },
  PAYLOAD_TOO_LARGE: { status: 413, clientSafe: true },
  RATE_LIMITED: { status: 429, clientSafe: true },
  SERVICE_UNAVAILABLE: { status: 503, clientSafe: true },
  INVALID_SIGNATURE: { status: 400, clientSafe: true },
  BATCHING_NOT_SUPPORTED: { status: 400, clientSafe: true },
  // Raised by graphql-js and Apollo Server themselves.
  GRAPHQL_PARSE_FAILED: { status: 400, clientSafe: true },
  GRAPHQL_VALIDATION_FAILED: { status: 400, clientSafe: true },
  OPERATION_RESOLUTION_FAILURE: { status: 400, clientSafe: true },
  PERSISTED_QUERY_NOT_FOUND: { status: 200, clientSafe: true },
  PERSISTED_QUERY_NOT_SUPPORTED: { status: 200, clientSafe: true },
  PERSISTED_QUERY_NOT_IN_LIST: { status: 400, clientSafe: true },
  // The gateway's query-shape limits (gateway/src/limits.ts).
  MAX_DEPTH_EXCEEDED: { status: 400, clientSafe: true },
  MAX_ALIASES_EXCEEDED: { status: 400, clientSafe: true },
  MAX_DIRECTIVES_EXCEEDED: { status: 400, clientSafe: true },
  MAX_COST_EXCEEDED: { status: 400, clientSafe: true },
  MAX_TOKENS_EXCEEDED: { status: 400, clientSafe: true },
  INTERNAL_SERVER_ERROR: { status: 500, clientSafe: false },
} as const satisfies Record<string, { status: number; clientSafe: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** May a client read this error's message and details? Only for a registered, client-safe code. */
export function isClientSafeCode(code: unknown): boolean {
  return isErrorCode(code) && ERROR_CODES[code].clientSafe;
}

/** Base of every error we throw on purpose; its message is safe to show to clients. */
export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadUserInputError extends AppError {
  constructor(message: string, public readonly fieldPath: (string | number)[] = [], details: Record<string, unknown> = {}) {
    super('BAD_USER_INPUT', message, { field: fieldPath.join('.'), ...details });
  }
}
export class UnauthenticatedError extends AppError {
  constructor(message = 'You must be signed in') {
    super('UNAUTHENTICATED', message);
  }
}
/** Also used for "exists but not yours", so callers cannot learn whether an object exists. */
export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}
export class NotFoundError extends AppError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFLICT', message, details);
  }
}
export class PaymentFailedError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('PAYMENT_FAILED', message, details);
  }
}
export class RateLimitedError extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super('RATE_LIMITED', message, { retryAfterSeconds });
  }
}

/** Converts a zod failure into BAD_USER_INPUT naming the first offending field (all are listed in `issues`). */
export function fromZodError(err: ZodError, rootPath: (string | number)[] = []): BadUserInputError {
  const issues = err.issues.map((i) => ({ path: [...rootPath, ...i.path.map(String)].join('.'), message: i.message }));
  const first = err.issues[0];
  const path = [...rootPath, ...(first?.path ?? []).map((p) => (typeof p === 'number' ? p : String(p)))];
  return new BadUserInputError(`${path.join('.') || 'input'}: ${first?.message ?? 'invalid input'}`, path, { issues });
}

/** Parse with zod and raise BAD_USER_INPUT with the field path; the one way resolvers read arguments. */
export function parseInput<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } }, value: unknown, rootPath: (string | number)[] = []): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw fromZodError(result.error, rootPath);
}

/** Is this a Mongo duplicate-key error (E11000)? Our idempotency relies on it. */
export function isDuplicateKeyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

function unwrap(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? unwrap(error.originalError) : error;
}

/**
 * The single place errors become client-facing GraphQL errors. Known errors keep their message
 * and code; anything else is masked (in every environment but development) as
 * INTERNAL_SERVER_ERROR carrying the request id, and the caller logs the original.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, opts: { exposeInternals: boolean }): GraphQLFormattedError {
  const original = unwrap(error);
  const requestId = currentRequestScope()?.requestId;
  if (original instanceof AppError) {
    return { ...formatted, message: original.message, extensions: { code: original.code, ...original.details, ...(requestId ? { requestId } : {}) } };
  }
  if (original instanceof ZodError) {
    const e = fromZodError(original);
    return { ...formatted, message: e.message, extensions: { code: e.code, ...e.details } };
  }
  const code = formatted.extensions?.code;
  // Errors graphql-js/Apollo raise themselves (validation, parse, bad variables) are safe to show.
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
    const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions: opts.exposeInternals ? formatted.extensions : extensions };
  }
  if (opts.exposeInternals) return formatted;
  return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) } };
}

/** Should this error be logged as a server fault (not a client mistake)? */
export function isServerFault(error: unknown): boolean {
  const original = unwrap(error);
  if (original instanceof AppError || original instanceof ZodError) return false;
  if (error instanceof GraphQLError) {
    const code = error.extensions?.code;
    return !code || code === 'INTERNAL_SERVER_ERROR';
  }
  return true;
}
