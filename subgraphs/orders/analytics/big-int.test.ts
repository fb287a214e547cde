import { Kind } from 'graphql';
import { mongo } from 'mongoose';
import { BigIntScalar } from './big-int';
import { figuresOf } from './service';

describe('money totals never overflow and are never silently wrong', () => {
  it('serializes whole numbers beyond GraphQL Int as strings of digits', () => {
    expect(BigIntScalar.serialize(3_000_000_000)).toBe('3000000000');
    expect(BigIntScalar.serialize(-2_500)).toBe('-2500');
    expect(BigIntScalar.serialize(0)).toBe('0');
    expect(BigIntScalar.serialize(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
    expect(BigIntScalar.serialize(2n ** 70n)).toBe('1180591620717411303424');
  });

  it('refuses a figure that is not an exact whole number instead of reporting it', () => {
    for (const bad of [Number.MAX_SAFE_INTEGER + 2, 1.5, Number.NaN, Infinity, '12', null]) expect(() => BigIntScalar.serialize(bad)).toThrow(/BigInt/);
  });

  it('reads a string of digits (or an Int literal) as input', () => {
    expect(BigIntScalar.parseValue('-42')).toBe(-42n);
    expect(BigIntScalar.parseLiteral({ kind: Kind.STRING, value: '9007199254740993' })).toBe(9007199254740993n);
    expect(BigIntScalar.parseLiteral({ kind: Kind.INT, value: '7' })).toBe(7n);
    expect(() => BigIntScalar.parseValue('1e3')).toThrow(/BigInt/);
  });

  it('a rollup sum beyond 2^53 - 1 is refused when read, never rounded', () => {
    expect(figuresOf({ revenueCents: 3_000_000_000 }).revenueCents).toBe(3_000_000_000);
    expect(figuresOf({ revenueCents: mongo.Long.fromNumber(3_000_000_000) as unknown as number }).revenueCents).toBe(3_000_000_000);
    expect(() => figuresOf({ revenueCents: 2 ** 53 + 2 })).toThrow(/revenueCents/);
    expect(() => figuresOf({ refundsCents: mongo.Long.fromString('9007199254740993') as unknown as number })).toThrow(/refundsCents/);
  });
});
