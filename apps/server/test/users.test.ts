import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerify } from '../src/main.ts';
import { encodeCursor } from '../src/platform/db/pagination.ts';
import { ADMIN_EMAIL, bearer, createOrg, createTestApp, createUser, expectProblem, GOOD_PASSWORD, uniqueEmail, type TestApp } from './helpers.ts';

let t: TestApp;
let adminId: string;
beforeAll(async () => {
  t = await createTestApp();
  adminId = (await me(t.adminToken)).json().id;
});
afterAll(async () => t?.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
interface UserView {
  id: string;
  email: string;
  name: string;
  department: string | null;
  phone: string | null;
  isActive: boolean;
  lastLogin: string | null;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  metadata: Record<string, unknown>;
  roles: { id: string; name: string }[];
}

const call = (method: Method, url: string, payload?: unknown, token: string = t.adminToken) =>
  t.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload: payload as object }) });
const me = (token: string) => t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
const login = (email: string, password = GOOD_PASSWORD) => t.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
const getUser = async (id: string): Promise<UserView> => {
  const res = await call('GET', `/api/users/${id}`);
  expect(res.statusCode).toBe(200);
  return res.json();
};
const listUsers = async (query: string, token = t.adminToken): Promise<{ data: UserView[]; nextCursor: string | null }> => {
  const res = await call('GET', `/api/users?${query}`, undefined, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};
const tag = () => crypto.randomBytes(4).toString('hex');
const rows = async (query: ReturnType<typeof sql>) =>
  ((await t.database.db.execute(query)) as unknown as { rows: Record<string, unknown>[] }).rows;

/** Creates a user through the API without signing in (so lastLogin stays null). */
async function newUser(fields: Record<string, unknown> = {}): Promise<UserView> {
  const res = await call('POST', '/api/users', { email: uniqueEmail(), name: 'Plain User', password: GOOD_PASSWORD, ...fields });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function auditFor(entityId: string, action?: string) {
  const res = await call('GET', `/api/audit-logs?entityId=${entityId}${action ? `&action=${encodeURIComponent(action)}` : ''}&limit=200`);
  expect(res.statusCode).toBe(200);
  return res.json().data as { action: string; actorId: string | null; changes: { before?: Record<string, unknown>; after?: Record<string, unknown> } | null }[];
}

describe('create and get', () => {
  it('creates a user with several roles and returns it without secrets', async () => {
    const email = uniqueEmail('create');
    const res = await call('POST', '/api/users', {
      email,
      name: 'Ada Lovelace',
      password: GOOD_PASSWORD,
      department: 'Engineering',
      phone: '+44 20 7946 0000',
      metadata: { employeeNo: 42 },
      roles: ['agent', 'viewer'],
    });
    expect(res.statusCode, res.body).toBe(201);
    const u = res.json();
    expect(u).toMatchObject({
      email,
      name: 'Ada Lovelace',
      department: 'Engineering',
      phone: '+44 20 7946 0000',
      metadata: { employeeNo: 42 },
      isActive: true,
      deletedAt: null,
      lastLogin: null,
    });
    expect(u.roles.map((r: { name: string }) => r.name).sort()).toEqual(['agent', 'viewer']);
    expect(JSON.stringify(u)).not.toMatch(/passwordHash|argon|mfaSecret/i);

    const fetched = await getUser(u.id);
    expect(fetched).toEqual(u);

    // The new user can sign in, and holds the union of the two roles.
    const s = await t.login(email, GOOD_PASSWORD);
    const perms = (await me(s.accessToken)).json().permissions;
    expect(perms['users:read']).toBe('department'); // agent's wider grant wins over viewer's 'own'
    expect(perms['roles:read']).toBe('any');

    // Audited in the same breath, with personal data masked and no password.
    const audit = await auditFor(u.id, 'user.create');
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorId).toBe(adminId);
    expect(audit[0]!.changes?.after).toMatchObject({ email: '***', name: '***', department: 'Engineering' });
    expect(JSON.stringify(audit[0])).not.toContain(GOOD_PASSWORD);
    expect(JSON.stringify(audit[0])).not.toContain(email);
  });

  it('refuses an unknown role and creates nothing', async () => {
    const email = uniqueEmail('norole');
    const res = await call('POST', '/api/users', { email, name: 'Nobody', password: GOOD_PASSWORD, roles: ['viewer', 'no-such-role'] });
    const p = expectProblem(res, 400, 'unknown_role') as unknown as { errors: { path: string; message: string }[] };
    expect(p.errors.some((e) => e.message.includes('no-such-role'))).toBe(true);
    expect((await listUsers(`q=${encodeURIComponent(email)}`)).data).toHaveLength(0);
    expectProblem(await login(email), 401);
  });

  it('answers 409 for a duplicate email, whatever its case, on create and on update', async () => {
    const a = await newUser();
    expectProblem(await call('POST', '/api/users', { email: a.email, name: 'Dupe', password: GOOD_PASSWORD }), 409, 'email_taken');
    expectProblem(await call('POST', '/api/users', { email: a.email.toUpperCase(), name: 'Dupe', password: GOOD_PASSWORD }), 409, 'email_taken');
    const b = await newUser();
    expectProblem(await call('PATCH', `/api/users/${b.id}`, { email: a.email }), 409, 'email_taken');
    expect((await getUser(b.id)).email).toBe(b.email);
  });

  it('answers 404 for an unknown id', async () => {
    expectProblem(await call('GET', `/api/users/${crypto.randomUUID()}`), 404, 'not_found');
  });

  it('mass assignment on create: orgId (another org’s), id and other fields the caller may not set are refused with 400; nothing lands in either org', async () => {
    const other = await createOrg(t);
    const ownOrg = (await me(t.adminToken)).json().org.id as string;
    const cases: [Record<string, unknown>, string][] = [
      [{ orgId: other.orgId }, 'orgId'],
      [{ org_id: other.orgId }, 'org_id'],
      [{ id: crypto.randomUUID() }, 'id'],
      [{ isPlatformAdmin: true }, 'isPlatformAdmin'],
      [{ passwordHash: 'x' }, 'passwordHash'],
      [{ twoFactorEnabled: true }, 'twoFactorEnabled'],
      [{ isActive: false }, 'isActive'],
    ];
    for (const [extra, field] of cases) {
      const email = uniqueEmail('mass');
      const p = expectProblem(await call('POST', '/api/users', { email, name: 'Mass', password: GOOD_PASSWORD, ...extra }), 400, 'validation_failed') as unknown as {
        errors: { path: string; message: string }[];
      };
      expect(JSON.stringify(p.errors), field).toContain(field);
      expect(await rows(sql`select org_id from users where lower(email) = lower(${email})`), field).toEqual([]);
    }
    // Without the field the user lands in the caller's org, never the other.
    const email = uniqueEmail('mass');
    const res = await call('POST', '/api/users', { email, name: 'Mass', password: GOOD_PASSWORD });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().orgId).toBe(ownOrg);
    expect(await rows(sql`select org_id from users where lower(email) = lower(${email})`)).toEqual([{ org_id: ownOrg }]);
  });
});

