import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePartitions } from '../src/modules/telemetry/retention.ts';
import { inOrg } from '../src/platform/db/scope.ts';
import { bearer, createOrg, createTestApp, freshDatabase, type TestApp } from './helpers.ts';

type Org = Awaited<ReturnType<typeof createOrg>>;

let t: TestApp;
let A: Org;
let B: Org;
const rowsOf = <T = Record<string, unknown>>(r: unknown) => (r as { rows: T[] }).rows;
const scoped = <T>(orgId: string, fn: Parameters<typeof inOrg<T>>[2]) => inOrg(t.database.db, orgId, fn);
/** A month far ahead, created at run time by the server's own partition maintenance (an injected clock). */
const AHEAD = new Date(Date.UTC(2031, 4, 15));
const AHEAD_PARTITION = 'telemetry_points_203105';

/** Tables the app role reads that are not per org, each with the policy that stands in for the org one. */
const GLOBAL_TABLES: Record<string, string> = {
  // The permission catalogue: the same for every org, read-only to the app role.
  permissions: 'catalogue_read',
};

async function sendPoints(org: Org, timestamps: number[]) {
  const op = await t.inject({ method: 'POST', url: '/api/operations', headers: bearer(org.token), payload: { name: 'Partitioned site' } });
  expect(op.statusCode, op.body).toBe(201);
  const points = timestamps.map((ts, i) => ({ operationId: op.json().id, metricName: 'rls_probe', value: i, timestamp: new Date(ts).toISOString() }));
  const res = await t.inject({ method: 'POST', url: '/api/telemetry/batch', headers: bearer(org.token), payload: points });
  expect(res.statusCode, res.body).toBe(201);
  return op.json().id as string;
}

beforeAll(async () => {
  t = await createTestApp();
  A = await createOrg(t);
  B = await createOrg(t);
  // Org A's points land in this month's partition and (from 2001) in the default one; org B has points of its own.
  await sendPoints(A, [Date.now() - 60_000, Date.UTC(2001, 0, 1)]);
  await sendPoints(B, [Date.now() - 30_000]);
  await ensurePartitions(t.database.db, AHEAD);
  // No API point can be that far ahead, so the owner writes one of org A's there directly.
  const series = rowsOf<{ id: number }>(await t.database.db.execute(sql`select id from telemetry_series where org_id = ${A.orgId} limit 1`))[0]!.id;
  await t.database.db.execute(sql`insert into telemetry_points (series_id, org_id, ts, value) values (${series}, ${A.orgId}, ${new Date(Date.UTC(2031, 4, 20))}, 1)`);
});
afterAll(async () => t?.close());

interface Relation {
  name: string;
  kind: 'r' | 'p';
  partition: boolean;
  rls: boolean;
  force: boolean;
  policies: { name: string; cmd: string; roles: string[]; qual: string | null; check: string | null }[];
}

/** Every table and partition of the app's schemas that the app role may SELECT, as the app role sees the catalogue. */
async function readableRelations(): Promise<Relation[]> {
  return scoped(B.orgId, async (tx) => {
    const me = rowsOf<{ me: string }>(await tx.execute(sql`select current_user as me`))[0]!.me;
    expect(me).toBe('imsop_app');
    const rows = rowsOf<{ name: string; kind: 'r' | 'p'; partition: boolean; rls: boolean; force: boolean; policies: Relation['policies'] | null }>(
      await tx.execute(sql`
        select c.relname as name, c.relkind::text as kind, c.relispartition as partition, c.relrowsecurity as rls, c.relforcerowsecurity as force,
          (select json_agg(json_build_object(
             'name', p.polname,
             'cmd', p.polcmd::text,
             'roles', (select coalesce(json_agg(case when r = 0 then 'public' else pg_get_userbyid(r)::text end), '[]'::json) from unnest(p.polroles) r),
             'qual', pg_get_expr(p.polqual, p.polrelid),
             'check', pg_get_expr(p.polwithcheck, p.polrelid)))
           from pg_policy p where p.polrelid = c.oid) as policies
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p')
          and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
          and has_schema_privilege(n.oid, 'USAGE')
          and has_table_privilege(c.oid, 'SELECT')
        order by c.relname`),
    );
    return rows.map((r) => ({ ...r, policies: r.policies ?? [] }));
  });
}

