import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';
import { jsonError } from '../../subgraphs/lib/http';
import type { GatewayLimits, GatewaySecurity } from './config';

/** The codes a refused query carries in `extensions.code`. */
export const LIMIT_CODES = {
  depth: 'MAX_DEPTH_EXCEEDED',
  aliases: 'MAX_ALIASES_EXCEEDED',
  directives: 'MAX_DIRECTIVES_EXCEEDED',
  cost: 'MAX_COST_EXCEEDED',
  tokens: 'MAX_TOKENS_EXCEEDED',
} as const;

/**
 * graphql-armor reports every limit as BAD_USER_INPUT, and Apollo re-labels every validation error
 * GRAPHQL_VALIDATION_FAILED; we carry our own code in `limitCode`, which formatGatewayError turns
 * into `extensions.code`.
 */
function rejectWith(code: string, limit: number) {
  return {
    propagateOnRejection: false,
    onReject: [(ctx: ValidationContext | null, error: GraphQLError) => ctx?.reportError(new GraphQLError(error.message, { extensions: { limitCode: code, limit } }))],
  };
}

/**
 * Query-shape limits (graphql-armor): depth, aliases, directives and cost run as validation rules
 * (introspection is exempt from depth and cost, so Sandbox and codegen keep working). Field
 * suggestions ("Did you mean …?") are hidden unless enabled. Tokens are counted by graphql-js's own
 * parser (`parseOptions` below): armor's token plugin throws from a hook Apollo Server 5 does not
 * catch, which turns the refusal into a 500.
 */
export function armorProtection(limits: GatewayLimits, security: Pick<GatewaySecurity, 'fieldSuggestions'>) {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, ...rejectWith(LIMIT_CODES.depth, limits.maxDepth) },
    // Our own rule below counts every alias, __typename's included (armor's skips those).
    maxAliases: { enabled: false },
    maxDirectives: { n: limits.maxDirectives, ...rejectWith(LIMIT_CODES.directives, limits.maxDirectives) },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true, ...rejectWith(LIMIT_CODES.cost, limits.maxCost) },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: !security.fieldSuggestions },
  });
  const protection = armor.protect();
  return { ...protection, validationRules: [...protection.validationRules, maxAliasesRule(limits.maxAliases)], parseOptions: { maxTokens: limits.maxTokens } };
}

/**
 * Every alias in an operation, fragments expanded where they are spread (a fragment spread ten
 * times counts ten times), `__typename` included: aliases are how one request asks for the same
 * thing many times.
 */
export function countAliases(selectionSet: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, expanding = new Set<string>()): number {
  let count = 0;
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === Kind.FIELD) count += (selection.alias ? 1 : 0) + countAliases(selection.selectionSet, fragments, expanding);
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += countAliases(selection.selectionSet, fragments, expanding);
    else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || expanding.has(name)) continue; // unknown or cyclic: other rules report it
      expanding.add(name);
      count += countAliases(fragment.selectionSet, fragments, expanding);
      expanding.delete(name);
    }
  }
  return count;
}

function maxAliasesRule(max: number) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const fragments = new Map(context.getDocument().definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
      const found = countAliases(operation.selectionSet, fragments);
      if (found > max) context.reportError(new GraphQLError(`Aliases limit of ${max} exceeded, found ${found}.`, { nodes: [operation], extensions: { limitCode: LIMIT_CODES.aliases, limit: max } }));
    },
  });
}

/** The token limit fails parsing (a syntax error); give it its own code so clients can tell. */
export function isTokenLimitError(message: string): boolean {
  return /Document contains more tha[nt] \d+ tokens/.test(message);
}

/** One operation per HTTP request: a JSON array (batch) multiplies every other limit, so it is refused. */
export const refuseBatches: RequestHandler = (req, res, next) => {
  if (Array.isArray(req.body)) {
    jsonError(res, 'BATCHING_NOT_SUPPORTED', 'Batched requests are not supported: send one operation per HTTP request');
    return;
  }
  // Express 5 leaves req.body unset for other content types; Apollo then applies CSRF prevention
  // (a text/plain POST is refused as a possible cross-site request) instead of failing with a 500.
  if (req.body === undefined) req.body = {};
  next();
};

/** Body-parser failures as JSON: 413 for an oversized body, 400 for malformed JSON. */
export function bodyErrors(maxBodyBytes: number): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') return jsonError(res, 'PAYLOAD_TOO_LARGE', `Request body larger than ${maxBodyBytes} bytes`);
    if (type === 'entity.parse.failed') return jsonError(res, 'BAD_REQUEST', 'Request body is not valid JSON');
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') return jsonError(res, 'BAD_REQUEST', 'Unsupported body encoding');
    next(err);
  };
}
