import { idKey, type SortKey } from '../lib/pagination';

/**
 * The catalog's orders for `products(sort)`. Each ends with _id in the same direction, so every
 * product has one position (lib/pagination.ts) and the indexes {active, <key>, _id} in model.ts
 * serve the sort and the cursor's range alike.
 */
export const PRODUCT_SORTS = ['PRICE_ASC', 'PRICE_DESC', 'NAME_ASC', 'NEWEST'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

export const SORT_KEYS: Record<ProductSort, SortKey[]> = {
  PRICE_ASC: [{ field: 'priceCents', direction: 1, type: 'number' }, idKey(1)],
  PRICE_DESC: [{ field: 'priceCents', direction: -1, type: 'number' }, idKey(-1)],
  NAME_ASC: [{ field: 'nameKey', direction: 1, type: 'string' }, idKey(1)],
  NEWEST: [{ field: 'createdAt', direction: -1, type: 'date' }, idKey(-1)],
};
