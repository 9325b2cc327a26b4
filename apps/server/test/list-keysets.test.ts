import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/platform/db/ids.ts';
import { bearer, createOrg, createTestApp, type TestApp } from './helpers.ts';

/**
 * Keyset pages of the activity log and the dead letters (newest first, id as the tie-break): the
 * cursor is one row comparison `(created_at, id) < (…)`, which must give every row once, in order,
 * also when rows share an instant, and never another org's rows.
 */
describe('keyset pages of the activity log and the dead letters', () => {
  let t: TestApp;
  let other: Awaited<ReturnType<typeof createOrg>>;
  let orgId: string;
  /** Nine instants, three rows each (ties), older first. */
  const instants = Array.from({ length: 9 }, (_, i) => new Date(Date.UTC(2026, 0, 1, 12, i)).toISOString());

  beforeAll(async () => {
    t = await createTestApp();
    other = await createOrg(t);
    const me = await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(t.adminToken) });
    orgId = (me.json() as { orgId: string }).orgId;
    // Fixtures written as the owner: the API has no way to write log entries or dead letters at chosen instants.
    for (const org of [orgId, other.orgId]) {
      for (const [i, at] of instants.entries()) {
        for (let k = 0; k < 3; k++) {
          await t.database.db.execute(sql`
            insert into activity_logs (id, org_id, action, details, created_at)
            values (${newId()}, ${org}, 'keyset.test', ${JSON.stringify({ i, k })}::jsonb, ${at}::timestamptz)`);
          await t.database.db.execute(sql`
            insert into event_dead_letters (id, org_id, subscription, event_id, event_type, topic, payload, event_created_at, attempts, last_error, status, dead_at, created_at)
            values (${newId()}, ${org}, 'keyset.test', ${(org === orgId ? 0 : 1000) + i * 3 + k}, 'keyset.test', 'operations', ${JSON.stringify({ i, k })}::jsonb,
                    ${at}::timestamptz, 1, 'failed', 'dead', ${at}::timestamptz, ${at}::timestamptz)`);
        }
      }
    }
  });
  afterAll(async () => t?.close());

  async function walk(url: string, limit: number) {
    const seen: { id: string; createdAt: string }[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const sep = url.includes('?') ? '&' : '?';
      const r = await t.inject({ method: 'GET', url: `${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, headers: bearer(t.adminToken) });
      expect(r.statusCode, r.body).toBe(200);
      const page = r.json() as { data: { id: string; createdAt: string }[]; nextCursor: string | null };
      seen.push(...page.data);
      cursor = page.nextCursor;
      if (!cursor) return seen;
    }
    throw new Error('pagination does not end');
  }

  const newestFirst = (rows: { id: string; createdAt: string }[]) =>
    [...rows].sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1)).map((r) => r.id);

  for (const [name, url] of [
    ['activity log', '/api/activity-logs?action=keyset.test'],
    ['dead letters', '/api/event-subscriptions/dead-letters?subscription=keyset.test'],
  ] as const) {
    it(`walks the ${name} in pages of 1, 2 and 4: every row of the org once, newest first, ties by id`, async () => {
      const all = await walk(url, 200);
      expect(all).toHaveLength(instants.length * 3);
      expect(all.map((r) => r.id)).toEqual(newestFirst(all));
      for (const limit of [1, 2, 4]) {
        const got = (await walk(url, limit)).map((r) => r.id);
        expect(got, `limit ${limit}`).toEqual(all.map((r) => r.id));
      }
    });
  }
});
