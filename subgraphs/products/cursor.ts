import { z } from 'zod';
import { BadUserInputError } from '../lib/errors';

/**
 * Keyset pagination: a cursor is the sort key and _id of the last product on a page, and the
 * next page starts strictly after that pair. Unlike skip/offset, products added (or removed)
 * meanwhile never shift a page, so every product present throughout is seen exactly once.
 */
export const PRODUCT_SORTS = ['PRICE_ASC', 'PRICE_DESC', 'NAME_ASC', 'NEWEST'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

export interface SortSpec {
  field: 'priceCents' | 'nameKey' | 'createdAt';
  direction: 1 | -1;
}

export const SORT_SPECS: Record<ProductSort, SortSpec> = {
  PRICE_ASC: { field: 'priceCents', direction: 1 },
  PRICE_DESC: { field: 'priceCents', direction: -1 },
  NAME_ASC: { field: 'nameKey', direction: 1 },
  NEWEST: { field: 'createdAt', direction: -1 },
};

export type SortValue = number | string | Date;

const cursorSchema = z.object({ s: z.enum(PRODUCT_SORTS), v: z.union([z.number(), z.string()]), id: z.string().min(1).max(100) });

export function encodeCursor(sort: ProductSort, value: SortValue, id: string): string {
  const v = value instanceof Date ? value.toISOString() : value;
  return Buffer.from(JSON.stringify({ s: sort, v, id })).toString('base64url');
}

/** The position a cursor stands for, checked against the sort it is used with. */
export function decodeCursor(cursor: string, sort: ProductSort): { value: SortValue; id: string } {
  const invalid = () => new BadUserInputError('after: not a cursor from this query', ['after']);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const parsed = cursorSchema.safeParse(raw);
  if (!parsed.success || parsed.data.s !== sort) throw invalid();
  const { v, id } = parsed.data;
  const spec = SORT_SPECS[sort];
  if (spec.field === 'createdAt') {
    const date = typeof v === 'string' ? new Date(v) : new Date(NaN);
    if (Number.isNaN(date.getTime())) throw invalid();
    return { value: date, id };
  }
  if ((spec.field === 'priceCents') !== (typeof v === 'number')) throw invalid();
  return { value: v, id };
}

/** Mongo sort for a SortSpec: the key, then _id as tie-breaker in the same direction. */
export function mongoSort(spec: SortSpec): Record<string, 1 | -1> {
  return { [spec.field]: spec.direction, _id: spec.direction };
}

/** Everything strictly after (value, id) in the sort order. */
export function afterFilter(spec: SortSpec, pos: { value: SortValue; id: string }): Record<string, unknown> {
  const op = spec.direction === 1 ? '$gt' : '$lt';
  return { $or: [{ [spec.field]: { [op]: pos.value } }, { [spec.field]: pos.value, _id: { [op]: pos.id } }] };
}
