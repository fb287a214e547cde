import { CART_LIMITS, addLine, setLine } from './cart';

describe('cart lines (pure)', () => {
  it('merges units of the same product into one line', () => {
    expect(addLine(addLine([], 'p1', 2), 'p1', 3)).toEqual([{ productId: 'p1', quantity: 5 }]);
  });

  it('setting 0 removes the line; setting a new product adds it at the end', () => {
    const lines = [{ productId: 'p1', quantity: 1 }, { productId: 'p2', quantity: 2 }];
    expect(setLine(lines, 'p1', 0)).toEqual([{ productId: 'p2', quantity: 2 }]);
    expect(setLine(lines, 'p3', 4)).toEqual([...lines, { productId: 'p3', quantity: 4 }]);
  });

  it('refuses more than the maximum quantity of one product', () => {
    expect(() => addLine([{ productId: 'p1', quantity: CART_LIMITS.maxQuantity }], 'p1', 1)).toThrow(/at most 99/);
  });

  it('refuses more than the maximum number of different products, but still changes existing lines', () => {
    const full = Array.from({ length: CART_LIMITS.maxLines }, (_, i) => ({ productId: `p${i}`, quantity: 1 }));
    expect(() => addLine(full, 'new', 1)).toThrow(/at most 50 different products/);
    expect(addLine(full, 'p0', 1)[0]).toEqual({ productId: 'p0', quantity: 2 });
  });
});
