import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inOrg } from '../src/platform/db/scope.ts';
import { bearer, createOrg, createTestApp, expectProblem, GOOD_PASSWORD, uniqueEmail, type TestApp } from './helpers.ts';
import { expectPaging, keysetOrder } from './paging.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
type Org = Awaited<ReturnType<typeof createOrg>>;

let t: TestApp;
let A: Org;
let B: Org;
/** Org A's records, created by org A's admin. */
const a = {
  users: {} as Record<'alive' | 'inactive' | 'deleted' | 'admin', string>,
  emails: [] as string[],
  customRole: '',
  systemRole: '',
  apiKey: '',
  sessions: [] as string[],
  aliveToken: '',
};

const call = (method: Method, url: string, token: string, payload?: unknown) =>
  t.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload: payload as object }) });
const rowsOf = (r: unknown) => (r as { rows: Record<string, unknown>[] }).rows;

beforeAll(async () => {
  t = await createTestApp();
  A = await createOrg(t);
  B = await createOrg(t);
  const asA = (method: Method, url: string, payload?: unknown) => call(method, url, A.token, payload);

  a.users.admin = A.adminId;
  a.emails.push(A.adminEmail);
  for (const kind of ['alive', 'inactive', 'deleted'] as const) {
    const email = uniqueEmail(`a-${kind}`);
    const res = await asA('POST', '/api/users', { email, name: `A ${kind}`, password: GOOD_PASSWORD, department: 'A-Dept', roles: ['agent'] });
    expect(res.statusCode, res.body).toBe(201);
    a.users[kind] = res.json().id;
    a.emails.push(email);
  }
  const alive = await t.login(a.emails[1]!, GOOD_PASSWORD, A.slug);
  a.aliveToken = alive.accessToken;
  expect((await asA('POST', `/api/users/${a.users.inactive}/deactivate`)).statusCode).toBe(200);
  expect((await asA('DELETE', `/api/users/${a.users.deleted}`)).statusCode).toBe(204);
  expect((await asA('POST', `/api/users/${a.users.alive}/permissions`, { permission: 'audit:read' })).statusCode).toBe(200);

  const role = await asA('POST', '/api/roles', { name: 'a-custom', displayName: 'A custom', permissions: ['users:read'] });
  expect(role.statusCode).toBe(201);
  a.customRole = role.json().id;
  a.systemRole = ((await asA('GET', '/api/roles')).json().data as { id: string; name: string }[]).find((r) => r.name === 'admin')!.id;
  const key = await asA('POST', '/api/api-keys', { name: 'a-key', permissions: ['users:read'] });
  expect(key.statusCode).toBe(201);
  a.apiKey = key.json().id;
  for (const token of [A.token, a.aliveToken]) {
    const s = (await call('GET', '/api/auth/sessions', token)).json().data as { id: string; current: boolean }[];
    a.sessions.push(s.find((x) => x.current)!.id);
  }
});
afterAll(async () => t?.close());

/** Everything org A's admin can see about org A, to compare before and after org B's attempts. */
async function snapshotA() {
  const get = async (url: string) => {
    const res = await call('GET', url, A.token);
    expect(res.statusCode, url).toBe(200);
    return res.json();
  };
  const out: Record<string, unknown> = {};
  for (const id of Object.values(a.users)) {
    out[`user ${id}`] = await get(`/api/users/${id}`);
    out[`roles ${id}`] = await get(`/api/users/${id}/roles`);
    out[`perms ${id}`] = await get(`/api/users/${id}/permissions`);
  }
  out.users = await get('/api/users?deleted=include&limit=200');
  out.roles = await get('/api/roles');
  out.keys = await get('/api/api-keys');
  out.org = await get('/api/organizations/current');
  out.auditHead = (await get('/api/audit-logs?limit=1')).data[0];
  const sessions = await t.database.db.execute(sql`select id, revoked_at from user_sessions where org_id = ${A.orgId} order by id`);
  out.sessions = rowsOf(sessions);
  return out;
}

