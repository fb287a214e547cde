import { BadUserInputError } from '../lib/errors';
import { escapeRegex } from '../lib/regex';
import { SORT_SPECS, afterFilter, decodeCursor, encodeCursor } from './cursor';
import { createProductSchema, productsArgsSchema, searchWords } from './validation';

describe('product cursors', () => {
  it('round-trip the sort key and id for each sort', () => {
    const date = new Date('2025-01-02T03:04:05.678Z');
    expect(decodeCursor(encodeCursor('NEWEST', date, 'prod_1'), 'NEWEST')).toEqual({ value: date, id: 'prod_1' });
    expect(decodeCursor(encodeCursor('PRICE_ASC', 1299, 'prod_2'), 'PRICE_ASC')).toEqual({ value: 1299, id: 'prod_2' });
    expect(decodeCursor(encodeCursor('NAME_ASC', 'lamp', 'prod_3'), 'NAME_ASC')).toEqual({ value: 'lamp', id: 'prod_3' });
  });

  it('refuse garbage and cursors from another sort with BAD_USER_INPUT', () => {
    expect(() => decodeCursor('not-a-cursor', 'NEWEST')).toThrow(BadUserInputError);
    expect(() => decodeCursor(encodeCursor('PRICE_ASC', 5, 'p'), 'PRICE_DESC')).toThrow(BadUserInputError);
    expect(() => decodeCursor(Buffer.from(JSON.stringify({ s: 'PRICE_ASC', v: 'x', id: 'p' })).toString('base64url'), 'PRICE_ASC')).toThrow(BadUserInputError);
  });

  it('continue strictly after the last key, breaking ties by id in the same direction', () => {
    expect(afterFilter(SORT_SPECS.PRICE_DESC, { value: 500, id: 'prod_9' })).toEqual({ $or: [{ priceCents: { $lt: 500 } }, { priceCents: 500, _id: { $lt: 'prod_9' } }] });
    expect(afterFilter(SORT_SPECS.NAME_ASC, { value: 'b', id: 'p' })).toEqual({ $or: [{ nameKey: { $gt: 'b' } }, { nameKey: 'b', _id: { $gt: 'p' } }] });
  });
});

describe('escapeRegex', () => {
  it.each(['.*', '(', '[a-', 'a+b?', '^$|{}\\'])('makes %s match only itself', (text) => {
    const re = new RegExp(`^${escapeRegex(text)}$`);
    expect(re.test(text)).toBe(true);
    expect(re.test(`${text}x`)).toBe(false);
  });
});

describe('catalog input rules', () => {
  const valid = { sku: 'LAMP-1', name: 'Lamp', priceCents: 1999, currency: 'usd' };
  it('accepts a sensible product and normalises currency and defaults', () => {
    expect(createProductSchema.parse(valid)).toEqual({ ...valid, currency: 'USD', description: '', categoryId: null, images: [], initialStock: 0 });
  });
  it.each([
    [{ priceCents: -1 }, 'priceCents'],
    [{ priceCents: 10.5 }, 'priceCents'],
    [{ currency: 'XXQ' }, 'currency'],
    [{ initialStock: -3 }, 'initialStock'],
    [{ images: ['javascript:alert(1)'] }, 'images.0'],
    [{ images: ['ftp://example.com/a.png'] }, 'images.0'],
    [{ name: '' }, 'name'],
    [{ sku: 'has space' }, 'sku'],
  ])('refuses %j', (change, path) => {
    const r = createProductSchema.safeParse({ ...valid, ...change });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path.join('.')).toBe(path);
  });
  it('caps the page size at 100 and defaults the sort', () => {
    expect(productsArgsSchema.parse({ first: 500 })).toMatchObject({ first: 100, sort: 'NEWEST' });
    expect(productsArgsSchema.safeParse({ first: 0 }).success).toBe(false);
  });
  it('splits a search into at most 10 distinct lower-case words', () => {
    expect(searchWords('  Red  red SHIRT ')).toEqual(['red', 'shirt']);
    expect(searchWords(Array.from({ length: 15 }, (_, i) => `w${i}`).join(' '))).toHaveLength(10);
  });
});
