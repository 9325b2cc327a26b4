import crypto from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { encodeCursor } from '../src/platform/db/pagination.ts';
import { expectProblem } from './helpers.ts';

type Row = { id: string };
type Page = { data: Row[]; nextCursor: string | null };
/** One request of a list route, with `query` appended to its own query string (`limit=…&cursor=…`). */
export type ListCall = (query: string) => Promise<LightMyRequestResponse>;

/** Cursors a client may forge: not base64 JSON, a null sort value (no list sorts by a nullable column), an id that is no UUID. */
const FORGED = ['%%%', encodeCursor(null, crypto.randomUUID()), encodeCursor('x', 'not-a-uuid'), Buffer.from('[{},"x"]').toString('base64url')];

async function pageOf(list: ListCall, query: string): Promise<Page> {
  const res = await list(query);
  expect(res.statusCode, res.body).toBe(200);
  const page = res.json() as Page;
  expect(Object.keys(page).sort()).toEqual(['data', 'nextCursor']);
  expect(Array.isArray(page.data) && (page.nextCursor === null || typeof page.nextCursor === 'string')).toBe(true);
  return page;
}

/**
 * The paging contract of a list route: pages of `limit` rows put end to end are the whole list (the
 * one 200-row page), each row once and in the same order, over at least two pages; a forged cursor
 * and a limit over 200 answer 400. `inOrder` (ids of rows the test made, in the order the list must
 * give them) is checked against the whole list. Returns the whole list.
 */
export async function expectPaging<T extends Row>(list: ListCall, opts: { limit: number; inOrder?: string[] }): Promise<T[]> {
  const whole = await pageOf(list, 'limit=200');
  expect(whole.nextCursor, 'the whole list fits one page of 200').toBeNull();
  const pages: Row[][] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await pageOf(list, `limit=${opts.limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    pages.push(page.data);
    if (page.nextCursor) expect(page.data).toHaveLength(opts.limit);
    cursor = page.nextCursor;
    expect(pages.length).toBeLessThanOrEqual(whole.data.length + 1);
  } while (cursor);
  expect(pages.length, 'the walk takes two pages or more').toBeGreaterThanOrEqual(2);
  const walked = pages.flat().map((r) => r.id);
  expect(new Set(walked).size, 'no row twice').toBe(walked.length);
  expect(walked).toEqual(whole.data.map((r) => r.id));
  if (opts.inOrder) {
    const mine = new Set(opts.inOrder);
    expect(walked.filter((id) => mine.has(id))).toEqual(opts.inOrder);
  }
  for (const forged of FORGED) expectProblem(await list(`cursor=${encodeURIComponent(forged)}`), 400);
  expectProblem(await list('limit=201'), 400);
  expectProblem(await list('limit=0'), 400);
  return whole.data as T[];
}

/** Every row of a list, walked a page of 200 at a time. */
export async function allRows<T extends Row>(list: ListCall): Promise<T[]> {
  const out: Row[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await pageOf(list, `limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return out as T[];
}

/** A list route's URL with `query` appended (after its own query string, if any). */
export const withQuery = (url: string, query: string) => `${url}${url.includes('?') ? '&' : '?'}${query}`;

/** Ids sorted as a keyset on (value, id) sorts them: `values` are plain lowercase ASCII, so every collation agrees. */
export function keysetOrder(rows: { id: string; key: string | number }[], desc = false): string[] {
  const sorted = [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return (desc ? sorted.reverse() : sorted).map((r) => r.id);
}