describe('list: search and filters', () => {
  let dept: string;
  let alice: UserView, bob: UserView, carol: UserView, dave: UserView, erin: UserView;
  beforeAll(async () => {
    const k = tag();
    dept = `Filters-${k}`;
    alice = await newUser({ name: `Alice Quartz ${k}`, department: dept, roles: ['agent'] });
    bob = await newUser({ name: `Bob Quartz ${k}`, department: dept, roles: ['viewer'] });
    carol = await newUser({ name: `Carol ${k}`, department: dept, roles: ['manager'], email: `carol.quartz.${k}@example.test` });
    dave = await newUser({ name: `Dave ${k}`, department: dept, roles: ['agent'] });
    erin = await newUser({ name: `Erin ${k}`, department: `Other-${k}` });
    expect((await call('POST', `/api/users/${dave.id}/deactivate`)).statusCode).toBe(200);
    expect((await call('DELETE', `/api/users/${erin.id}`)).statusCode).toBe(204);
  });
  const ids = (page: { data: UserView[] }) => page.data.map((u) => u.id).sort();

  it('searches name and email case-insensitively', async () => {
    const k = alice.name.split(' ').pop()!;
    const hits = await listUsers(`q=QUARTZ&department=${dept}&limit=200`);
    expect(ids(hits)).toEqual([alice.id, bob.id, carol.id].sort());
    const byEmail = await listUsers(`q=${encodeURIComponent(`carol.quartz.${k}`)}`);
    expect(ids(byEmail)).toEqual([carol.id]);
    const byDepartment = await listUsers(`q=${encodeURIComponent(dept.toLowerCase())}&limit=200`);
    expect(ids(byDepartment)).toEqual([alice.id, bob.id, carol.id, dave.id].sort());
  });

  it('treats % and _ in the search as literal characters', async () => {
    expect((await listUsers('q=%25&limit=200')).data).toHaveLength(0);
    expect((await listUsers('q=_&limit=200')).data).toHaveLength(0);
  });

  it('filters by department, isActive and role', async () => {
    expect(ids(await listUsers(`department=${dept}&limit=200`))).toEqual([alice.id, bob.id, carol.id, dave.id].sort());
    expect(ids(await listUsers(`department=${dept}&isActive=false`))).toEqual([dave.id]);
    expect(ids(await listUsers(`department=${dept}&isActive=true`))).toEqual([alice.id, bob.id, carol.id].sort());
    expect(ids(await listUsers(`department=${dept}&role=agent`))).toEqual([alice.id, dave.id].sort());
    expect(ids(await listUsers(`department=${dept}&role=manager&isActive=true`))).toEqual([carol.id]);
    expect((await listUsers(`department=${dept}&role=admin`)).data).toHaveLength(0);
    expect((await listUsers(`department=no-such-department-${tag()}`)).data).toHaveLength(0);
  });

  it('hides soft-deleted users unless deleted=include or deleted=only', async () => {
    const other = `department=${erin.department}`;
    expect((await listUsers(other)).data).toHaveLength(0);
    expect((await listUsers(`${other}&deleted=exclude`)).data).toHaveLength(0);
    expect(ids(await listUsers(`${other}&deleted=include`))).toEqual([erin.id]);
    expect(ids(await listUsers(`${other}&deleted=only`))).toEqual([erin.id]);
    const onlyDeleted = await listUsers('deleted=only&limit=200');
    expect(onlyDeleted.data.every((u) => u.deletedAt !== null)).toBe(true);
    expect(onlyDeleted.data.map((u) => u.id)).not.toContain(alice.id);
    const all = await listUsers('deleted=include&limit=200');
    expect(all.data.map((u) => u.id)).toEqual(expect.arrayContaining([alice.id, erin.id]));
  });

  it('refuses bad query parameters with 400', async () => {
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'isActive=maybe', 'deleted=all', 'bogus=1', `q=${'x'.repeat(201)}`]) {
      expectProblem(await call('GET', `/api/users?${q}`), 400, 'validation_failed');
    }
    for (const s of ['password', 'passwordHash', '-orgId', 'name;drop table users']) {
      expectProblem(await call('GET', `/api/users?sort=${encodeURIComponent(s)}`), 400, 'invalid_sort');
    }
  });
});

