import { createHash } from 'node:crypto';
import type { FilterQuery, Model, SortOrder } from 'mongoose';
import { z } from 'zod';
import { BadUserInputError } from './errors';

/**
 * The one way lists are paged in this graph: Relay connections (edges { node cursor }, pageInfo,
 * totalCount) read with keyset queries.
 *
 * A list is a Mongo filter plus a sort that ends with `_id`, so every document has exactly one
 * position. A cursor is that position (the document's sort key values and its `_id`), opaque to
 * clients; the next page is "strictly after this position", a range on the same keys the sort
 * uses, so the index that serves the sort serves the page too, and documents added or removed
 * meanwhile never shift a page (unlike skip/offset): every document present throughout is seen
 * exactly once. A cursor is not a secret: the list's filter (and so the caller's authorization)
 * is applied to every page, so an edited cursor could only move the position; a cursor that does
 * not decode to a position of this sort is refused with BAD_USER_INPUT.
 */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
/** Sort values are short (ids, dates, prices, names up to 200 characters); anything longer is not ours. */
const MAX_CURSOR_LENGTH = 1000;

const pageSize = z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`);
const cursorArg = z.string().min(1, 'must not be empty').max(MAX_CURSOR_LENGTH, 'is not a cursor from this list');

/** Which page: `first` items after `after`, or the `last` items before `before`. */
export interface PageRequest {
  first?: number;
  last?: number;
  after?: string;
  before?: string;
}

/** The arguments every list takes; with neither `first` nor `last`, the first 20. */
export const pageArgsSchema = z
  .object({ first: pageSize.nullish(), after: cursorArg.nullish(), last: pageSize.nullish(), before: cursorArg.nullish() })
  .refine((a) => a.first == null || a.last == null, { message: 'give first or last, not both', path: ['last'] })
  .transform((a): PageRequest => {
    const page: PageRequest = {};
    if (a.last != null) page.last = a.last;
    else page.first = a.first ?? DEFAULT_PAGE_SIZE;
    if (a.after != null) page.after = a.after;
    if (a.before != null) page.before = a.before;
    return page;
  });

/** One key of a list's order; `type` is how its value travels in a cursor and is checked coming back. */
export interface SortKey {
  field: string;
  direction: 1 | -1;
  type: 'date' | 'number' | 'string';
}

/** The tie-breaker every sort ends with: it makes each document's position unique. */
export const idKey = (direction: 1 | -1): SortKey => ({ field: '_id', direction, type: 'string' });

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
  /**
   * countDocuments of the list's filter (every page, not this one). A function, so GraphQL's
   * default resolver runs it only when a query selects totalCount: paging without it costs one query.
   */
  totalCount: () => Promise<number>;
}

type Position = Array<Date | number | string>;

/** Ties a cursor to the sort it was made for: a cursor from another sort or list is refused, not misread. */
function sortTag(sort: readonly SortKey[]): string {
  return createHash('sha256')
    .update(sort.map((k) => `${k.field}:${k.direction}:${k.type}`).join(','))
    .digest('base64url')
    .slice(0, 8);
}

export function encodeCursor(sort: readonly SortKey[], doc: Record<string, unknown>): string {
  const values = sort.map((k) => {
    const v = doc[k.field];
    if (v instanceof Date) return v.toISOString();
    if (typeof v === 'number' || typeof v === 'string') return v;
    throw new Error(`pagination: ${k.field} is ${String(v)} on ${String(doc._id)}; sort keys must always be set`);
  });
  return Buffer.from(JSON.stringify([sortTag(sort), ...values])).toString('base64url');
}

function decodeValue(key: SortKey, v: unknown): Date | number | string | undefined {
  if (key.type === 'number') return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || !v) return undefined;
  if (key.type === 'string') return v;
  const date = new Date(v);
  return !Number.isNaN(date.getTime()) && date.toISOString() === v ? date : undefined;
}

/** The position a cursor stands for, checked against the sort it is used with. */
export function decodeCursor(cursor: string, sort: readonly SortKey[], arg: 'after' | 'before'): Position {
  const refuse = () => new BadUserInputError(`${arg}: not a cursor from this list (pass one this list returned, with the same sort)`, [arg]);
  const bytes = Buffer.from(cursor, 'base64url');
  // Node skips characters that are not base64url: a canonical re-encoding shows the text was ours.
  if (bytes.toString('base64url') !== cursor) throw refuse();
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(raw) || raw.length !== sort.length + 1 || raw[0] !== sortTag(sort)) throw refuse();
  const position = sort.map((key, i) => decodeValue(key, raw[i + 1]));
  if (position.some((v) => v === undefined)) throw refuse();
  return position as Position;
}

/** The Mongo sort of a list, or its reverse (reading the `last` items means walking backwards). */
export function mongoSort(sort: readonly SortKey[], reversed: boolean): Record<string, SortOrder> {
  return Object.fromEntries(sort.map((k) => [k.field, reversed ? -k.direction : k.direction])) as Record<string, SortOrder>;
}

/**
 * Everything strictly after (or before) a position in the list's order: key 1 beyond, or equal on
 * key 1 and key 2 beyond, ... The extra inclusive bound on the first key is the same condition
 * said as one range, which lets the query planner walk the sort's index from the position on.
 */
export function keysetFilter(sort: readonly SortKey[], position: Position, side: 'after' | 'before'): Record<string, unknown> {
  const beyond = (k: SortKey) => ((k.direction === 1) === (side === 'after') ? '$gt' : '$lt');
  const [first] = sort;
  if (sort.length === 1) return { [first.field]: { [beyond(first)]: position[0] } };
  const branches = sort.map((key, i) => ({
    ...Object.fromEntries(sort.slice(0, i).map((k, j) => [k.field, position[j]])),
    [key.field]: { [beyond(key)]: position[i] },
  }));
  return { [first.field]: { [`${beyond(first)}e`]: position[0] }, $or: branches };
}

/**
 * One page of `filter` in `sort` order. Reads one document more than the page to learn whether
 * another page follows. hasPreviousPage (paging forwards) and hasNextPage (paging backwards) are
 * true whenever a cursor was passed on that side: the page it came from is there.
 */
export async function paginate<T extends { _id: string }>(model: Model<T>, filter: FilterQuery<T>, sort: readonly SortKey[], page: PageRequest): Promise<Connection<T>> {
  if (sort.at(-1)?.field !== '_id') throw new Error('pagination: a sort must end with _id');
  const bounds = [];
  if (page.after) bounds.push(keysetFilter(sort, decodeCursor(page.after, sort, 'after'), 'after'));
  if (page.before) bounds.push(keysetFilter(sort, decodeCursor(page.before, sort, 'before'), 'before'));
  const where = (bounds.length ? { $and: [filter, ...bounds] } : filter) as FilterQuery<T>;
  const backwards = page.last != null;
  const size = page.last ?? page.first ?? DEFAULT_PAGE_SIZE;

  const docs = await model.find(where).sort(mongoSort(sort, backwards)).limit(size + 1).lean<T[]>();
  const more = docs.length > size;
  const nodes = docs.slice(0, size);
  if (backwards) nodes.reverse();
  return connectionOf(sort, nodes, more, page, () => model.countDocuments(filter).exec());
}

/**
 * One page as a connection: `nodes` in list order, `more` whether the read found one past the page
 * (on the far side: after it forwards, before it backwards). Shared by paginate() and lists read
 * some other way (the catalog's search index), so pageInfo means the same on every list.
 */
export function connectionOf<T>(sort: readonly SortKey[], nodes: T[], more: boolean, page: PageRequest, totalCount: () => Promise<number>): Connection<T> {
  const backwards = page.last != null;
  const edges = nodes.map((node) => ({ cursor: encodeCursor(sort, node as Record<string, unknown>), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: backwards ? page.before != null : more,
      hasPreviousPage: backwards ? more : page.after != null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}
