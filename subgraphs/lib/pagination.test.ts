import { BadUserInputError, parseInput } from './errors';
import { MAX_PAGE_SIZE, decodeCursor, encodeCursor, keysetFilter, mongoSort, pageArgsSchema, type SortKey } from './pagination';

const NEWEST: SortKey[] = [
  { field: 'createdAt', direction: -1, type: 'date' },
  { field: '_id', direction: -1, type: 'string' },
];
const BY_PRICE: SortKey[] = [
  { field: 'priceCents', direction: 1, type: 'number' },
  { field: '_id', direction: 1, type: 'string' },
];

/** What a client sees when it hands a bad value to a list: the error a resolver's parse or the helper raises. */
function refusal(run: () => unknown): { code: string; field: unknown } {
  try {
    run();
  } catch (err) {
    if (err instanceof BadUserInputError) return { code: err.code, field: err.details.field };
    throw err;
  }
  throw new Error('expected BAD_USER_INPUT, got nothing');
}

describe('page arguments', () => {
  it('default to the first 20 items', () => {
    expect(parseInput(pageArgsSchema, {})).toEqual({ first: 20 });
    expect(parseInput(pageArgsSchema, { first: null, after: null, last: null, before: null })).toEqual({ first: 20 });
  });

  it('take first/after forwards and last/before backwards', () => {
    expect(parseInput(pageArgsSchema, { first: 5, after: 'abc' })).toEqual({ first: 5, after: 'abc' });
    expect(parseInput(pageArgsSchema, { last: 5, before: 'abc' })).toEqual({ last: 5, before: 'abc' });
  });

  it(`refuse a page over ${MAX_PAGE_SIZE} with BAD_USER_INPUT naming the field`, () => {
    expect(refusal(() => parseInput(pageArgsSchema, { first: MAX_PAGE_SIZE + 1 }))).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(refusal(() => parseInput(pageArgsSchema, { last: 1000 }))).toEqual({ code: 'BAD_USER_INPUT', field: 'last' });
    expect(refusal(() => parseInput(pageArgsSchema, { first: 0 }))).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(parseInput(pageArgsSchema, { first: MAX_PAGE_SIZE })).toEqual({ first: MAX_PAGE_SIZE });
  });

  it('refuse first and last together', () => {
    expect(refusal(() => parseInput(pageArgsSchema, { first: 2, last: 2 }))).toEqual({ code: 'BAD_USER_INPUT', field: 'last' });
  });
});

describe('cursors', () => {
  const order = { _id: 'ord_65f0c0ffee', createdAt: new Date('2025-01-02T03:04:05.678Z'), priceCents: 1299, name: 'x' };

  it('round-trip the sort key values and the id, typed as stored', () => {
    expect(decodeCursor(encodeCursor(NEWEST, order), NEWEST, 'after')).toEqual([order.createdAt, order._id]);
    expect(decodeCursor(encodeCursor(BY_PRICE, order), BY_PRICE, 'before')).toEqual([1299, order._id]);
  });

  it('are opaque: no field names or values in plain sight', () => {
    const cursor = encodeCursor(NEWEST, order);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('createdAt');
  });

  it('refuse a tampered cursor with BAD_USER_INPUT on the argument it came in', () => {
    const cursor = encodeCursor(NEWEST, order);
    const flipped = cursor.slice(0, 5) + (cursor[5] === 'A' ? 'B' : 'A') + cursor.slice(6);
    expect(refusal(() => decodeCursor(flipped, NEWEST, 'after'))).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
    expect(refusal(() => decodeCursor(`${cursor}!`, NEWEST, 'before'))).toEqual({ code: 'BAD_USER_INPUT', field: 'before' });
    expect(refusal(() => decodeCursor('not-a-cursor', NEWEST, 'after'))).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
    const wrongType = Buffer.from(JSON.stringify(JSON.parse(Buffer.from(encodeCursor(BY_PRICE, order), 'base64url').toString()).map((v: unknown) => (v === 1299 ? '1299' : v)))).toString('base64url');
    expect(refusal(() => decodeCursor(wrongType, BY_PRICE, 'after'))).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('refuse a cursor made for another sort', () => {
    expect(refusal(() => decodeCursor(encodeCursor(BY_PRICE, order), NEWEST, 'after'))).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
    const priceDesc: SortKey[] = BY_PRICE.map((k) => ({ ...k, direction: -1 }));
    expect(refusal(() => decodeCursor(encodeCursor(BY_PRICE, order), priceDesc, 'after'))).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('keyset queries', () => {
  const at = new Date('2025-01-02T00:00:00Z');

  it('continue strictly after a position: bounded on the first key (an index range), ties broken by the next keys', () => {
    expect(keysetFilter(NEWEST, [at, 'ord_9'], 'after')).toEqual({
      createdAt: { $lte: at },
      $or: [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: 'ord_9' } }],
    });
    expect(keysetFilter(BY_PRICE, [500, 'prod_1'], 'before')).toEqual({
      priceCents: { $lte: 500 },
      $or: [{ priceCents: { $lt: 500 } }, { priceCents: 500, _id: { $lt: 'prod_1' } }],
    });
  });

  it('need no $or when the id is the only key', () => {
    expect(keysetFilter([{ field: '_id', direction: 1, type: 'string' }], ['cus_5'], 'after')).toEqual({ _id: { $gt: 'cus_5' } });
  });

  it('sort in the list order, or reversed to read a page backwards', () => {
    expect(mongoSort(NEWEST, false)).toEqual({ createdAt: -1, _id: -1 });
    expect(mongoSort(NEWEST, true)).toEqual({ createdAt: 1, _id: 1 });
  });
});