describe('list: cursor pagination', () => {
  let dept: string;
  let members: UserView[];
  beforeAll(async () => {
    dept = `Pages-${tag()}`;
    const k = tag();
    const names = ['Pag Delta', 'Pag Alpha', 'Pag Same', 'Pag Charlie', 'Pag Same', 'Pag Bravo', 'Pag Same', 'Pag Echo'];
    // Emails differ in one letter only, so every collation sorts them the same way.
    const letters = ['f', 'c', 'h', 'a', 'e', 'g', 'b', 'd'];
    members = [];
    for (const [i, name] of names.entries()) {
      members.push(await newUser({ name, department: dept, email: `pag.${k}.${letters[i]}@example.test` }));
    }
    // Some have signed in (lastLogin set), the rest have not (lastLogin null).
    for (const u of [members[0]!, members[3]!, members[4]!]) await t.login(u.email, GOOD_PASSWORD);
  });

  async function walk(query: string, limit: number, start: string | null = null) {
    const seen: UserView[] = [];
    let cursor = start;
    for (let pages = 0; ; pages++) {
      if (pages > 50) throw new Error('pagination does not end');
      const page = await listUsers(`${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(limit);
      if (page.nextCursor) expect(page.data).toHaveLength(limit);
      seen.push(...page.data);
      cursor = page.nextCursor;
      if (!cursor) return seen;
    }
  }

  const cmp = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
  const expected = (field: 'name' | 'createdAt' | 'email' | 'lastLogin', descending: boolean, list: UserView[]) =>
    [...list].sort((a, b) => {
      const byField = cmp(a[field], b[field]);
      // NULLs last in both directions; ties broken by id in the same direction.
      if (byField !== 0) return a[field] === null || b[field] === null ? byField : descending ? -byField : byField;
      return descending ? -cmp(a.id, b.id) : cmp(a.id, b.id);
    });

  const cases: [string, 'name' | 'createdAt' | 'email' | 'lastLogin', boolean][] = [
    ['name', 'name', false],
    ['-name', 'name', true],
    ['createdAt', 'createdAt', false],
    ['-createdAt', 'createdAt', true],
    ['email', 'email', false],
    ['lastLogin', 'lastLogin', false],
    ['-lastLogin', 'lastLogin', true],
    ['-name,createdAt', 'name', true],
  ];
  for (const [sort, field, descending] of cases) {
    it(`walks every page with sort=${sort}: no duplicates, no gaps, in order`, async () => {
      const fresh = await Promise.all(members.map((m) => getUser(m.id)));
      const want = expected(field, descending, fresh).map((u) => u.id);
      for (const limit of [1, 2, 3]) {
        const got = (await walk(`department=${dept}&sort=${encodeURIComponent(sort)}`, limit)).map((u) => u.id);
        expect(new Set(got).size, `limit ${limit}: duplicates`).toBe(got.length);
        expect(got, `limit ${limit}`).toEqual(want);
      }
    });
  }

  it('defaults to newest first', async () => {
    const got = (await walk(`department=${dept}`, 3)).map((u) => u.id);
    const fresh = await Promise.all(members.map((m) => getUser(m.id)));
    expect(got).toEqual(expected('createdAt', true, fresh).map((u) => u.id));
  });

  it('keeps a stable walk when other users are created between pages', async () => {
    const first = await listUsers(`department=${dept}&sort=name&limit=4`);
    const late = await newUser({ name: 'Pag Zulu', department: dept });
    const rest = await walk(`department=${dept}&sort=name`, 4, first.nextCursor);
    const got = [...first.data, ...rest].map((u) => u.id);
    expect(new Set(got).size).toBe(got.length);
    expect(got).toHaveLength(members.length + 1);
    expect(got.at(-1)).toBe(late.id);
    expect((await call('DELETE', `/api/users/${late.id}`)).statusCode).toBe(204);
  });

  it('answers 400 invalid_cursor for cursors it did not issue, never 500', async () => {
    const id = members[0]!.id;
    const all = ['createdAt', 'name', '-lastLogin'];
    const forged: [string, string[]][] = [
      ['not-a-cursor!!', all],
      [Buffer.from('{"a":1}').toString('base64url'), all],
      [Buffer.from('[1,2,3]').toString('base64url'), all],
      [encodeCursor('Pag Alpha', 'not-a-uuid'), all],
      [encodeCursor(null, "'; drop table users; --"), all],
      [encodeCursor(12345, id), all],
      [encodeCursor('not a timestamp', id), ['createdAt', '-lastLogin']],
      [encodeCursor('2024-02-31T00:00:00.000Z', id), ['createdAt', '-lastLogin']],
      [encodeCursor('99999-01-01T00:00:00.000Z', id), ['createdAt', '-lastLogin']],
    ];
    for (const [cursor, sorts] of forged) {
      for (const sort of sorts) {
        const res = await call('GET', `/api/users?sort=${sort}&cursor=${encodeURIComponent(cursor)}`);
        expect(res.statusCode, `${sort} ${cursor}: ${res.body}`).toBe(400);
        expectProblem(res, 400, 'invalid_cursor');
      }
    }
    // A cursor issued for one sort order is not valid for a timestamp sort.
    const byName = await listUsers(`department=${dept}&sort=name&limit=1`);
    expectProblem(await call('GET', `/api/users?sort=createdAt&cursor=${encodeURIComponent(byName.nextCursor!)}`), 400, 'invalid_cursor');
  });
});

describe('update', () => {
  it('changes the given fields, keeps the others, and audits the change', async () => {
    const u = await newUser({ name: 'Before Name', department: 'Ops', phone: '+1 555 0100', metadata: { a: 1 } });
    const res = await call('PATCH', `/api/users/${u.id}`, { name: 'After Name', department: 'Support', phone: null, metadata: { b: 2 } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: 'After Name', department: 'Support', phone: null, metadata: { b: 2 }, email: u.email, isActive: true });
    const fetched = await getUser(u.id);
    expect(fetched).toMatchObject({ name: 'After Name', department: 'Support', phone: null, metadata: { b: 2 } });
    expect(fetched.updatedAt >= u.updatedAt).toBe(true);
    const [audit] = await auditFor(u.id, 'user.update');
    expect(audit!.changes!.before).toEqual({ name: '***', department: 'Ops', phone: '***', metadata: { a: 1 } });
    expect(audit!.changes!.after).toEqual({ name: '***', department: 'Support', phone: null, metadata: { b: 2 } });
  });

  it('refuses fields the caller may not set (orgId, roles, password, unknown keys) with 400 and changes nothing', async () => {
    const u = await newUser({ name: 'Guarded', roles: ['viewer'] });
    const before = await getUser(u.id);
    const bodies: [Record<string, unknown>, string][] = [
      [{ name: 'Hacked', orgId: crypto.randomUUID() }, 'orgId'],
      [{ name: 'Hacked', roles: ['admin'] }, 'roles'],
      [{ name: 'Hacked', password: 'Another-Sturdy-Pass-7' }, 'password'],
      [{ name: 'Hacked', passwordHash: 'x' }, 'passwordHash'],
      [{ name: 'Hacked', isPlatformAdmin: true }, 'isPlatformAdmin'],
      [{ name: 'Hacked', deletedAt: null }, 'deletedAt'],
      [{ name: 'Hacked', twoFactorEnabled: false }, 'twoFactorEnabled'],
      [{ name: 'Hacked', id: crypto.randomUUID() }, 'id'],
      [{ name: 'Hacked', favouriteColour: 'blue' }, 'favouriteColour'],
    ];
    for (const [body, field] of bodies) {
      const p = expectProblem(await call('PATCH', `/api/users/${u.id}`, body), 400, 'validation_failed') as unknown as {
        errors: { path: string; message: string }[];
      };
      expect(JSON.stringify(p.errors), field).toContain(field);
    }
    expectProblem(await call('PATCH', `/api/users/${u.id}`, {}), 400, 'validation_failed');
    expect(await getUser(u.id)).toEqual(before);
    expect(await auditFor(u.id, 'user.update')).toHaveLength(0);
    // The password was not changed either.
    expect((await login(u.email)).statusCode).toBe(200);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    expectProblem(await call('PATCH', `/api/users/${crypto.randomUUID()}`, { name: 'X' }), 404);
    expectProblem(await call('PATCH', '/api/users/123', { name: 'X' }), 400, 'validation_failed');
  });
});

describe('deactivate and activate', () => {
  it('ends the user’s sessions at once and refuses sign-in until reactivated', async () => {
    const u = await createUser(t, { roles: ['viewer'] });
    const second = await t.login(u.email, GOOD_PASSWORD);
    expect((await me(u.token)).statusCode).toBe(200);
    expect((await me(second.accessToken)).statusCode).toBe(200);

    const res = await call('POST', `/api/users/${u.id}/deactivate`);
    expect(res.statusCode).toBe(200);
    expect(res.json().isActive).toBe(false);
    expectProblem(await me(u.token), 401);
    expectProblem(await me(second.accessToken), 401);
    expectProblem(await t.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: u.refreshToken } }), 401);
    expectProblem(await login(u.email), 403, 'account_disabled');
    expect((await auditFor(u.id, 'user.deactivate')).length).toBe(1);

    const back = await call('POST', `/api/users/${u.id}/activate`);
    expect(back.statusCode).toBe(200);
    expect(back.json().isActive).toBe(true);
    expect((await auditFor(u.id, 'user.activate')).length).toBe(1);
    // Old sessions stay ended; a new sign-in works.
    expectProblem(await me(u.token), 401);
    const fresh = await login(u.email);
    expect(fresh.statusCode).toBe(200);
    expect((await me(fresh.json().accessToken)).statusCode).toBe(200);
  });

  it('also stops the API keys the user created', async () => {
    const u = await createUser(t, { roles: ['viewer'] });
    expect((await call('POST', `/api/users/${u.id}/permissions`, { permission: 'api_keys:manage' })).statusCode).toBe(200);
    const key = await call('POST', '/api/api-keys', { name: 'mine', permissions: ['users:read'] }, u.token);
    expect(key.statusCode, key.body).toBe(201);
    const useKey = () => t.inject({ method: 'GET', url: '/api/users', headers: { 'x-api-key': key.json().key } });
    expect((await useKey()).statusCode).toBe(200);
    expect((await call('POST', `/api/users/${u.id}/deactivate`)).statusCode).toBe(200);
    expectProblem(await useKey(), 401);
  });

  it('refuses to deactivate yourself', async () => {
    expectProblem(await call('POST', `/api/users/${adminId}/deactivate`), 400, 'cannot_deactivate_self');
    expect((await me(t.adminToken)).statusCode).toBe(200);
  });
});

describe('another user’s sessions', () => {
  const sessionsOf = (id: string, token = t.adminToken, query = '') => call('GET', `/api/users/${id}/sessions${query}`, undefined, token);

  it('lists a user’s live sessions without tokens, revokes one (that device is signed out, the others stay) and audits it', async () => {
    const u = await createUser(t, { roles: ['viewer'] });
    const second = await t.login(u.email, GOOD_PASSWORD);
    const res = await sessionsOf(u.id);
    expect(res.statusCode, res.body).toBe(200);
    const list = res.json().data as { id: string; current: boolean; ip: string | null; lastActivityAt: string }[];
    expect(list).toHaveLength(2);
    expect(JSON.stringify(list)).not.toMatch(/refresh|token|hash/i);
    // None is the administrator's own session.
    expect(list.every((s) => !s.current)).toBe(true);
    // Newest sign-in first: the second sign-in's token belongs to the first row.
    const mine = (await call('GET', '/api/auth/sessions', undefined, second.accessToken)).json().data.find((s: { current: boolean }) => s.current);
    expect(list[0]!.id).toBe(mine.id);

    const del = await call('DELETE', `/api/users/${u.id}/sessions/${mine.id}`);
    expect(del.statusCode, del.body).toBe(204);
    expectProblem(await me(second.accessToken), 401);
    expectProblem(await t.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: second.refreshToken } }), 401);
    expect((await me(u.token)).statusCode).toBe(200);
    expect((await sessionsOf(u.id)).json().data.map((s: { id: string }) => s.id)).toEqual([list[1]!.id]);
    const audit = await auditFor(u.id, 'user.sessions_revoke');
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorId).toBe(adminId);
    // Revoked already: 404, and no second audit record.
    expectProblem(await call('DELETE', `/api/users/${u.id}/sessions/${mine.id}`), 404);
    expect(await auditFor(u.id, 'user.sessions_revoke')).toHaveLength(1);
  });

  it('signs a user out everywhere and keeps the account active', async () => {
    const u = await createUser(t, { roles: ['viewer'] });
    const second = await t.login(u.email, GOOD_PASSWORD);
    const res = await call('POST', `/api/users/${u.id}/sessions/revoke-all`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ revoked: 2 });
    expectProblem(await me(u.token), 401);
    expectProblem(await me(second.accessToken), 401);
    expect((await sessionsOf(u.id)).json().data).toEqual([]);
    expect((await getUser(u.id)).isActive).toBe(true);
    expect((await login(u.email)).statusCode).toBe(200);
    const audit = await auditFor(u.id, 'user.sessions_revoke');
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0]!.changes)).toContain('"sessions":2');
    // The new sign-in ends too; then nothing is left to end, and nothing more is recorded.
    expect((await call('POST', `/api/users/${u.id}/sessions/revoke-all`)).json()).toEqual({ revoked: 1 });
    expect((await call('POST', `/api/users/${u.id}/sessions/revoke-all`)).json()).toEqual({ revoked: 0 });
    expect(await auditFor(u.id, 'user.sessions_revoke')).toHaveLength(2);
  });

  it('another user’s session id answers 404 and ends nothing', async () => {
    const a = await createUser(t, { roles: ['viewer'] });
    const b = await createUser(t, { roles: ['viewer'] });
    const bSession = (await sessionsOf(b.id)).json().data[0].id as string;
    expectProblem(await call('DELETE', `/api/users/${a.id}/sessions/${bSession}`), 404);
    expect((await me(b.token)).statusCode).toBe(200);
    expectProblem(await call('DELETE', `/api/users/${a.id}/sessions/${crypto.randomUUID()}`), 404);
  });

  it('another org’s user and sessions answer 404, and nothing of theirs ends', async () => {
    const other = await createOrg(t);
    const otherSession = (await call('GET', '/api/auth/sessions', undefined, other.token)).json().data[0].id as string;
    expectProblem(await sessionsOf(other.adminId), 404);
    expectProblem(await call('DELETE', `/api/users/${other.adminId}/sessions/${otherSession}`), 404);
    expectProblem(await call('POST', `/api/users/${other.adminId}/sessions/revoke-all`), 404);
    // Their admin cannot reach ours either.
    expectProblem(await sessionsOf(adminId, other.token), 404);
    expect((await me(other.token)).statusCode).toBe(200);
    // Our own user's id with their session id: still 404.
    const u = await createUser(t, { roles: ['viewer'] });
    expectProblem(await call('DELETE', `/api/users/${u.id}/sessions/${otherSession}`), 404);
    expect((await me(other.token)).statusCode).toBe(200);
  });

  it('needs users:update over the user: viewers are refused, a manager reaches their department only, and nobody signs out someone who outranks them', async () => {
    const dept = `Ops-${tag()}`;
    const manager = await createUser(t, { roles: ['manager'], department: dept });
    const colleague = await createUser(t, { roles: ['viewer'], department: dept });
    const outsider = await createUser(t, { roles: ['viewer'], department: `Else-${tag()}` });
    const viewer = await createUser(t, { roles: ['viewer'], department: dept });

    expectProblem(await sessionsOf(colleague.id, viewer.token), 403, 'forbidden');
    expectProblem(await call('POST', `/api/users/${colleague.id}/sessions/revoke-all`, undefined, viewer.token), 403, 'forbidden');
    expect((await me(colleague.token)).statusCode).toBe(200);

    expect((await sessionsOf(colleague.id, manager.token)).statusCode).toBe(200);
    // Managers read everyone (users:read any) but change only their department: 403, not 404.
    expectProblem(await sessionsOf(outsider.id, manager.token), 403);
    expectProblem(await call('POST', `/api/users/${outsider.id}/sessions/revoke-all`, undefined, manager.token), 403);
    expect((await me(outsider.token)).statusCode).toBe(200);
    // The administrator holds more than the manager: refused, and recorded as a security event.
    const adminSession = (await sessionsOf(adminId)).json().data[0].id as string;
    expectProblem(await call('DELETE', `/api/users/${adminId}/sessions/${adminSession}`, undefined, manager.token), 403);
    expect((await me(t.adminToken)).statusCode).toBe(200);

    const done = await call('POST', `/api/users/${colleague.id}/sessions/revoke-all`, undefined, manager.token);
    expect(done.json()).toEqual({ revoked: 1 });
    expectProblem(await me(colleague.token), 401);
  });

  it('refuses bad ids and query parameters with 400', async () => {
    expectProblem(await call('GET', '/api/users/not-a-uuid/sessions'), 400);
    expectProblem(await sessionsOf(adminId, t.adminToken, '?limit=0'), 400);
    expectProblem(await sessionsOf(adminId, t.adminToken, '?cursor=nonsense'), 400);
    expectProblem(await sessionsOf(adminId, t.adminToken, '?unknown=1'), 400);
    expectProblem(await call('DELETE', `/api/users/${adminId}/sessions/not-a-uuid`), 400);
  });
});

describe('soft delete and restore', () => {
  it('hides the user, ends their sessions and sign-in, and restores them', async () => {
    const u = await createUser(t, { roles: ['viewer'], department: `Del-${tag()}` });
    const del = await call('DELETE', `/api/users/${u.id}`);
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expectProblem(await me(u.token), 401);
    expectProblem(await login(u.email), 401, 'invalid_credentials');
    expect((await listUsers(`q=${encodeURIComponent(u.email)}`)).data).toHaveLength(0);
    const included = await listUsers(`q=${encodeURIComponent(u.email)}&deleted=include`);
    expect(included.data.map((x) => x.id)).toEqual([u.id]);
    expect(included.data[0]!.deletedAt).not.toBeNull();
    expect((await getUser(u.id)).deletedAt).not.toBeNull();
    // Deleting again is harmless and writes no second record.
    expect((await call('DELETE', `/api/users/${u.id}`)).statusCode).toBe(204);
    expect(await auditFor(u.id, 'user.delete')).toHaveLength(1);

    const restored = await call('POST', `/api/users/${u.id}/restore`);
    expect(restored.statusCode).toBe(200);
    expect(restored.json()).toMatchObject({ id: u.id, deletedAt: null, email: u.email });
    expect(restored.json().roles.map((r: { name: string }) => r.name)).toEqual(['viewer']);
    expect((await listUsers(`q=${encodeURIComponent(u.email)}`)).data.map((x) => x.id)).toEqual([u.id]);
    expect(await auditFor(u.id, 'user.restore')).toHaveLength(1);
    expectProblem(await me(u.token), 401);
    expect((await login(u.email)).statusCode).toBe(200);
  });

  it('refuses to delete yourself', async () => {
    expectProblem(await call('DELETE', `/api/users/${adminId}`), 400, 'cannot_delete_self');
    expect((await getUser(adminId)).deletedAt).toBeNull();
  });
});

describe('roles of a user', () => {
  it('reads and replaces the roles, by name or id, and refuses unknown ones without changing anything', async () => {
    const u = await newUser({ roles: ['viewer'] });
    const initial = await call('GET', `/api/users/${u.id}/roles`);
    expect(initial.statusCode).toBe(200);
    expect(initial.json().data.map((r: { name: string }) => r.name)).toEqual(['viewer']);

    const roles = (await call('GET', '/api/roles')).json().data as { id: string; name: string }[];
    const agent = roles.find((r) => r.name === 'agent')!;
    const put = await call('PUT', `/api/users/${u.id}/roles`, { roles: ['manager', agent.id] });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().data.map((r: { name: string }) => r.name).sort()).toEqual(['agent', 'manager']);
    const after = (await call('GET', `/api/users/${u.id}/roles`)).json().data.map((r: { name: string }) => r.name).sort();
    expect(after).toEqual(['agent', 'manager']);
    expect((await getUser(u.id)).roles.map((r) => r.name).sort()).toEqual(['agent', 'manager']);

    expectProblem(await call('PUT', `/api/users/${u.id}/roles`, { roles: ['viewer', 'ghost'] }), 400, 'unknown_role');
    expectProblem(await call('PUT', `/api/users/${u.id}/roles`, { roles: [crypto.randomUUID()] }), 400, 'unknown_role');
    expect((await call('GET', `/api/users/${u.id}/roles`)).json().data.map((r: { name: string }) => r.name).sort()).toEqual(['agent', 'manager']);

    const cleared = await call('PUT', `/api/users/${u.id}/roles`, { roles: [] });
    expect(cleared.json().data).toEqual([]);
    expect((await call('GET', `/api/users/${u.id}/roles`)).json().data).toEqual([]);

    const audit = await auditFor(u.id, 'user.roles_set');
    expect(audit).toHaveLength(2);
    expect(audit[1]!.changes).toEqual({ before: { roles: ['viewer'] }, after: { roles: ['agent', 'manager'] } });
    expect(audit[0]!.changes).toEqual({ before: { roles: ['agent', 'manager'] }, after: { roles: [] } });
  });

  it('answers 404 for an unknown user', async () => {
    expectProblem(await call('GET', `/api/users/${crypto.randomUUID()}/roles`), 404);
    expectProblem(await call('PUT', `/api/users/${crypto.randomUUID()}/roles`, { roles: ['viewer'] }), 404);
  });
});

describe('direct permission grants', () => {
  it('grants, lists, takes effect, and revokes', async () => {
    const u = await createUser(t, { roles: ['viewer'] });
    const initial = (await call('GET', `/api/users/${u.id}/permissions`)).json();
    expect(initial.direct).toEqual([]);
    expect(initial.viaRoles).toEqual(expect.arrayContaining([{ permission: 'users:read', condition: 'own', role: 'viewer' }]));
    expectProblem(await call('GET', '/api/audit-logs', undefined, u.token), 403);

    const grant = await call('POST', `/api/users/${u.id}/permissions`, { permission: 'audit:read' });
    expect(grant.statusCode, grant.body).toBe(200);
    expect(grant.json().direct).toEqual([{ permission: 'audit:read', condition: 'any', grantedBy: adminId, grantedAt: expect.any(String) }]);
    expect((await call('GET', '/api/audit-logs', undefined, u.token)).statusCode).toBe(200);

    // Granting again updates the condition instead of duplicating the grant.
    const narrowed = await call('POST', `/api/users/${u.id}/permissions`, { permission: 'audit:read', condition: 'own' });
    expect(narrowed.json().direct).toEqual([expect.objectContaining({ permission: 'audit:read', condition: 'own' })]);
    expect((await call('GET', `/api/users/${u.id}/permissions`)).json().direct).toHaveLength(1);

    const revoke = await call('DELETE', `/api/users/${u.id}/permissions/audit:read`);
    expect(revoke.statusCode).toBe(204);
    expect((await call('GET', `/api/users/${u.id}/permissions`)).json().direct).toEqual([]);
    expectProblem(await call('GET', '/api/audit-logs', undefined, u.token), 403);
    expectProblem(await call('DELETE', `/api/users/${u.id}/permissions/audit:read`), 404);

    const actions = (await auditFor(u.id)).map((a) => a.action);
    expect(actions.filter((a) => a === 'user.permission_grant')).toHaveLength(2);
    expect(actions.filter((a) => a === 'user.permission_revoke')).toHaveLength(1);
  });

  it('refuses permissions outside the catalogue and bad conditions', async () => {
    const u = await newUser();
    expectProblem(await call('POST', `/api/users/${u.id}/permissions`, { permission: 'users:teleport' }), 400, 'unknown_permission');
    expectProblem(await call('POST', `/api/users/${u.id}/permissions`, { permission: 'users:read', condition: 'everyone' }), 400, 'validation_failed');
    expect((await call('GET', `/api/users/${u.id}/permissions`)).json().direct).toEqual([]);
  });
});

describe('GDPR export', () => {
  it('contains the profile, roles, sessions, activity and keys, and no secrets', async () => {
    const u = await createUser(t, { roles: ['viewer'], department: 'Privacy', name: 'Exported Person' });
    expect((await call('POST', `/api/users/${u.id}/permissions`, { permission: 'api_keys:manage' })).statusCode).toBe(200);
    const key = await call('POST', '/api/api-keys', { name: 'export-key', permissions: ['users:read'] }, u.token);
    expect(key.statusCode).toBe(201);

    const res = await call('GET', `/api/users/${u.id}/export`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.profile).toMatchObject({ id: u.id, email: u.email, name: 'Exported Person', department: 'Privacy' });
    expect(body.roles.map((r: { name: string }) => r.name)).toEqual(['viewer']);
    expect(body.sessions.length).toBeGreaterThanOrEqual(1);
    expect(body.activity.map((a: { action: string }) => a.action)).toContain('login');
    expect(body.apiKeys.map((k: { name: string }) => k.name)).toEqual(['export-key']);
    expect(body.auditTrail.map((a: { action: string }) => a.action)).toContain('user.create');
    // Newest first, in the audit chain's order: the permission grant came after the creation.
    const actions = body.auditTrail.map((a: { action: string }) => a.action) as string[];
    expect(actions.indexOf('user.permission_grant')).toBeLessThan(actions.indexOf('user.create'));
    const times = body.auditTrail.map((a: { createdAt: string }) => Date.parse(a.createdAt)) as number[];
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(typeof body.exportedAt).toBe('string');

    const text = JSON.stringify(body);
    expect(text).not.toMatch(/passwordHash|password_hash|mfaSecret|keyHash|tokenHash/);
    expect(text).not.toContain('$argon2');
    expect(text).not.toContain(key.json().key);
    const [{ password_hash }] = (await rows(sql`select password_hash from users where id = ${u.id}`)) as [{ password_hash: string }];
    expect(password_hash).toMatch(/^\$argon2id\$/);
    expect(text).not.toContain(password_hash);
    const [{ key_hash }] = (await rows(sql`select key_hash from api_keys where id = ${key.json().id}`)) as [{ key_hash: string }];
    expect(text).not.toContain(key_hash);
    expect(await auditFor(u.id, 'user.export')).toHaveLength(1);
  });
});

describe('GDPR erasure', () => {
  it('anonymises personal fields, ends access, clears traces, and keeps the audit chain verifiable', async () => {
    const k = tag();
    const email = `erase.me.${k}@example.test`;
    const name = `Erin Erasable ${k}`;
    const phone = '+49 30 1234 5678';
    // The department is not personal data on its own and stays in the audit log's diffs; keep the tag out of it.
    const u = await createUser(t, { roles: ['viewer'], email, name, department: 'Erasure' });
    expect((await call('PATCH', `/api/users/${u.id}`, { phone, metadata: { note: 'x' } })).statusCode).toBe(200);
    expect((await call('POST', `/api/users/${u.id}/permissions`, { permission: 'api_keys:manage' })).statusCode).toBe(200);
    const key = await call('POST', '/api/api-keys', { name: 'erased-key', permissions: ['users:read'] }, u.token);
    expect(key.statusCode).toBe(201);
    const useKey = () => t.inject({ method: 'GET', url: '/api/users', headers: { 'x-api-key': key.json().key } });
    expect((await useKey()).statusCode).toBe(200);
    // Something the user did themselves, so that the audit log holds their ip / user agent.
    const agent = `erase-agent-${k}`;
    const extra = await t.inject({ method: 'POST', url: '/api/auth/login', headers: { 'user-agent': agent }, payload: { email, password: GOOD_PASSWORD } });
    expect(extra.statusCode).toBe(200);
    const revoke = await t.inject({
      method: 'POST',
      url: '/api/auth/sessions/revoke-others',
      headers: { ...bearer(extra.json().accessToken), 'user-agent': agent },
    });
    expect(revoke.json().revoked).toBe(1);
    expect((await rows(sql`select 1 from audit_logs where actor_id = ${u.id} and user_agent = ${agent}`)).length).toBe(1);

    const res = await call('POST', `/api/users/${u.id}/erase`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ erased: true });

    const after = (await call('GET', `/api/users/${u.id}`)).json();
    expect(after).toMatchObject({ name: 'Erased user', phone: null, department: null, metadata: {}, isActive: false });
    expect(after.email).not.toContain(k);
    expect(after.deletedAt).not.toBeNull();

    // No way in any more.
    expectProblem(await me(extra.json().accessToken), 401);
    expectProblem(await login(email), 401);
    expectProblem(await login(after.email), 401);
    expectProblem(await useKey(), 401);
    const keys = (await call('GET', '/api/api-keys')).json().data as { id: string; revokedAt: string | null }[];
    expect(keys.find((x) => x.id === key.json().id)?.revokedAt).not.toBeNull();

    // The personal data is gone from every table, the audit log included.
    for (const table of ['users', 'audit_logs', 'activity_logs', 'user_sessions']) {
      const hits = await rows(sql`select 1 from ${sql.identifier(table)} t where t::text ilike ${`%${k}%`}`);
      expect(hits, table).toHaveLength(0);
    }
    expect(await rows(sql`select 1 from users where phone = ${phone}`)).toHaveLength(0);
    expect(await rows(sql`select 1 from users where id = ${u.id} and password_hash is not null`)).toHaveLength(0);
    expect(await rows(sql`select 1 from audit_logs where actor_id = ${u.id} and (ip is not null or user_agent is not null)`)).toHaveLength(0);
    const activity = await call('GET', `/api/activity-logs?userId=${u.id}`);
    expect(activity.json().data).toEqual([]);
    const exported = JSON.stringify((await call('GET', `/api/users/${u.id}/export`)).json());
    expect(exported).not.toContain(k);
    expect(exported).not.toContain(phone);

    expect(await auditFor(u.id, 'user.erase')).toHaveLength(1);
    const verdict = await auditVerify(t.database);
    expect(verdict).toMatchObject({ ok: true });
    expect(verdict.records).toBeGreaterThan(0);
  });

  it('refuses to erase yourself, and 404s an unknown id', async () => {
    expectProblem(await call('POST', `/api/users/${adminId}/erase`), 400, 'cannot_erase_self');
    expect((await getUser(adminId)).email).toBe(ADMIN_EMAIL);
    expectProblem(await call('POST', `/api/users/${crypto.randomUUID()}/erase`), 404);
  });

  it('would notice a tampered record (so the verdicts above mean something)', async () => {
    expect((await auditVerify(t.database)).ok).toBe(true);
    const [last] = (await rows(sql`select id, org_id, action from audit_logs order by created_at desc, seq desc limit 1`)) as [
      { id: string; org_id: string; action: string },
    ];
    await t.database.db.execute(sql`update audit_logs set action = 'user.tampered' where id = ${last.id}`);
    expect(await auditVerify(t.database)).toMatchObject({ ok: false, id: last.id, orgId: last.org_id });
    await t.database.db.execute(sql`update audit_logs set action = ${last.action} where id = ${last.id}`);
    expect((await auditVerify(t.database)).ok).toBe(true);
  });
});
