import type { InfiniteData } from '@tanstack/react-query';

/** A page of a list: every list route of the API answers `{ data, nextCursor }` (cursor pagination). */
export interface ListPage<T> {
  data: T[];
  nextCursor: string | null;
}

/** The largest page the API serves. */
export const PAGE_MAX = 200;

/**
 * Every row of a list, a page of 200 at a time: for dropdowns, forms and maps that need the whole
 * set (teams, roles, calendars…). `fetchPage` sends the query it is given (the limit, then the cursor
 * of the page before); past `max` rows it stops, and says the set was `truncated`.
 */
export async function fetchAll<T>(fetchPage: (query: { limit: number; cursor?: string }) => Promise<ListPage<T>>, max = 10_000): Promise<{ data: T[]; truncated: boolean }> {
  const data: T[] = [];
  let cursor: string | null = null;
  do {
    const page: ListPage<T> = await fetchPage({ limit: PAGE_MAX, ...(cursor ? { cursor } : {}) });
    data.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor && data.length < max);
  return { data, truncated: cursor !== null };
}

/** What every "Load more" list's useInfiniteQuery shares: the first page has no cursor, the next one the last page's. */
export const nextPages = {
  initialPageParam: null as string | null,
  getNextPageParam: (last: ListPage<unknown>) => last.nextCursor,
};

/** The query of one page of a "Load more" list: `limit`, and the cursor from the second page on. */
export const pageRequest = (pageParam: string | null, limit = 50) => ({ limit, ...(pageParam ? { cursor: pageParam } : {}) });

/** The rows of every page loaded so far, in order. */
export const rowsOf = <T>(data: InfiniteData<ListPage<T>> | undefined): T[] => data?.pages.flatMap((p) => p.data) ?? [];

/** A list in the query cache: one page (`{ data }`), or the pages of a "Load more" list. */
export type CachedList<T> = { data: T[] } | InfiniteData<ListPage<T>>;

/** A cached list with some rows replaced, whether it holds one page (`{ data }`) or the pages of a "Load more" list. */
export function replaceRows<T extends { id: string }, C extends CachedList<T>>(old: C | undefined, rows: T[]): C | undefined {
  if (!old) return old;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const swap = (list: T[]) => list.map((r) => byId.get(r.id) ?? r);
  if ('pages' in old) return { ...old, pages: old.pages.map((p) => ({ ...p, data: swap(p.data) })) };
  return Array.isArray(old.data) ? { ...old, data: swap(old.data) } : old;
}
