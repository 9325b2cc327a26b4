import type { SQL } from 'drizzle-orm';
import { PgDialect, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.ts';
import { decodeCursor, encodeCursor, keyset, pageOf, parseSort } from './pagination.ts';

describe('cursors', () => {
  it('round-trip values and ids', () => {
    for (const v of ['2026-01-01T00:00:00.000Z', 42, null, 'Zoë']) {
      expect(decodeCursor(encodeCursor(v, 'abc'))).toEqual({ value: v, id: 'abc' });
    }
    expect(decodeCursor(undefined)).toBeNull();
  });
  it('reject tampered or foreign cursors with a 400', () => {
    for (const bad of ['%%%', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,2,3]').toString('base64url'), Buffer.from('[{},"x"]').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(AppError);
    }
  });
});

describe('parseSort', () => {
  it('reads the first field and its direction', () => {
    expect(parseSort('name,-createdAt', ['name', 'createdAt'] as const, 'createdAt')).toEqual({ field: 'name', desc: false });
    expect(parseSort('-name', ['name'] as const, 'name')).toEqual({ field: 'name', desc: true });
    expect(parseSort(undefined, ['name'] as const, 'name')).toEqual({ field: 'name', desc: true });
    expect(() => parseSort('password', ['name'] as const, 'name')).toThrow(/Cannot sort by "password"/);
  });
});

describe('pageOf', () => {
  it('returns a cursor only when there is more', () => {
    expect(pageOf([1, 2, 3], 2, String)).toEqual({ data: [1, 2], nextCursor: '2' });
    expect(pageOf([1, 2], 2, String)).toEqual({ data: [1, 2], nextCursor: null });
  });
});

describe('keyset', () => {
  const t = pgTable('t', { id: uuid('id').primaryKey(), name: text('name').notNull(), at: timestamp('at', { withTimezone: true }).notNull() });
  type Row = typeof t.$inferSelect;
  const render = (s: SQL) => {
    const { sql, params } = new PgDialect().sqlToQuery(s);
    return { sql, params };
  };
  const id = '0195f3a0-0000-7000-8000-000000000001';

  it('has no condition on the first page; after a cursor, rows past (value, id) in the direction of the order', () => {
    const first = keyset({ limit: 2 }, { column: t.name, id: t.id, value: 'string', of: (r: Row) => r.name });
    expect(first.after).toBeUndefined();
    expect(first.limit).toBe(3);
    const next = keyset({ limit: 2, cursor: encodeCursor('b', id) }, { column: t.name, id: t.id, value: 'string', of: (r: Row) => r.name });
    expect(render(next.after!)).toEqual({ sql: '("t"."name", "t"."id") > ($1, $2::uuid)', params: ['b', id] });
    const newest = keyset({ limit: 2, cursor: encodeCursor('2026-01-01T00:00:00.000Z', id) }, { column: t.at, id: t.id, value: 'timestamp', desc: true, of: (r: Row) => r.at });
    expect(render(newest.after!)).toEqual({ sql: '("t"."at", "t"."id") < ($1::timestamptz, $2::uuid)', params: ['2026-01-01T00:00:00.000Z', id] });
    expect(newest.orderBy.map((o) => render(o).sql)).toEqual(['"t"."at" desc', '"t"."id" desc']);
  });

  it('pages one row more than asked: the cursor is the last row shown (dates as ISO), none on the last page', () => {
    const rows: Row[] = [1, 2, 3].map((n) => ({ id: `${id.slice(0, -1)}${n}`, name: 'x', at: new Date(Date.UTC(2026, 0, n)) }));
    const page = keyset({ limit: 2 }, { column: t.at, id: t.id, value: 'timestamp', of: (r: Row) => r.at });
    const p = page.page(rows);
    expect(p.data).toEqual(rows.slice(0, 2));
    expect(decodeCursor(p.nextCursor!, { value: 'timestamp' })).toEqual({ value: '2026-01-02T00:00:00.000Z', id: rows[1]!.id });
    expect(page.page(rows.slice(0, 2)).nextCursor).toBeNull();
  });

  it('answers 400 to a cursor of another shape (a name where a date goes, an id that is no UUID)', () => {
    const order = { column: t.at, id: t.id, value: 'timestamp' as const, of: (r: Row) => r.at };
    expect(() => keyset({ limit: 2, cursor: encodeCursor('b', id) }, order)).toThrow(AppError);
    expect(() => keyset({ limit: 2, cursor: encodeCursor('2026-01-01T00:00:00.000Z', 'x') }, order)).toThrow(AppError);
  });
});