describe('another org’s ids answer 404 on every identity route', () => {
  const userRoutes = (id: string): [Method, string, unknown?][] => [
    ['GET', `/api/users/${id}`],
    ['PATCH', `/api/users/${id}`, { name: 'Taken over', department: 'B' }],
    ['DELETE', `/api/users/${id}`],
    ['POST', `/api/users/${id}/restore`],
    ['POST', `/api/users/${id}/activate`],
    ['POST', `/api/users/${id}/deactivate`],
    ['GET', `/api/users/${id}/roles`],
    ['PUT', `/api/users/${id}/roles`, { roles: ['admin'] }],
    ['PUT', `/api/users/${id}/roles`, { roles: [] }],
    ['GET', `/api/users/${id}/permissions`],
    ['POST', `/api/users/${id}/permissions`, { permission: 'users:erase' }],
    ['DELETE', `/api/users/${id}/permissions/audit:read`],
    ['GET', `/api/users/${id}/export`],
    ['POST', `/api/users/${id}/erase`],
  ];
  const roleRoutes = (id: string): [Method, string, unknown?][] => [
    ['GET', `/api/roles/${id}`],
    ['PATCH', `/api/roles/${id}`, { displayName: 'Taken over' }],
    ['PATCH', `/api/roles/${id}`, { permissions: ['users:erase'] }],
    ['DELETE', `/api/roles/${id}`],
  ];
  const probes = (): [Method, string, unknown?][] => [
    ...Object.values(a.users).flatMap(userRoutes),
    ...roleRoutes(a.customRole),
    ...roleRoutes(a.systemRole),
    ['DELETE', `/api/api-keys/${a.apiKey}`],
    ...a.sessions.map((s): [Method, string] => ['DELETE', `/api/auth/sessions/${s}`]),
  ];

  it('the ids are real: org A’s admin reads them', async () => {
    for (const id of Object.values(a.users)) expect((await call('GET', `/api/users/${id}`, A.token)).statusCode).toBe(200);
    for (const id of [a.customRole, a.systemRole]) expect((await call('GET', `/api/roles/${id}`, A.token)).statusCode).toBe(200);
    const keys = (await call('GET', '/api/api-keys', A.token)).json().data as { id: string; revokedAt: string | null }[];
    expect(keys.find((k) => k.id === a.apiKey)?.revokedAt).toBeNull();
  });

  it('org B’s admin gets 404 (never 403, never 2xx), and org A is unchanged', async () => {
    const before = await snapshotA();
    const auditB = (await call('GET', '/api/audit-logs?limit=1', B.token)).json().data[0];
    const list = probes();
    expect(list.length).toBeGreaterThan(60);
    for (const [method, url, body] of list) {
      const res = await call(method, url, B.token, body);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
      expectProblem(res, 404, 'not_found');
    }
    expect(await snapshotA()).toEqual(before);
    // Org A's sessions still work.
    expect((await call('GET', '/api/auth/me', A.token)).statusCode).toBe(200);
    expect((await call('GET', '/api/auth/me', a.aliveToken)).statusCode).toBe(200);
    // Nothing was written to org B's audit log either: no security event, since nothing was disclosed.
    expect((await call('GET', '/api/audit-logs?limit=1', B.token)).json().data[0]).toEqual(auditB);
  });

  it('the same holds for an API key of org B with every permission', async () => {
    const key = await call('POST', '/api/api-keys', B.token, { name: 'b-all' });
    expect(key.statusCode).toBe(201);
    const before = await snapshotA();
    for (const [method, url, body] of probes().filter(([, url]) => !url.startsWith('/api/auth/'))) {
      const res = await t.inject({ method, url, headers: { 'x-api-key': key.json().key }, ...(body === undefined ? {} : { payload: body as object }) });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
    }
    expect(await snapshotA()).toEqual(before);
  });

  it('an id that exists nowhere answers the same 404 as another org’s id', async () => {
    const ghost = crypto.randomUUID();
    const theirs = await call('GET', `/api/users/${a.users.alive}`, B.token);
    const nobody = await call('GET', `/api/users/${ghost}`, B.token);
    expect(theirs.statusCode).toBe(404);
    expect(nobody.statusCode).toBe(404);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(theirs.json())).toEqual(strip(nobody.json()));
  });
});

