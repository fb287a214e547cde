import { adminFilter, adminFilterSchema, customerFilter, pageInfo, sortSpec } from './queries';

describe('order listing builders', () => {
  it('computes page info', () => {
    expect(pageInfo(45, { page: 2, limit: 20 })).toEqual({ totalCount: 45, page: 2, limit: 20, totalPages: 3, hasNextPage: true, hasPrevPage: true });
    expect(pageInfo(0, { page: 1, limit: 20 })).toEqual({ totalCount: 0, page: 1, limit: 20, totalPages: 0, hasNextPage: false, hasPrevPage: false });
  });

  it('hides failed attempts from customers unless asked for', () => {
    expect(customerFilter('cus_1')).toEqual({ customerId: 'cus_1', status: { $ne: 'FAILED' } });
    expect(customerFilter('cus_1', 'FAILED')).toEqual({ customerId: 'cus_1', status: 'FAILED' });
  });

  it('combines admin filters', () => {
    const f = adminFilterSchema.parse({ status: 'PAID', customerId: 'cus_1', minAmountCents: 100, maxAmountCents: 900, from: '2024-01-01T00:00:00Z' });
    expect(adminFilter(f)).toEqual({ status: 'PAID', customerId: 'cus_1', totalCents: { $gte: 100, $lte: 900 }, createdAt: { $gte: new Date('2024-01-01T00:00:00Z') } });
    expect(adminFilter({})).toEqual({});
  });

  it('refuses an inverted amount range', () => {
    expect(adminFilterSchema.safeParse({ minAmountCents: 10, maxAmountCents: 5 }).success).toBe(false);
  });

  it('sorts stably', () => {
    expect(sortSpec({ sortBy: 'AMOUNT', direction: 'ASC' })).toEqual({ totalCents: 1, _id: 1 });
    expect(sortSpec({ sortBy: 'CREATED_AT', direction: 'DESC' })).toEqual({ createdAt: -1, _id: -1 });
    expect(sortSpec({ sortBy: 'STATUS', direction: 'DESC' })).toEqual({ status: -1, createdAt: -1, _id: -1 });
    expect(sortSpec({ sortBy: 'STATUS', direction: 'ASC' })).toEqual({ status: 1, createdAt: 1, _id: 1 });
  });
});
