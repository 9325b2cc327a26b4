import { describe, expect, it } from 'vitest';
import { fetchAll, nextPages, pageRequest, replaceRows, rowsOf, type ListPage } from './pages';

/** A list of `n` rows served `limit` at a time, the cursor being the index of the next row. */
function server(n: number) {
  const rows = Array.from({ length: n }, (_, i) => ({ id: `r${i}` }));
  const asked: { limit: number; cursor?: string }[] = [];
  const fetchPage = async (q: { limit: number; cursor?: string }): Promise<ListPage<{ id: string }>> => {
    asked.push(q);
    const from = q.cursor ? Number(q.cursor) : 0;
    const to = from + q.limit;
    return { data: rows.slice(from, to), nextCursor: to < n ? String(to) : null };
  };
  return { rows, asked, fetchPage };
}

describe('fetchAll', () => {
  it('follows the cursors 200 at a time until the last page, every row once and in order', async () => {
    const s = server(450);
    const all = await fetchAll(s.fetchPage);
    expect(all.truncated).toBe(false);
    expect(all.data).toEqual(s.rows);
    expect(s.asked).toEqual([{ limit: 200 }, { limit: 200, cursor: '200' }, { limit: 200, cursor: '400' }]);
  });

  it('asks once for a list that fits a page, and an empty list is empty', async () => {
    const s = server(3);
    expect((await fetchAll(s.fetchPage)).data).toHaveLength(3);
    expect(s.asked).toHaveLength(1);
    expect(await fetchAll(server(0).fetchPage)).toEqual({ data: [], truncated: false });
  });

  it('stops past `max` rows and says the set is truncated', async () => {
    const s = server(1000);
    const some = await fetchAll(s.fetchPage, 300);
    expect(some).toMatchObject({ truncated: true });
    expect(some.data).toEqual(s.rows.slice(0, 400));
  });
});

describe('"Load more" lists', () => {
  it('start without a cursor, go on with the last page’s, and end on a null one', () => {
    expect(nextPages.initialPageParam).toBeNull();
    expect(pageRequest(nextPages.initialPageParam)).toEqual({ limit: 50 });
    expect(pageRequest(nextPages.getNextPageParam({ data: [], nextCursor: 'abc' }), 20)).toEqual({ limit: 20, cursor: 'abc' });
    expect(nextPages.getNextPageParam({ data: [], nextCursor: null })).toBeNull();
  });

  it('show the rows of every loaded page in order', () => {
    expect(rowsOf(undefined)).toEqual([]);
    expect(rowsOf({ pages: [{ data: [1, 2], nextCursor: 'x' }, { data: [3], nextCursor: null }], pageParams: [null, 'x'] })).toEqual([1, 2, 3]);
  });

  it('take an updated row in place, in one page or in the pages of an infinite list', () => {
    const a = { id: 'a', v: 1 };
    const b = { id: 'b', v: 1 };
    const b2 = { id: 'b', v: 2 };
    expect(replaceRows({ data: [a, b] }, [b2])).toEqual({ data: [a, b2] });
    expect(replaceRows({ pages: [{ data: [a], nextCursor: 'x' }, { data: [b], nextCursor: null }], pageParams: [null, 'x'] }, [b2])).toEqual({
      pages: [{ data: [a], nextCursor: 'x' }, { data: [b2], nextCursor: null }],
      pageParams: [null, 'x'],
    });
    expect(replaceRows(undefined, [b2])).toBeUndefined();
  });
});
