import { mongoSort } from '../lib/pagination';
import { adminFilter, adminFilterSchema, adminOrdersArgsSchema, customerFilter, sortKeys } from './queries';

describe('order listing builders', () => {
  it('hides failed attempts from customers unless asked for', () => {
    expect(customerFilter('cus_1')).toEqual({ customerId: 'cus_1', status: { $ne: 'FAILED' } });
    expect(customerFilter('cus_1', 'FAILED')).toEqual({ customerId: 'cus_1', status: 'FAILED' });
  });

  it('combines admin filters', () => {
    const f = adminFilterSchema.parse({ status: 'PAID', customerId: 'cus_1', minAmountCents: 100, maxAmountCents: 900, from: '2024-01-01T00:00:00Z' });
    expect(adminFilter(f)).toEqual({ status: 'PAID', customerId: 'cus_1', amountCents: { $gte: 100, $lte: 900 }, createdAt: { $gte: new Date('2024-01-01T00:00:00Z') } });
    expect(adminFilter({})).toEqual({});
  });

  it('refuses an inverted amount range', () => {
    expect(adminFilterSchema.safeParse({ minAmountCents: 10, maxAmountCents: 5 }).success).toBe(false);
  });

  it('defaults to newest first when the sort arguments are omitted or null', () => {
    expect(adminOrdersArgsSchema.parse({ sortBy: null, direction: null })).toEqual({ filter: {}, sortBy: 'CREATED_AT', direction: 'DESC' });
  });

  it('sorts stably, one direction for every key (so one index serves both directions)', () => {
    const sort = (s: Parameters<typeof sortKeys>[0]) => mongoSort(sortKeys(s), false);
    expect(sort({ sortBy: 'AMOUNT', direction: 'ASC' })).toEqual({ amountCents: 1, _id: 1 });
    expect(sort({ sortBy: 'CREATED_AT', direction: 'DESC' })).toEqual({ createdAt: -1, _id: -1 });
    expect(sort({ sortBy: 'STATUS', direction: 'DESC' })).toEqual({ status: -1, createdAt: -1, _id: -1 });
    expect(sort({ sortBy: 'STATUS', direction: 'ASC' })).toEqual({ status: 1, createdAt: 1, _id: 1 });
  });
});