describe('another org’s ids inside a body', () => {
  it('are unknown roles, exactly like ids that exist nowhere, and change nothing', async () => {
    const bUser = await call('POST', '/api/users', B.token, { email: uniqueEmail('b-ref'), name: 'B ref', password: GOOD_PASSWORD, roles: ['viewer'] });
    expect(bUser.statusCode).toBe(201);
    for (const ref of [a.customRole, a.systemRole, crypto.randomUUID()]) {
      expectProblem(await call('PUT', `/api/users/${bUser.json().id}/roles`, B.token, { roles: [ref] }), 400, 'unknown_role');
      const email = uniqueEmail('b-ref');
      expectProblem(await call('POST', '/api/users', B.token, { email, name: 'X', password: GOOD_PASSWORD, roles: [ref] }), 400, 'unknown_role');
      expect((await call('GET', `/api/users?q=${encodeURIComponent(email)}`, B.token)).json().data).toEqual([]);
    }
    expect((await call('GET', `/api/users/${bUser.json().id}/roles`, B.token)).json().data.map((r: { name: string }) => r.name)).toEqual(['viewer']);
    expect((await call('GET', `/api/roles/${a.customRole}`, A.token)).json().userCount).toBe(0);
  });

  it('a filter on another org’s user finds nothing', async () => {
    for (const url of [`/api/audit-logs?userId=${a.users.admin}`, `/api/activity-logs?userId=${a.users.alive}`, `/api/audit-logs?entityId=${A.orgId}`]) {
      const res = await call('GET', url, B.token);
      expect(res.statusCode).toBe(200);
      expect(res.json().data, url).toEqual([]);
      // …while org A finds its own.
      expect((await call('GET', url, A.token)).json().data.length, url).toBeGreaterThan(0);
    }
  });
});

