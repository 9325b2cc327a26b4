import { asc, desc, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { badRequest } from '../errors/app-error.ts';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
  cursor: z.string().max(512).optional(),
};
/** The query string of a list with no filters: `?limit=&cursor=`. */
export const pageQuerystring = z.strictObject(pageQuery);

/** A list request: the page size and the cursor of the previous page. */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Keyset cursor: the last row's sort value and id, opaque to clients. */
export function encodeCursor(value: string | number | null, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

export type CursorValue = 'string' | 'number' | 'timestamp';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Exactly what `Date#toISOString` writes (so no 31 February, and no year 0, which PostgreSQL refuses). */
const isInstant = (v: string) => {
  const ms = Date.parse(v);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === v && /^(?!0000)\d{4}-/.test(v);
};

function fits(value: string | number | null, shape: { value: CursorValue; nullable?: boolean }): boolean {
  if (value === null) return shape.nullable === true;
  if (shape.value === 'number') return Number.isSafeInteger(value);
  if (typeof value !== 'string') return false;
  return shape.value === 'string' ? !value.includes('\u0000') : isInstant(value);
}

/**
 * `shape` says what the caller's keyset holds (the sort value's kind, and a UUID id), so a forged
 * cursor answers 400 here rather than failing in the database.
 */
export function decodeCursor(
  cursor: string | undefined,
  shape?: { value: CursorValue; nullable?: boolean },
): { value: string | number | null; id: string } | null {
  if (!cursor) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      (typeof parsed[0] === 'string' || typeof parsed[0] === 'number' || parsed[0] === null) &&
      typeof parsed[1] === 'string' &&
      parsed[1].length <= 64 &&
      (!shape || (UUID.test(parsed[1]) && fits(parsed[0], shape)))
    ) {
      return { value: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw badRequest('invalid_cursor', 'The cursor is not valid; use the nextCursor of a previous page.', {
    errors: [{ path: 'cursor', message: 'Invalid cursor.' }],
  });
}

/** `?sort=name,-createdAt` → the first allowed field and its direction (keyset pagination sorts by one field plus id). */
export function parseSort<F extends string>(sort: string | undefined, allowed: readonly F[], fallback: F) {
  if (!sort) return { field: fallback, desc: true };
  const first = sort.split(',')[0]!.trim();
  const desc = first.startsWith('-');
  const field = (desc ? first.slice(1) : first) as F;
  if (!allowed.includes(field)) {
    throw badRequest('invalid_sort', `Cannot sort by "${field}"; use one of: ${allowed.join(', ')}.`, {
      errors: [{ path: 'sort', message: `Allowed: ${allowed.join(', ')}` }],
    });
  }
  return { field, desc };
}

export function pageOf<T>(rows: T[], limit: number, cursorOf: (row: T) => string): Page<T> {
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  return { data, nextCursor: more && data.length ? cursorOf(data[data.length - 1]!) : null };
}

/** A list's fixed keyset order: one NOT NULL column, then the id, both in one direction. */
export interface KeysetOrder<T> {
  column: AnyPgColumn | SQL;
  id: AnyPgColumn;
  /** What the column holds (a forged cursor answers 400). */
  value: CursorValue;
  desc?: boolean;
  /** The row's sort value, as the column holds it. */
  of: (row: T) => string | number | Date;
}

/**
 * Keyset pagination of a list with a fixed order: `after` (the rows past the cursor: add it to the
 * query's conditions), `orderBy`, `limit` (one more than the page, to know if there is more) and
 * `page(rows)`. An index on (its filter columns…, column, id) serves the whole query.
 */
export function keyset<T extends { id: string }>(q: PageRequest, order: KeysetOrder<T>) {
  const cursor = decodeCursor(q.cursor, { value: order.value });
  const cmp = order.desc ? sql`<` : sql`>`;
  const value = cursor && (order.value === 'timestamp' ? sql`${cursor.value}::timestamptz` : sql`${cursor.value}`);
  return {
    after: cursor ? sql`(${order.column}, ${order.id}) ${cmp} (${value}, ${cursor.id}::uuid)` : undefined,
    orderBy: order.desc ? [desc(order.column), desc(order.id)] : [asc(order.column), asc(order.id)],
    limit: q.limit + 1,
    page<R extends T>(rows: R[]): Page<R> {
      return pageOf(rows, q.limit, (r) => {
        const v = order.of(r);
        return encodeCursor(v instanceof Date ? v.toISOString() : v, r.id);
      });
    },
  };
}

/** A page's rows in another shape. */
export const mapPage = <T, U>(p: Page<T>, f: (row: T) => U): Page<U> => ({ data: p.data.map(f), nextCursor: p.nextCursor });
