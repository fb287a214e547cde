import { rankProducts } from './order-figures';

describe('ranking products over several periods', () => {
  it('sums each product across periods, best revenue first, then units, then the key', () => {
    const january = { a: { unitsSold: 2, revenueCents: 1_000 }, b: { unitsSold: 1, revenueCents: 3_000 }, c: { unitsSold: 5, revenueCents: 500 } };
    const february = { a: { unitsSold: 3, revenueCents: 2_500 }, d: { unitsSold: 9, revenueCents: 3_000 }, e: { unitsSold: 9, revenueCents: 3_000 } };
    expect(rankProducts([january, february])).toEqual([
      { key: 'a', unitsSold: 5, revenueCents: 3_500 },
      { key: 'd', unitsSold: 9, revenueCents: 3_000 },
      { key: 'e', unitsSold: 9, revenueCents: 3_000 },
      { key: 'b', unitsSold: 1, revenueCents: 3_000 },
      { key: 'c', unitsSold: 5, revenueCents: 500 },
    ]);
    expect(rankProducts([january, february], 2).map((p) => p.key)).toEqual(['a', 'd']);
  });

  it('refuses a stored sum that is not a safe integer rather than rank on a wrong figure', () => {
    expect(() => rankProducts([{ a: { unitsSold: 1, revenueCents: 1.5 } }])).toThrow(/revenueCents/);
    expect(() => rankProducts([{ a: { unitsSold: 1, revenueCents: Number.MAX_SAFE_INTEGER } }, { a: { unitsSold: 1, revenueCents: 1 } }])).toThrow(/revenueCents/);
  });

  it('has nothing to rank without sales', () => {
    expect(rankProducts([], 5)).toEqual([]);
  });
});