describe('lists never show another org’s rows', () => {
  it('users, roles, API keys, audit and activity logs of org B hold no org-A id or email', async () => {
    // Make sure org B has rows of every kind, so the lists are not trivially empty.
    const bUser = await call('POST', '/api/users', B.token, { email: uniqueEmail('b'), name: 'B user', password: GOOD_PASSWORD, roles: ['viewer'] });
    expect(bUser.statusCode).toBe(201);
    expect((await call('POST', '/api/roles', B.token, { name: 'b-custom', displayName: 'B', permissions: ['users:read'] })).statusCode).toBe(201);
    expect((await call('POST', '/api/api-keys', B.token, { name: 'b-key', permissions: ['users:read'] })).statusCode).toBe(201);

    const secrets = [A.orgId, ...Object.values(a.users), ...a.emails, a.customRole, a.systemRole, a.apiKey, ...a.sessions];
    const lists = [
      '/api/users?deleted=include&limit=200',
      '/api/users?q=a-&limit=200',
      `/api/users?q=${encodeURIComponent(a.emails[1]!)}`,
      '/api/users?department=A-Dept',
      '/api/users?role=a-custom',
      '/api/roles',
      '/api/api-keys',
      '/api/audit-logs?limit=200',
      `/api/audit-logs?userId=${A.adminId}`,
      `/api/audit-logs?entityId=${a.users.alive}`,
      '/api/audit-logs?entityType=user&limit=200',
      '/api/activity-logs?limit=200',
      `/api/activity-logs?userId=${a.users.alive}`,
      '/api/auth/sessions',
      '/api/organizations/current',
    ];
    const nonEmpty = new Set(['/api/users?deleted=include&limit=200', '/api/roles', '/api/api-keys', '/api/audit-logs?limit=200', '/api/activity-logs?limit=200']);
    for (const url of lists) {
      const res = await call('GET', url, B.token);
      expect(res.statusCode, url).toBe(200);
      const text = res.body;
      for (const s of secrets) expect(text.includes(s), `${url} leaks ${s}`).toBe(false);
      if (nonEmpty.has(url)) expect(res.json().data.length, url).toBeGreaterThan(0);
    }
    expect((await call('GET', `/api/users?q=${encodeURIComponent(a.emails[1]!)}`, B.token)).json().data).toEqual([]);
    // The same lists from org A do contain them (so the check above can fail).
    expect((await call('GET', '/api/users?deleted=include&limit=200', A.token)).body).toContain(a.emails[1]!);
    expect((await call('GET', '/api/audit-logs?limit=200', A.token)).body).toContain(a.users.alive);
  });

  it('the organization settings are each org’s own', async () => {
    const aBefore = (await call('GET', '/api/organizations/current', A.token)).json();
    const res = await call('PATCH', '/api/organizations/current', B.token, { name: 'Renamed B', settings: { theme: 'dark' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: B.orgId, name: 'Renamed B' });
    expect((await call('GET', '/api/organizations/current', A.token)).json()).toEqual(aBefore);
  });
});

describe('org-less platform routes', () => {
  it('answer 403 to an org’s admin who is not a platform admin', async () => {
    for (const org of [A, B]) {
      expectProblem(await call('GET', '/api/organizations', org.token), 403, 'forbidden');
      const slug = `sneaky-${crypto.randomBytes(3).toString('hex')}`;
      const res = await call('POST', '/api/organizations', org.token, {
        name: 'Sneaky',
        slug,
        admin: { email: uniqueEmail('sneaky'), name: 'S', password: GOOD_PASSWORD },
      });
      expectProblem(res, 403, 'forbidden');
      const all = (await call('GET', '/api/organizations', t.adminToken)).json().data as { slug: string }[];
      expect(all.map((o) => o.slug)).not.toContain(slug);
    }
    // The platform admin sees every org.
    const all = (await call('GET', '/api/organizations', t.adminToken)).json().data as { id: string }[];
    expect(all.map((o) => o.id)).toEqual(expect.arrayContaining([A.orgId, B.orgId]));
  });

  it('the platform admin pages every org by name; an org’s admin cannot, with or without a cursor', async () => {
    const n = crypto.randomBytes(3).toString('hex');
    const made = [];
    for (const x of ['pagec', 'pagea', 'pageb']) made.push(await createOrg(t, `${x}${n}`));
    const orgs = (q: string) => call('GET', `/api/organizations?${q}`, t.adminToken);
    const all = await expectPaging(orgs, { limit: 2, inOrder: keysetOrder(made.map((o) => ({ id: o.orgId, key: `Org ${o.slug}` }))) });
    expect(all.map((o) => o.id)).toEqual(expect.arrayContaining([A.orgId, B.orgId, ...made.map((o) => o.orgId)]));
    const page = (await orgs('limit=1')).json() as { nextCursor: string };
    expectProblem(await call('GET', `/api/organizations?limit=1&cursor=${page.nextCursor}`, A.token), 403, 'forbidden');
  });
});

describe('row-level security in the database', () => {
  const scoped = <T>(orgId: string, fn: Parameters<typeof inOrg<T>>[2]) => inOrg(t.database.db, orgId, fn);
  /** The database's own words when it refuses a statement. */
  async function refusal(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (e) {
      const err = e as Error & { cause?: Error };
      return `${err.message} ${err.cause?.message ?? ''}`;
    }
    throw new Error('expected the database to refuse the statement');
  }

  const tables = [
    'users',
    'roles',
    'role_permissions',
    'user_roles',
    'user_permissions',
    'user_sessions',
    'refresh_tokens',
    'api_keys',
    'audit_logs',
    'activity_logs',
  ];

  it('a query that forgets the org filter sees only the scoped org’s rows', async () => {
    for (const table of tables) {
      const everything = rowsOf(await t.database.db.execute(sql`select org_id from ${sql.identifier(table)}`));
      // Unscoped (the owner), the table holds org A's rows: the check below is not vacuous.
      expect(everything.some((r) => r.org_id === A.orgId), `${table} has org A rows`).toBe(true);
      const bOnly = everything.filter((r) => r.org_id === B.orgId).length;
      const seen = rowsOf(await scoped(B.orgId, (tx) => tx.execute(sql`select * from ${sql.identifier(table)}`)));
      expect(seen.length, table).toBe(bOnly);
      expect(seen.every((r) => r.org_id === B.orgId), table).toBe(true);
    }
    const users = rowsOf(await scoped(B.orgId, (tx) => tx.execute(sql`select id, email from users`)));
    expect(users.map((u) => u.id)).toContain(B.adminId);
    expect(users.map((u) => u.email)).not.toContain(A.adminEmail);
    const orgs = rowsOf(await scoped(B.orgId, (tx) => tx.execute(sql`select id from organizations`)));
    expect(orgs.map((o) => o.id)).toEqual([B.orgId]);
    // Even asking by id finds nothing.
    expect(rowsOf(await scoped(B.orgId, (tx) => tx.execute(sql`select * from users where id = ${A.adminId}`)))).toEqual([]);
  });

  it('refuses to write a row into another org, and cannot touch its rows', async () => {
    const id = crypto.randomUUID();
    const insertUser = await refusal(
      scoped(B.orgId, (tx) => tx.execute(sql`insert into users (id, org_id, email, name) values (${id}, ${A.orgId}, ${'intruder@example.test'}, ${'Intruder'})`)),
    );
    expect(insertUser).toMatch(/row-level security/i);
    const insertRole = await refusal(
      scoped(B.orgId, (tx) => tx.execute(sql`insert into roles (id, org_id, name, display_name) values (${crypto.randomUUID()}, ${A.orgId}, 'evil', 'Evil')`)),
    );
    expect(insertRole).toMatch(/row-level security/i);
    // Moving an own row into the other org is refused as well.
    const move = await refusal(scoped(B.orgId, (tx) => tx.execute(sql`update users set org_id = ${A.orgId} where id = ${B.adminId}`)));
    expect(move).toMatch(/row-level security/i);

    const updated = rowsOf(await scoped(B.orgId, (tx) => tx.execute(sql`update users set name = 'Pwned' where org_id = ${A.orgId} returning id`)));
    expect(updated).toEqual([]);
    const deleted = rowsOf(await scoped(B.orgId, (tx) => tx.execute(sql`delete from user_roles where org_id = ${A.orgId} returning user_id`)));
    expect(deleted).toEqual([]);

    const check = rowsOf(await t.database.db.execute(sql`select name from users where id = ${a.users.alive} or id = ${id}`));
    expect(check).toEqual([{ name: 'A alive' }]);
    expect((await call('GET', `/api/users/${a.users.alive}/roles`, A.token)).json().data.map((r: { name: string }) => r.name)).toEqual(['agent']);
    // The same insert into its own org is accepted, so the refusal above is about the org.
    await scoped(B.orgId, async (tx) => {
      await tx.execute(sql`insert into users (id, org_id, email, name) values (${id}, ${B.orgId}, ${'scoped@example.test'}, ${'Scoped'})`);
      await tx.execute(sql`delete from users where id = ${id}`);
    });
  });

  it('keeps the app role away from the audit log’s history and the platform secrets', async () => {
    const rewrite = await refusal(scoped(B.orgId, (tx) => tx.execute(sql`update audit_logs set action = 'forged'`)));
    expect(rewrite).toMatch(/permission denied/i);
    const erase = await refusal(scoped(B.orgId, (tx) => tx.execute(sql`delete from audit_logs`)));
    expect(erase).toMatch(/permission denied/i);
    const secrets = await refusal(scoped(B.orgId, (tx) => tx.execute(sql`select * from platform_secrets`)));
    expect(secrets).toMatch(/permission denied/i);
    expect(rowsOf(await t.database.db.execute(sql`select count(*)::int as n from audit_logs where action = 'forged'`))[0]!.n).toBe(0);
  });
});
