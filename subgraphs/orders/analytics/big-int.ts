import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/**
 * `scalar BigInt`: money totals of the analytics API (integer minor units) as a JSON string of
 * decimal digits. Why: GraphQL `Int` is 32-bit, so a range's revenue overflows at 2,147,483,647
 * minor units (21.47M dollars); a JSON number above 2^53 is silently rounded by JavaScript clients.
 * A string is exact in every client and leaves room for wider sums later without a contract change.
 * Serializing refuses anything that is not an exact whole number (an unsafe float, NaN, a string),
 * so a figure is either exact or an error, never quietly wrong.
 */
const DIGITS = /^-?(0|[1-9]\d*)$/;

function refuse(value: unknown): never {
  throw new GraphQLError(`BigInt must be an exact whole number (a safe integer, a bigint or a string of digits), got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
}

function serialize(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return refuse(value);
}

function parseDigits(value: unknown): bigint {
  if (typeof value === 'string' && DIGITS.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return refuse(value);
}

function parseLiteral(ast: ValueNode): bigint {
  // An Int literal's value is its digits as written, so both kinds parse the same way.
  if (ast.kind === Kind.STRING || ast.kind === Kind.INT) return parseDigits(ast.value);
  return refuse(ast.kind);
}

export const BigIntScalar = new GraphQLScalarType<bigint, string>({
  name: 'BigInt',
  description: 'A whole number as a string of decimal digits (optional leading "-"): exact beyond GraphQL Int and JSON number precision.',
  serialize,
  parseValue: parseDigits,
  parseLiteral,
});
