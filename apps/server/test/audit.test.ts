import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerify } from '../src/main.ts';
import { inOrg } from '../src/platform/db/scope.ts';
import { bearer, createTestApp, createUser, type TestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const auditRows = async (query = '') =>
  (await t.inject({ method: 'GET', url: `/api/audit-logs?limit=200${query}`, headers: bearer(t.adminToken) })).json().data as {
    id: string;
    seq: number;
    action: string;
    actorId: string | null;
    entityId: string | null;
    changes: { before?: Record<string, unknown>; after?: Record<string, unknown> };
    requestId: string | null;
    ip: string | null;
  }[];

describe('audit log', () => {
  it('records every mutation with actor, entity, request id and a before/after diff, without secrets', async () => {
    const u = await createUser(t, { department: 'ops' });
    const patch = await t.inject({
      method: 'PATCH',
      url: `/api/users/${u.id}`,
      headers: { ...bearer(t.adminToken), 'x-request-id': 'ignored' },
      payload: { department: 'sales' },
    });
    expect(patch.statusCode).toBe(200);
    const rows = await auditRows(`&entityId=${u.id}`);
    const update = rows.find((r) => r.action === 'user.update')!;
    expect(update.changes).toEqual({ before: { department: 'ops' }, after: { department: 'sales' } });
    expect(update.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(update.ip).toBe('127.0.0.1');
    const created = rows.find((r) => r.action === 'user.create')!;
    expect(created.changes.after).toMatchObject({ department: 'ops', roles: ['viewer'], email: '***' });
    expect(JSON.stringify(rows)).not.toMatch(/argon2|Sturdy-Password/);
  });

  it('filters by action prefix, user and time, newest first with cursor pagination', async () => {
    const all = await auditRows();
    expect(all.length).toBeGreaterThan(3);
    expect(all.map((r) => r.seq)).toEqual([...all.map((r) => r.seq)].sort((a, b) => b - a));
    const users = await auditRows('&action=user.*');
    expect(users.every((r) => r.action.startsWith('user.'))).toBe(true);
    const page1 = (await t.inject({ method: 'GET', url: '/api/audit-logs?limit=2', headers: bearer(t.adminToken) })).json();
    const page2 = (await t.inject({ method: 'GET', url: `/api/audit-logs?limit=2&cursor=${page1.nextCursor}`, headers: bearer(t.adminToken) })).json();
    expect(page2.data[0].seq).toBe(page1.data[1].seq - 1);
    const future = await auditRows(`&from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future).toHaveLength(0);
  });

  it('is append-only for the app role', async () => {
    const orgId = (await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(t.adminToken) })).json().orgId;
    const denied = (e: unknown) => /permission denied/.test(String((e as { cause?: Error }).cause?.message ?? e));
    await expect(inOrg(t.database.db, orgId, (tx) => tx.execute(sql`update audit_logs set action = 'x'`))).rejects.toSatisfy(denied);
    await expect(inOrg(t.database.db, orgId, (tx) => tx.execute(sql`delete from audit_logs`))).rejects.toSatisfy(denied);
    // The one column-level exception: erasure may clear ip and user agent, which sit outside the hash.
    await expect(inOrg(t.database.db, orgId, (tx) => tx.execute(sql`update audit_logs set ip = null where false`))).resolves.toBeDefined();
  });

  it('verifies the chain, and detects an altered record and a removed one', async () => {
    const ok = await auditVerify(t.database);
    expect(ok.ok).toBe(true);
    expect(ok.records).toBeGreaterThan(3);

    const rows = await auditRows();
    const victim = rows[Math.floor(rows.length / 2)]!;
    // Tampering as the database owner (what an attacker with DB access would do).
    await t.database.db.execute(sql`update audit_logs set action = 'user.nothing_to_see' where id = ${victim.id}`);
    const broken = await auditVerify(t.database);
    expect(broken).toMatchObject({ ok: false, seq: victim.seq, id: victim.id });
    if (!broken.ok) expect(broken.reason).toMatch(/altered/);
    await t.database.db.execute(sql`update audit_logs set action = ${victim.action} where id = ${victim.id}`);
    expect((await auditVerify(t.database)).ok).toBe(true);

    await t.database.db.execute(sql`delete from audit_logs where id = ${victim.id}`);
    const gap = await auditVerify(t.database);
    expect(gap).toMatchObject({ ok: false, seq: victim.seq + 1 });
  });
});
