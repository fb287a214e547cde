import { BadUserInputError } from '../lib/errors';
import { escapeRegex } from '../lib/regex';
import { decodeCursor, encodeCursor } from '../lib/pagination';
import { PRODUCT_SORTS, SORT_KEYS } from './sorts';
import { createProductSchema, productsArgsSchema, searchWords } from './validation';

describe('product sorts', () => {
  it('give every sort its own cursors: a cursor from one sort is refused by another', () => {
    const product = { _id: 'prod_1', priceCents: 500, nameKey: 'lamp', createdAt: new Date('2025-01-02T03:04:05.678Z') };
    for (const sort of PRODUCT_SORTS) {
      const cursor = encodeCursor(SORT_KEYS[sort], product);
      expect(decodeCursor(cursor, SORT_KEYS[sort], 'after').at(-1)).toBe('prod_1');
      for (const other of PRODUCT_SORTS.filter((s) => s !== sort)) expect(() => decodeCursor(cursor, SORT_KEYS[other], 'after')).toThrow(BadUserInputError);
    }
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
  it('defaults the sort to newest first', () => {
    expect(productsArgsSchema.parse({ sort: null })).toMatchObject({ filter: {}, sort: 'NEWEST' });
  });
  it('splits a search into at most 10 distinct lower-case words', () => {
    expect(searchWords('  Red  red SHIRT ')).toEqual(['red', 'shirt']);
    expect(searchWords(Array.from({ length: 15 }, (_, i) => `w${i}`).join(' '))).toHaveLength(10);
  });
});
