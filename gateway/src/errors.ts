import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { formatError as formatWithInternals, isClientSafeCode } from '../../subgraphs/lib/errors';
import { isTokenLimitError, LIMIT_CODES } from './limits';

/** Extensions that describe our internals (stack, the subgraph's raw HTTP response), never forwarded. */
const INTERNAL_EXTENSIONS = ['stacktrace', 'exception', 'response', 'serviceName', 'http'];

/** Only codes the error registry (subgraphs/lib/errors.ts) marks client-safe keep their message. */
export function isClientSafe(formatted: Pick<GraphQLFormattedError, 'extensions'>): boolean {
  return isClientSafeCode(formatted.extensions?.code);
}

/**
 * The gateway's formatError. Errors arrive from subgraphs already formatted, so only the code can
 * be trusted: a known code keeps its message and details; anything else becomes
 * INTERNAL_SERVER_ERROR (the full error is logged by the fault logger). In development everything
 * is shown, stack included, to help whoever is debugging. The request id is added to every error
 * afterwards, where the request is known (requestIdOnErrors, graphql-handler.ts): formatError is
 * not told which request it formats for.
 */
export function formatGatewayError(formatted: GraphQLFormattedError, error: unknown, opts: { exposeInternals: boolean; hideSuggestions?: boolean }): GraphQLFormattedError {
  formatted = withClientCode(withLimitCode(formatted), error);
  if (opts.hideSuggestions) formatted = withoutSuggestions(formatted);
  if (opts.exposeInternals) return formatWithInternals(formatted, error, { exposeInternals: true });
  if (isClientSafe(formatted)) {
    const extensions = Object.fromEntries(Object.entries(formatted.extensions ?? {}).filter(([k]) => !INTERNAL_EXTENSIONS.includes(k)));
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
  }
  return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** Every error names the request it belongs to (one the subgraph already named keeps its id). */
export function withRequestId(errors: readonly GraphQLFormattedError[], requestId: string): GraphQLFormattedError[] {
  return errors.map((e) => (e.extensions?.requestId ? e : { ...e, extensions: { ...e.extensions, requestId } }));
}

/** Adds the request id to the errors of every answer that went through Apollo's request pipeline. */
export function requestIdOnErrors(): ApolloServerPlugin<{ requestId: string }> {
  return {
    async requestDidStart({ contextValue }) {
      return {
        async willSendResponse({ response }) {
          const body = response.body;
          if (body.kind === 'single' && body.singleResult.errors) body.singleResult.errors = withRequestId(body.singleResult.errors, contextValue.requestId);
          else if (body.kind === 'incremental' && body.initialResult.errors) body.initialResult.errors = withRequestId(body.initialResult.errors, contextValue.requestId);
        },
      };
    },
  };
}

/** A refused query reports which limit it hit as its code (see limits.ts). */
function withLimitCode(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const { limitCode, ...extensions } = formatted.extensions ?? {};
  if (typeof limitCode === 'string') return { ...formatted, extensions: { ...extensions, code: limitCode } };
  if (extensions.code === 'GRAPHQL_PARSE_FAILED' && isTokenLimitError(formatted.message)) return { ...formatted, extensions: { ...extensions, code: LIMIT_CODES.tokens } };
  return formatted;
}

/**
 * Apollo Server answers some client mistakes (a persisted-query hash that does not match its
 * text) with HTTP 400 but no code; without one they would be masked as internal errors.
 */
function withClientCode(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  // Apollo fills in INTERNAL_SERVER_ERROR for an error without a code; look at the original.
  const ownCode = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  if (ownCode || !isClientHttpError(error)) return formatted;
  return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_REQUEST' } };
}

/** An error Apollo Server answers with a 4xx status: the client's mistake, not a fault of ours. */
export function isClientHttpError(error: unknown): boolean {
  const status = (error as { extensions?: { http?: { status?: number } } } | null)?.extensions?.http?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** "Did you mean …?" names parts of the schema (fields, enum values, types): not in production. */
function withoutSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (formatted.extensions?.code !== 'GRAPHQL_VALIDATION_FAILED') return formatted;
  return { ...formatted, message: formatted.message.replace(/\s*Did you mean [^?]*\?/g, '') };
}

/**
 * An operationName the document does not define (or none, for a document with several
 * operations) is the client's mistake: 400 OPERATION_RESOLUTION_FAILURE, decided before the
 * gateway plans anything (its executor would otherwise throw a plain error, a 500).
 */
export function operationResolutionPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation) return;
          const message = request.operationName ? `Unknown operation named "${request.operationName}".` : 'Must provide operation name if query contains multiple operations.';
          throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } });
        },
      };
    },
  };
}