describe('row-level security covers every table the app role can read', () => {
  it('each table and partition has row-level security on and the org policy (or is a named global catalogue)', async () => {
    const relations = await readableRelations();
    const names = relations.map((r) => r.name);
    // Not vacuous: ordinary tables, the partitioned parent, the default partition, this month's and one made at run time.
    const thisMonth = `telemetry_points_${new Date().getUTCFullYear()}${String(new Date().getUTCMonth() + 1).padStart(2, '0')}`;
    expect(names).toEqual(expect.arrayContaining(['users', 'operations', 'telemetry_points', 'telemetry_points_default', thisMonth, AHEAD_PARTITION]));
    expect(relations.filter((r) => r.partition).length).toBeGreaterThanOrEqual(4);
    expect(relations.find((r) => r.name === 'telemetry_points')?.kind).toBe('p');

    const problems: string[] = [];
    for (const r of relations) {
      if (!r.rls) problems.push(`${r.name}: row-level security is off`);
      const global = GLOBAL_TABLES[r.name];
      if (global) {
        if (!r.policies.some((p) => p.name === global)) problems.push(`${r.name}: no ${global} policy`);
        continue;
      }
      const org = r.policies.find((p) => p.name === 'org_isolation');
      if (!org) {
        problems.push(`${r.name}: no org_isolation policy`);
        continue;
      }
      const orgScoped = (e: string | null) => !!e && /= \(?NULLIF\(current_setting\('app\.org_id'::text, true\), ''::text\)\)?::uuid/.test(e);
      if (org.cmd !== '*') problems.push(`${r.name}: org_isolation covers only ${org.cmd}`);
      if (!org.roles.some((x) => x === 'imsop_app' || x === 'public')) problems.push(`${r.name}: org_isolation does not apply to imsop_app (${org.roles.join(', ')})`);
      if (!orgScoped(org.qual)) problems.push(`${r.name}: org_isolation USING is ${org.qual}`);
      if (!orgScoped(org.check)) problems.push(`${r.name}: org_isolation WITH CHECK is ${org.check}`);
      // Another permissive policy would widen what the org policy allows.
      const others = r.policies.filter((p) => p.name !== 'org_isolation');
      if (others.length) problems.push(`${r.name}: other policies ${others.map((p) => p.name).join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('the global catalogue is read-only to the app role', async () => {
    const rows = rowsOf<{ w: boolean }>(
      await scoped(B.orgId, (tx) =>
        tx.execute(sql`select ${sql.join(
          Object.keys(GLOBAL_TABLES).map((n) => sql`(has_table_privilege(${n}::regclass, 'INSERT') or has_table_privilege(${n}::regclass, 'UPDATE') or has_table_privilege(${n}::regclass, 'DELETE'))`),
          sql` or `,
        )} as w`),
      ),
    );
    expect(rows[0]!.w).toBe(false);
  });
});

describe('telemetry partitions keep each org to its own points', () => {
  const partitions = async () =>
    rowsOf<{ name: string }>(
      await t.database.db.execute(sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'telemetry_points'::regclass order by 1`),
    ).map((r) => r.name);
  const orgsIn = async (table: string, orgId?: string) => {
    const q = sql`select org_id from ${sql.identifier(table)}`;
    const r = orgId ? await scoped(orgId, (tx) => tx.execute(q)) : await t.database.db.execute(q);
    return rowsOf<{ org_id: string }>(r).map((x) => x.org_id);
  };

  it('selecting from a partition directly as org B returns none of org A’s points', async () => {
    const names = await partitions();
    expect(names).toEqual(expect.arrayContaining(['telemetry_points_default', AHEAD_PARTITION]));
    let withA = 0;
    for (const name of names) {
      const all = await orgsIn(name);
      if (all.includes(A.orgId)) withA++;
      const asB = await orgsIn(name, B.orgId);
      expect(asB.filter((o) => o !== B.orgId), name).toEqual([]);
      expect(asB.length, name).toBe(all.filter((o) => o === B.orgId).length);
      // Org A still sees its own points there: the policy filters, it does not hide everything.
      expect((await orgsIn(name, A.orgId)).length, name).toBe(all.filter((o) => o === A.orgId).length);
    }
    // Org A's points sit in this month's partition, the default one and the one made at run time.
    expect(withA).toBeGreaterThanOrEqual(3);
    // Through the parent, as before.
    expect(new Set(await orgsIn('telemetry_points', B.orgId))).toEqual(new Set([B.orgId]));
  });

  it('a partition refuses org B’s writes of org A’s rows', async () => {
    const series = rowsOf<{ id: number }>(await t.database.db.execute(sql`select id from telemetry_series where org_id = ${A.orgId} limit 1`))[0]!.id;
    for (const name of ['telemetry_points_default', AHEAD_PARTITION]) {
      const ts = name === AHEAD_PARTITION ? new Date(Date.UTC(2031, 4, 21)) : new Date(Date.UTC(2002, 0, 1));
      const insert = scoped(B.orgId, (tx) => tx.execute(sql`insert into ${sql.identifier(name)} (series_id, org_id, ts, value) values (${series}, ${A.orgId}, ${ts}, 666)`));
      await expect(insert, name).rejects.toThrow();
      const wiped = await scoped(B.orgId, (tx) => tx.execute(sql`delete from ${sql.identifier(name)} where org_id = ${A.orgId} returning org_id`));
      expect(rowsOf(wiped), name).toEqual([]);
    }
    const forged = rowsOf<{ n: number }>(await t.database.db.execute(sql`select count(*)::int as n from telemetry_points where value = 666`))[0]!.n;
    expect(forged).toBe(0);
    expect(await orgsIn(AHEAD_PARTITION)).toContain(A.orgId);
  });

  it('partitions made again at run time stay secured (maintenance is idempotent)', async () => {
    await ensurePartitions(t.database.db, AHEAD);
    await ensurePartitions(t.database.db, new Date(Date.UTC(2031, 5, 2)));
    const rows = rowsOf<{ name: string; rls: boolean; policies: number }>(
      await t.database.db.execute(sql`
        select c.relname as name, c.relrowsecurity as rls, (select count(*)::int from pg_policy p where p.polrelid = c.oid and p.polname = 'org_isolation') as policies
        from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'telemetry_points'::regclass order by 1`),
    );
    expect(rows.map((r) => r.name)).toContain('telemetry_points_203108');
    for (const r of rows) expect(r, r.name).toMatchObject({ rls: true, policies: 1 });
  });

  it('the migrations alone secure the partition they create (before the server’s maintenance ever runs)', async () => {
    const fresh = await freshDatabase();
    try {
      await fresh.database.migrate();
      const rows = rowsOf<{ name: string; rls: boolean; policies: number }>(
        await fresh.database.db.execute(sql`
          select c.relname as name, c.relrowsecurity as rls, (select count(*)::int from pg_policy p where p.polrelid = c.oid and p.polname = 'org_isolation') as policies
          from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'telemetry_points'::regclass`),
      );
      expect(rows).toEqual([{ name: 'telemetry_points_default', rls: true, policies: 1 }]);
    } finally {
      await fresh.drop();
    }
  });

  it('a partition made without them (as before the fix, or by hand) is secured by the migration’s function and the next maintenance pass', async () => {
    const bare = async (name: string, from: string, to: string) => {
      await t.database.db.execute(sql.raw(`create table ${name} partition of telemetry_points for values from ('${from}') to ('${to}')`));
      const series = rowsOf<{ id: number }>(await t.database.db.execute(sql`select id from telemetry_series where org_id = ${A.orgId} limit 1`))[0]!.id;
      await t.database.db.execute(sql`insert into telemetry_points (series_id, org_id, ts, value) values (${series}, ${A.orgId}, ${new Date(from)}, 1)`);
      // Bare, org B reads org A's point: this is what the old partitions looked like.
      expect(await orgsIn(name, B.orgId)).toEqual([A.orgId]);
    };
    await bare('telemetry_points_legacy_a', '2035-01-01T00:00:00Z', '2035-02-01T00:00:00Z');
    await t.database.db.execute(sql`select imsop_secure_partitions()`);
    expect(await orgsIn('telemetry_points_legacy_a', B.orgId)).toEqual([]);
    expect(await orgsIn('telemetry_points_legacy_a', A.orgId)).toEqual([A.orgId]);

    await bare('telemetry_points_legacy_b', '2036-01-01T00:00:00Z', '2036-02-01T00:00:00Z');
    await ensurePartitions(t.database.db, AHEAD);
    expect(await orgsIn('telemetry_points_legacy_b', B.orgId)).toEqual([]);
  });
});
