import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conditionRank, type Condition } from '../src/platform/access/catalogue.ts';
import { CATALOGUE } from '../src/modules.ts';
import { bearer, createOrg, createTestApp, createUser, expectProblem, GOOD_PASSWORD, uniqueEmail, type TestApp } from './helpers.ts';
import { expectPaging, keysetOrder, type ListCall } from './paging.ts';

const { systemRoles: SYSTEM_ROLES, keys: PERMISSION_KEYS } = CATALOGUE;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
const call = (method: Method, url: string, token: string, payload?: unknown) =>
  t.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload: payload as object }) });
const admin = (method: Method, url: string, payload?: unknown) => call(method, url, t.adminToken, payload);
const tag = () => crypto.randomBytes(4).toString('hex');
const ids = (res: { json(): unknown }) => ((res.json() as { data: { id: string }[] }).data ?? []).map((u) => u.id).sort();

/** Counts this actor's refused escalations in the audit log, read by the admin. */
async function escalations(actorId: string) {
  const res = await admin('GET', `/api/audit-logs?action=security.*&userId=${actorId}&limit=200`);
  expect(res.statusCode).toBe(200);
  return (res.json().data as { action: string; entityType: string; changes: { details?: { attempted?: string } } }[]).filter(
    (r) => r.action === 'security.privilege_escalation_denied',
  );
}

async function createRole(permissions: unknown[], token = t.adminToken) {
  const res = await call('POST', '/api/roles', token, { name: `role-${tag()}`, displayName: 'Custom', permissions });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; name: string; permissions: { permission: string; condition: string }[] };
}

describe('system roles', () => {
  it('are seeded with the documented permission sets, and a holder’s effective permissions match', async () => {
    const roles = (await admin('GET', '/api/roles')).json().data as {
      name: string;
      isSystem: boolean;
      permissions: { permission: string; condition: string }[];
    }[];
    for (const sys of SYSTEM_ROLES) {
      const seeded = roles.find((r) => r.name === sys.name);
      expect(seeded?.isSystem, sys.name).toBe(true);
      const want = sys.grants.map(([permission, condition]) => ({ permission, condition })).sort((a, b) => a.permission.localeCompare(b.permission));
      expect(seeded!.permissions, sys.name).toEqual(want);

      const u = await createUser(t, { roles: [sys.name] });
      const me = (await call('GET', '/api/auth/me', u.token)).json();
      expect(me.permissions, sys.name).toEqual(Object.fromEntries(sys.grants));
    }
    expect(SYSTEM_ROLES.find((r) => r.name === 'admin')!.grants.map(([p]) => p).sort()).toEqual([...PERMISSION_KEYS].sort());
  });
});

describe('conditions: own, department, any', () => {
  let support1: Awaited<ReturnType<typeof createUser>>;
  let support2: Awaited<ReturnType<typeof createUser>>;
  let sales1: Awaited<ReturnType<typeof createUser>>;
  let supportDept: string;
  let salesDept: string;
  beforeAll(async () => {
    supportDept = `Support-${tag()}`;
    salesDept = `Sales-${tag()}`;
    support1 = await createUser(t, { roles: ['viewer'], department: supportDept });
    support2 = await createUser(t, { roles: ['viewer'], department: supportDept });
    sales1 = await createUser(t, { roles: ['viewer'], department: salesDept });
  });

  it('viewer: lists only themself, another user is not found, and nothing is writable', async () => {
    const v = await createUser(t, { roles: ['viewer'], department: supportDept });
    expect(ids(await call('GET', '/api/users?limit=200', v.token))).toEqual([v.id]);
    expect(ids(await call('GET', '/api/users?deleted=include&limit=200', v.token))).toEqual([v.id]);
    expect(ids(await call('GET', `/api/users?department=${supportDept}`, v.token))).toEqual([v.id]);
    expect((await call('GET', `/api/users/${v.id}`, v.token)).statusCode).toBe(200);
    expect((await call('GET', `/api/users/${v.id}/roles`, v.token)).statusCode).toBe(200);
    expectProblem(await call('GET', `/api/users/${support1.id}`, v.token), 404);
    expectProblem(await call('GET', `/api/users/${support1.id}/roles`, v.token), 404);
    expectProblem(await call('GET', `/api/users/${support1.id}/permissions`, v.token), 404);
    expect((await call('GET', '/api/permissions', v.token)).statusCode).toBe(200);
    expect((await call('GET', '/api/organizations/current', v.token)).statusCode).toBe(200);
    for (const [method, url, body] of [
      ['GET', '/api/roles', undefined],
      ['GET', '/api/audit-logs', undefined],
      ['GET', '/api/activity-logs', undefined],
      ['GET', '/api/api-keys', undefined],
      ['PATCH', `/api/users/${v.id}`, { name: 'Self Promoted' }],
      ['POST', '/api/users', { email: uniqueEmail(), name: 'X', password: GOOD_PASSWORD }],
      ['PUT', `/api/users/${v.id}/roles`, { roles: ['admin'] }],
      ['POST', `/api/users/${v.id}/permissions`, { permission: 'users:read' }],
      ['GET', `/api/users/${v.id}/export`, undefined],
      ['PATCH', '/api/organizations/current', { name: 'Mine now' }],
    ] as [Method, string, unknown][]) {
      const p = expectProblem(await call(method, url, v.token, body), 403, 'forbidden');
      expect(p.detail, `${method} ${url}`).toMatch(/permission/);
    }
    expect((await admin('GET', `/api/users/${v.id}`)).json().name).toBe('Test User');
  });

  it('agent: sees their department and themself, other departments are not found', async () => {
    const a = await createUser(t, { roles: ['agent'], department: supportDept });
    const seen = ids(await call('GET', '/api/users?limit=200', a.token));
    const colleagues = ids(await admin('GET', `/api/users?department=${supportDept}&limit=200`));
    expect(colleagues).toEqual(expect.arrayContaining([a.id, support1.id, support2.id]));
    expect(seen).toEqual(colleagues);
    expect((await call('GET', `/api/users/${support2.id}`, a.token)).statusCode).toBe(200);
    expectProblem(await call('GET', `/api/users/${sales1.id}`, a.token), 404);
    expect(ids(await call('GET', `/api/users?department=${salesDept}`, a.token))).toEqual([]);
    // Without a department an agent sees only themself.
    const loner = await createUser(t, { roles: ['agent'] });
    expect(ids(await call('GET', '/api/users?limit=200', loner.token))).toEqual([loner.id]);
    // activity:read is 'own': only their own sign-ins, even when asking for someone else's.
    const activity = (await call('GET', '/api/activity-logs?limit=200', a.token)).json().data as { userId: string }[];
    expect(activity.length).toBeGreaterThan(0);
    expect(activity.every((r) => r.userId === a.id)).toBe(true);
    expect((await call('GET', `/api/activity-logs?userId=${support1.id}`, a.token)).json().data).toEqual([]);
    expect((await call('GET', '/api/roles', a.token)).statusCode).toBe(200);
    expectProblem(await call('PATCH', `/api/users/${support1.id}`, a.token, { name: 'Nope' }), 403);
  });

  it('manager: sees everyone, manages only their own department', async () => {
    const m = await createUser(t, { roles: ['manager'], department: salesDept });
    const all = ids(await call('GET', '/api/users?limit=200', m.token));
    expect(all).toEqual(expect.arrayContaining([support1.id, support2.id, sales1.id, m.id]));
    expect((await call('GET', `/api/users/${support1.id}`, m.token)).statusCode).toBe(200);

    const ok = await call('PATCH', `/api/users/${sales1.id}`, m.token, { name: 'Renamed By Manager' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await admin('GET', `/api/users/${sales1.id}`)).json().name).toBe('Renamed By Manager');

    expectProblem(await call('PATCH', `/api/users/${support1.id}`, m.token, { name: 'Not Yours' }), 403, 'forbidden');
    expectProblem(await call('POST', `/api/users/${support1.id}/deactivate`, m.token), 403);
    expect((await admin('GET', `/api/users/${support1.id}`)).json()).toMatchObject({ name: 'Test User', isActive: true });

    // Moving one of theirs out to another department is not theirs to do either.
    expectProblem(await call('PATCH', `/api/users/${sales1.id}`, m.token, { department: supportDept }), 403);
    expect((await admin('GET', `/api/users/${sales1.id}`)).json().department).toBe(salesDept);

    // Creating: only in their department, and without roles (no roles:assign).
    const inDept = await call('POST', '/api/users', m.token, { email: uniqueEmail(), name: 'Hired', password: GOOD_PASSWORD, department: salesDept });
    expect(inDept.statusCode, inDept.body).toBe(201);
    expect((await call('POST', `/api/users/${inDept.json().id}/deactivate`, m.token)).statusCode).toBe(200);
    const elsewhere = uniqueEmail();
    expectProblem(await call('POST', '/api/users', m.token, { email: elsewhere, name: 'X', password: GOOD_PASSWORD, department: supportDept }), 403);
    expectProblem(await call('POST', '/api/users', m.token, { email: elsewhere, name: 'X', password: GOOD_PASSWORD }), 403);
    expectProblem(
      await call('POST', '/api/users', m.token, { email: elsewhere, name: 'X', password: GOOD_PASSWORD, department: salesDept, roles: ['viewer'] }),
      403,
    );
    expect((await admin('GET', `/api/users?q=${encodeURIComponent(elsewhere)}`)).json().data).toEqual([]);

    expectProblem(await call('DELETE', `/api/users/${sales1.id}`, m.token), 403);
    expect((await call('GET', '/api/audit-logs', m.token)).statusCode).toBe(200);
    expectProblem(await call('POST', '/api/roles', m.token, { name: 'mine', displayName: 'Mine' }), 403);
    expectProblem(await call('POST', '/api/api-keys', m.token, { name: 'k' }), 403);
  });
});

describe('changes take effect on the next request', () => {
  it('a role change: a viewer made admin gets in with the same token, and back out', async () => {
    const v = await createUser(t, { roles: ['viewer'] });
    expectProblem(await call('GET', '/api/roles', v.token), 403);
    expectProblem(await call('GET', '/api/audit-logs', v.token), 403);
    expect(ids(await call('GET', '/api/users?limit=200', v.token))).toEqual([v.id]);

    expect((await admin('PUT', `/api/users/${v.id}/roles`, { roles: ['admin'] })).statusCode).toBe(200);
    expect((await call('GET', '/api/roles', v.token)).statusCode).toBe(200);
    expect((await call('GET', '/api/audit-logs', v.token)).statusCode).toBe(200);
    expect(ids(await call('GET', '/api/users?limit=200', v.token)).length).toBeGreaterThan(1);

    expect((await admin('PUT', `/api/users/${v.id}/roles`, { roles: ['viewer'] })).statusCode).toBe(200);
    expectProblem(await call('GET', '/api/roles', v.token), 403);
    expectProblem(await call('GET', '/api/audit-logs', v.token), 403);
    expect(ids(await call('GET', '/api/users?limit=200', v.token))).toEqual([v.id]);
  });

  it('a direct grant and its revocation', async () => {
    const v = await createUser(t, { roles: ['viewer'] });
    expectProblem(await call('GET', '/api/activity-logs', v.token), 403);
    expect((await admin('POST', `/api/users/${v.id}/permissions`, { permission: 'activity:read' })).statusCode).toBe(200);
    expect((await call('GET', '/api/activity-logs', v.token)).statusCode).toBe(200);
    // A wider condition than the role's: users:read any instead of own.
    expect((await admin('POST', `/api/users/${v.id}/permissions`, { permission: 'users:read', condition: 'any' })).statusCode).toBe(200);
    expect(ids(await call('GET', '/api/users?limit=200', v.token)).length).toBeGreaterThan(1);
    expect((await admin('DELETE', `/api/users/${v.id}/permissions/users:read`)).statusCode).toBe(204);
    expect(ids(await call('GET', '/api/users?limit=200', v.token))).toEqual([v.id]);
    expect((await admin('DELETE', `/api/users/${v.id}/permissions/activity:read`)).statusCode).toBe(204);
    expectProblem(await call('GET', '/api/activity-logs', v.token), 403);
  });

  it('editing or deleting a custom role changes what its holders can do', async () => {
    const role = await createRole(['audit:read']);
    const u = await createUser(t, { roles: ['viewer', role.name] });
    expect((await call('GET', '/api/audit-logs', u.token)).statusCode).toBe(200);
    expectProblem(await call('GET', '/api/api-keys', u.token), 403);
    expect((await admin('PATCH', `/api/roles/${role.id}`, { permissions: ['api_keys:read'] })).statusCode).toBe(200);
    expectProblem(await call('GET', '/api/audit-logs', u.token), 403);
    expect((await call('GET', '/api/api-keys', u.token)).statusCode).toBe(200);
    expect((await admin('DELETE', `/api/roles/${role.id}`)).statusCode).toBe(204);
    expectProblem(await call('GET', '/api/api-keys', u.token), 403);
    expect((await admin('GET', `/api/users/${u.id}/roles`)).json().data.map((r: { name: string }) => r.name)).toEqual(['viewer']);
  });
});

describe('custom roles', () => {
  it('create, read, list, update and delete, with audit records', async () => {
    const name = `auditor-${tag()}`;
    const res = await admin('POST', '/api/roles', {
      name,
      displayName: 'Auditor',
      description: 'Reads the logs',
      permissions: ['audit:read', { permission: 'users:read', condition: 'department' }, 'audit:read'],
    });
    expect(res.statusCode, res.body).toBe(201);
    const role = res.json();
    expect(role).toMatchObject({ name, displayName: 'Auditor', description: 'Reads the logs', isSystem: false, userCount: 0 });
    expect(role.permissions).toEqual([
      { permission: 'audit:read', condition: 'any' },
      { permission: 'users:read', condition: 'department' },
    ]);
    expect((await admin('GET', `/api/roles/${role.id}`)).json()).toEqual(role);
    expect((await admin('GET', '/api/roles')).json().data.map((r: { id: string }) => r.id)).toContain(role.id);

    expectProblem(await admin('POST', '/api/roles', { name, displayName: 'Again' }), 409, 'role_exists');

    await createUser(t, { roles: [name] });
    expect((await admin('GET', `/api/roles/${role.id}`)).json().userCount).toBe(1);

    const patched = await admin('PATCH', `/api/roles/${role.id}`, { displayName: 'Log Auditor', permissions: [{ permission: 'activity:read', condition: 'own' }] });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ name, displayName: 'Log Auditor', description: 'Reads the logs', permissions: [{ permission: 'activity:read', condition: 'own' }] });
    expect((await admin('PATCH', `/api/roles/${role.id}`, { description: 'Only a description' })).json()).toMatchObject({
      displayName: 'Log Auditor',
      description: 'Only a description',
      permissions: [{ permission: 'activity:read', condition: 'own' }],
    });

    expect((await admin('DELETE', `/api/roles/${role.id}`)).statusCode).toBe(204);
    expectProblem(await admin('GET', `/api/roles/${role.id}`), 404);
    expectProblem(await admin('DELETE', `/api/roles/${role.id}`), 404);
    expectProblem(await admin('PATCH', `/api/roles/${role.id}`, { displayName: 'Ghost' }), 404);

    const audit = (await admin('GET', `/api/audit-logs?entityType=role&entityId=${role.id}`)).json().data.map((r: { action: string }) => r.action);
    expect(audit).toEqual(['role.delete', 'role.update', 'role.update', 'role.create']);
  });

  it('system roles cannot be changed or deleted', async () => {
    const roles = (await admin('GET', '/api/roles')).json().data as { id: string; name: string; isSystem: boolean; displayName: string }[];
    for (const sys of roles.filter((r) => r.isSystem)) {
      expectProblem(await admin('PATCH', `/api/roles/${sys.id}`, { displayName: 'Changed' }), 409, 'system_role');
      expectProblem(await admin('PATCH', `/api/roles/${sys.id}`, { permissions: ['users:read'] }), 409, 'system_role');
      expectProblem(await admin('DELETE', `/api/roles/${sys.id}`), 409, 'system_role');
    }
    const after = (await admin('GET', '/api/roles')).json().data as typeof roles;
    expect(after.filter((r) => r.isSystem)).toEqual(roles.filter((r) => r.isSystem));
    expect(roles.filter((r) => r.isSystem).map((r) => r.name).sort()).toEqual(['admin', 'agent', 'executive', 'manager', 'viewer']);
    // Creating a role with a system role's name is a conflict too.
    expectProblem(await admin('POST', '/api/roles', { name: 'admin', displayName: 'Second admin' }), 409, 'role_exists');
  });

  it('refuses permissions outside the catalogue', async () => {
    const name = `bad-${tag()}`;
    const res = await admin('POST', '/api/roles', { name, displayName: 'Bad', permissions: ['users:read', 'reactor:meltdown'] });
    const p = expectProblem(res, 400, 'unknown_permission') as unknown as { errors: { path: string; message: string }[] };
    expect(p.errors[0]!.message).toContain('reactor:meltdown');
    expect((await admin('GET', '/api/roles')).json().data.map((r: { name: string }) => r.name)).not.toContain(name);
    const role = await createRole(['users:read']);
    expectProblem(await admin('PATCH', `/api/roles/${role.id}`, { permissions: ['nope:nope'] }), 400, 'unknown_permission');
    expect((await admin('GET', `/api/roles/${role.id}`)).json().permissions).toEqual([{ permission: 'users:read', condition: 'any' }]);
  });
});

describe('privilege escalation', () => {
  let delegator: Awaited<ReturnType<typeof createUser>>;
  let target: Awaited<ReturnType<typeof createUser>>;
  let dept: string;
  beforeAll(async () => {
    dept = `Delegation-${tag()}`;
    // Holds the administrative permissions and everything of the agent and viewer roles (so it may hand
    // those out), but not users:erase, and users:update only in its department.
    const held = new Map<string, Condition>();
    for (const r of SYSTEM_ROLES.filter((x) => x.name === 'agent' || x.name === 'viewer')) {
      for (const [p, c] of r.grants) {
        const prev = held.get(p);
        if (!prev || conditionRank[c] > conditionRank[prev]) held.set(p, c);
      }
    }
    for (const p of ['users:read', 'users:create', 'roles:read', 'roles:manage', 'roles:assign', 'permissions:grant', 'permissions:read', 'activity:read', 'org:read', 'api_keys:manage']) {
      held.set(p, 'any');
    }
    held.set('users:update', 'department');
    held.delete('users:erase');
    const role = await createRole([...held].map(([permission, condition]) => ({ permission, condition })));
    delegator = await createUser(t, { roles: [role.name], department: dept });
    target = await createUser(t, { roles: ['viewer'], department: dept });
  });

  async function expectDenied(res: Awaited<ReturnType<typeof call>>, before: number, entityType: string) {
    const p = expectProblem(res, 403, 'privilege_escalation');
    expect(p.detail).toMatch(/do not hold/);
    const after = await escalations(delegator.id);
    expect(after.length, 'one security event per refusal').toBe(before + 1);
    expect(after[0]!.entityType).toBe(entityType);
    return after[0]!;
  }

  it('cannot create or edit a role with a permission they lack', async () => {
    const n = (await escalations(delegator.id)).length;
    const name = `erasers-${tag()}`;
    const ev = await expectDenied(await call('POST', '/api/roles', delegator.token, { name, displayName: 'Erasers', permissions: ['users:read', 'users:erase'] }), n, 'role');
    expect(ev.changes.details?.attempted).toContain('users:erase');
    expect((await admin('GET', '/api/roles')).json().data.map((r: { name: string }) => r.name)).not.toContain(name);

    // A wider condition than they hold is an escalation too.
    await expectDenied(
      await call('POST', '/api/roles', delegator.token, { name, displayName: 'Wide', permissions: [{ permission: 'users:update', condition: 'any' }] }),
      n + 1,
      'role',
    );

    // What they hold, they may put in a role.
    const own = await createRole(['users:read', { permission: 'users:update', condition: 'department' }], delegator.token);
    await expectDenied(await call('PATCH', `/api/roles/${own.id}`, delegator.token, { permissions: ['users:read', 'users:erase'] }), n + 2, 'role');
    expect((await admin('GET', `/api/roles/${own.id}`)).json().permissions.map((p: { permission: string }) => p.permission)).toEqual([
      'users:read',
      'users:update',
    ]);
  });

  it('cannot grant a permission they lack, directly', async () => {
    const n = (await escalations(delegator.id)).length;
    await expectDenied(await call('POST', `/api/users/${target.id}/permissions`, delegator.token, { permission: 'users:erase' }), n, 'user');
    await expectDenied(
      await call('POST', `/api/users/${target.id}/permissions`, delegator.token, { permission: 'users:update', condition: 'any' }),
      n + 1,
      'user',
    );
    // Nor to themself.
    await expectDenied(await call('POST', `/api/users/${delegator.id}/permissions`, delegator.token, { permission: 'users:erase' }), n + 2, 'user');
    expect((await admin('GET', `/api/users/${target.id}/permissions`)).json().direct).toEqual([]);
    expect((await admin('GET', `/api/users/${delegator.id}/permissions`)).json().direct).toEqual([]);
    // Granting what they hold works.
    const ok = await call('POST', `/api/users/${target.id}/permissions`, delegator.token, { permission: 'roles:read' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().direct.map((d: { permission: string }) => d.permission)).toEqual(['roles:read']);
    expect((await escalations(delegator.id)).length).toBe(n + 3);
  });

  it('cannot assign a role holding more than they hold (admin), to others or themself', async () => {
    const n = (await escalations(delegator.id)).length;
    await expectDenied(await call('PUT', `/api/users/${target.id}/roles`, delegator.token, { roles: ['admin'] }), n, 'role');
    await expectDenied(await call('PUT', `/api/users/${delegator.id}/roles`, delegator.token, { roles: ['admin'] }), n + 1, 'role');
    await expectDenied(await call('PUT', `/api/users/${target.id}/roles`, delegator.token, { roles: ['viewer', 'manager'] }), n + 2, 'role');
    expect((await admin('GET', `/api/users/${target.id}/roles`)).json().data.map((r: { name: string }) => r.name)).toEqual(['viewer']);
    // Nor hand it out while creating a user.
    const email = uniqueEmail('escalate');
    await expectDenied(
      await call('POST', '/api/users', delegator.token, { email, name: 'Puppet', password: GOOD_PASSWORD, department: dept, roles: ['admin'] }),
      n + 3,
      'role',
    );
    expect((await admin('GET', `/api/users?q=${encodeURIComponent(email)}`)).json().data).toEqual([]);
    // A role within their own rights is fine.
    const ok = await call('PUT', `/api/users/${target.id}/roles`, delegator.token, { roles: ['viewer', 'agent'] });
    expect(ok.statusCode, ok.body).toBe(200);
    // The admin finds every refusal with a security.* filter.
    const all = (await admin('GET', '/api/audit-logs?action=security.*&limit=200')).json().data as { action: string }[];
    expect(all.length).toBeGreaterThanOrEqual(n + 4);
    expect(all.every((r) => r.action.startsWith('security.'))).toBe(true);
  });

  it('cannot take away a role they could not have given', async () => {
    const adminUser = await createUser(t, { roles: ['admin'], department: dept });
    const n = (await escalations(delegator.id)).length;
    const res = await call('PUT', `/api/users/${adminUser.id}/roles`, delegator.token, { roles: ['viewer'] });
    expectProblem(res, 403, 'privilege_escalation');
    expect((await escalations(delegator.id)).length).toBe(n + 1);
    expect((await admin('GET', `/api/users/${adminUser.id}/roles`)).json().data.map((r: { name: string }) => r.name)).toEqual(['admin']);
  });

  it('cannot strip a permission they lack from a role', async () => {
    const role = await createRole(['users:read', 'users:erase']);
    const res = await call('PATCH', `/api/roles/${role.id}`, delegator.token, { permissions: ['users:read'] });
    expectProblem(res, 403, 'privilege_escalation');
    expect((await admin('GET', `/api/roles/${role.id}`)).json().permissions.map((p: { permission: string }) => p.permission)).toEqual([
      'users:erase',
      'users:read',
    ]);
    // Renaming it is not a grant and is allowed.
    expect((await call('PATCH', `/api/roles/${role.id}`, delegator.token, { displayName: 'Renamed' })).statusCode).toBe(200);
  });

  it('cannot revoke a direct grant they could not have given', async () => {
    const holder = await createUser(t, { roles: ['viewer'], department: dept });
    expect((await admin('POST', `/api/users/${holder.id}/permissions`, { permission: 'users:erase' })).statusCode).toBe(200);
    expect((await admin('POST', `/api/users/${holder.id}/permissions`, { permission: 'roles:read' })).statusCode).toBe(200);
    const n = (await escalations(delegator.id)).length;
    await expectDenied(await call('DELETE', `/api/users/${holder.id}/permissions/users:erase`, delegator.token), n, 'user');
    const direct = (await admin('GET', `/api/users/${holder.id}/permissions`)).json().direct.map((d: { permission: string }) => d.permission);
    expect(direct.sort()).toEqual(['roles:read', 'users:erase']);
    // While the holder holds users:erase they are above the delegator: even a grant the delegator holds stays.
    await expectDenied(await call('DELETE', `/api/users/${holder.id}/permissions/roles:read`, delegator.token), n + 1, 'user');
    // Once the holder holds nothing beyond the delegator, one the delegator holds they may take away.
    expect((await admin('DELETE', `/api/users/${holder.id}/permissions/users:erase`)).statusCode).toBe(204);
    expect((await call('DELETE', `/api/users/${holder.id}/permissions/roles:read`, delegator.token)).statusCode).toBe(204);
    expect((await admin('GET', `/api/users/${holder.id}/permissions`)).json().direct).toEqual([]);
  });

  it('cannot create an API key carrying permissions they lack', async () => {
    const n = (await escalations(delegator.id)).length;
    await expectDenied(await call('POST', '/api/api-keys', delegator.token, { name: 'too-much', permissions: ['users:read', 'users:erase'] }), n, 'api_key');
    const keys = (await admin('GET', '/api/api-keys')).json().data as { name: string }[];
    expect(keys.map((k) => k.name)).not.toContain('too-much');
  });
});

describe('API keys of a manager', () => {
  it('cannot carry permissions the manager lacks, and never outlive the manager’s rights', async () => {
    const m = await createUser(t, { roles: ['manager'], department: `Keys-${tag()}` });
    // A plain manager may not create keys at all.
    expectProblem(await call('POST', '/api/api-keys', m.token, { name: 'plain' }), 403, 'forbidden');
    expect((await admin('POST', `/api/users/${m.id}/permissions`, { permission: 'api_keys:manage' })).statusCode).toBe(200);

    const n = (await escalations(m.id)).length;
    for (const permissions of [['users:erase'], ['users:read', 'roles:manage'], ['org:update']]) {
      const res = await call('POST', '/api/api-keys', m.token, { name: 'escalating', permissions });
      expectProblem(res, 403, 'privilege_escalation');
    }
    const events = await escalations(m.id);
    expect(events.length).toBe(n + 3);
    expect(events.every((e) => e.entityType === 'api_key')).toBe(true);
    expect((await admin('GET', '/api/api-keys')).json().data.map((k: { name: string }) => k.name)).not.toContain('escalating');

    // Without a list, the key takes what the manager holds, and nothing more.
    const all = await call('POST', '/api/api-keys', m.token, { name: 'default-scope' });
    expect(all.statusCode, all.body).toBe(201);
    const me = (await call('GET', '/api/auth/me', m.token)).json();
    expect([...all.json().permissions].sort()).toEqual(Object.keys(me.permissions).sort());
    expect(all.json().permissions).not.toContain('users:erase');

    const key = await call('POST', '/api/api-keys', m.token, { name: 'auditing', permissions: ['audit:read'] });
    expect(key.statusCode).toBe(201);
    const useKey = (url: string) => t.inject({ method: 'GET', url, headers: { 'x-api-key': key.json().key } });
    expect((await useKey('/api/audit-logs')).statusCode).toBe(200);
    expectProblem(await useKey('/api/users'), 403);
    const keyMe = (await useKey('/api/auth/me')).json();
    expect(keyMe).toMatchObject({ type: 'api_key', permissions: ['audit:read'] });
    // A key cannot mint keys, even one allowed to manage them.
    const manager = await call('POST', '/api/api-keys', m.token, { name: 'key-manager', permissions: ['api_keys:manage'] });
    expect(manager.statusCode).toBe(201);
    const child = await t.inject({ method: 'POST', url: '/api/api-keys', headers: { 'x-api-key': manager.json().key }, payload: { name: 'child' } });
    expectProblem(child, 403, 'user_required');

    // Demote the manager: the key loses audit:read on the next request.
    expect((await admin('PUT', `/api/users/${m.id}/roles`, { roles: ['viewer'] })).statusCode).toBe(200);
    expectProblem(await useKey('/api/audit-logs'), 403);
  });
});

describe('acting above one’s own rank (issue 11)', () => {
  const refused = async (res: Awaited<ReturnType<typeof call>>) => {
    const p = expectProblem(res, 403, 'privilege_escalation');
    expect(p.detail).toMatch(/do not hold/);
  };
  const userOf = async (id: string) => (await admin('GET', `/api/users/${id}`)).json() as { email: string; isActive: boolean; deletedAt: string | null; name: string };

  it('a department manager cannot change the email of, or deactivate, an administrator of their department', async () => {
    const dept = `Rank-${tag()}`;
    const m = await createUser(t, { roles: ['manager'], department: dept });
    const boss = await createUser(t, { roles: ['admin'], department: dept });
    const peer = await createUser(t, { roles: ['viewer'], department: dept });
    const before = await userOf(boss.id);
    const n = (await escalations(m.id)).length;

    await refused(await call('PATCH', `/api/users/${boss.id}`, m.token, { email: uniqueEmail('takeover') }));
    await refused(await call('POST', `/api/users/${boss.id}/deactivate`, m.token));
    await refused(await call('PATCH', `/api/users/${boss.id}`, m.token, { name: 'Demoted' }));
    expect(await userOf(boss.id)).toEqual(before);
    // The administrator's session still works: nothing was revoked.
    expect((await call('GET', '/api/auth/me', boss.token)).statusCode).toBe(200);
    const events = await escalations(m.id);
    expect(events.length, 'one security event per refusal').toBe(n + 3);
    expect(events.every((e) => e.entityType === 'user')).toBe(true);

    // Someone of their department who holds nothing more, they still manage.
    const ok = await call('PATCH', `/api/users/${peer.id}`, m.token, { name: 'Renamed Peer' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await call('POST', `/api/users/${peer.id}/deactivate`, m.token)).statusCode).toBe(200);
  });

  it('users:update + roles:assign (and the other user permissions) reach no one holding more than the actor', async () => {
    const dept = `Rank-${tag()}`;
    const role = await createRole(
      ['users:read', 'users:create', 'users:update', 'users:delete', 'users:erase', 'users:export', 'roles:read', 'roles:assign', 'permissions:grant', 'permissions:read'],
    );
    const op = await createUser(t, { roles: [role.name, 'viewer'], department: dept });
    const boss = await createUser(t, { roles: ['admin'], department: dept });
    // A direct grant of something the operator holds too, so only the rank stops its revocation.
    expect((await admin('POST', `/api/users/${boss.id}/permissions`, { permission: 'users:read' })).statusCode).toBe(200);
    const before = await userOf(boss.id);
    const n = (await escalations(op.id)).length;

    await refused(await call('PATCH', `/api/users/${boss.id}`, op.token, { email: uniqueEmail('takeover') }));
    await refused(await call('POST', `/api/users/${boss.id}/deactivate`, op.token));
    await refused(await call('DELETE', `/api/users/${boss.id}`, op.token));
    await refused(await call('PUT', `/api/users/${boss.id}/roles`, op.token, { roles: ['admin', 'viewer'] }));
    await refused(await call('POST', `/api/users/${boss.id}/permissions`, op.token, { permission: 'roles:read' }));
    await refused(await call('DELETE', `/api/users/${boss.id}/permissions/users:read`, op.token));
    await refused(await call('POST', `/api/users/${boss.id}/erase`, op.token));
    expect(await userOf(boss.id)).toEqual(before);
    expect((await admin('GET', `/api/users/${boss.id}/roles`)).json().data.map((r: { name: string }) => r.name)).toEqual(['admin']);
    expect((await admin('GET', `/api/users/${boss.id}/permissions`)).json().direct.map((d: { permission: string }) => d.permission)).toEqual([
      'users:read',
    ]);
    expect((await call('GET', '/api/auth/me', boss.token)).statusCode).toBe(200);

    // A deactivated or deleted administrator is out of reach too: no reactivating, no restoring.
    expect((await admin('POST', `/api/users/${boss.id}/deactivate`)).statusCode).toBe(200);
    await refused(await call('POST', `/api/users/${boss.id}/activate`, op.token));
    expect((await admin('DELETE', `/api/users/${boss.id}`)).statusCode).toBe(204);
    await refused(await call('POST', `/api/users/${boss.id}/restore`, op.token));
    expect(await userOf(boss.id)).toMatchObject({ isActive: false, deletedAt: expect.any(String) });
    expect((await escalations(op.id)).length).toBe(n + 9);

    // The same rights reach a user who holds nothing the operator lacks.
    const v = await createUser(t, { roles: ['viewer'], department: dept });
    expect((await call('PATCH', `/api/users/${v.id}`, op.token, { email: uniqueEmail('moved') })).statusCode).toBe(200);
    expect((await call('POST', `/api/users/${v.id}/permissions`, op.token, { permission: 'roles:read' })).statusCode).toBe(200);
    expect((await call('DELETE', `/api/users/${v.id}/permissions/roles:read`, op.token)).statusCode).toBe(204);
    expect((await call('POST', `/api/users/${v.id}/deactivate`, op.token)).statusCode).toBe(200);
    expect((await call('DELETE', `/api/users/${v.id}`, op.token)).statusCode).toBe(204);
    expect((await call('POST', `/api/users/${v.id}/restore`, op.token)).statusCode).toBe(200);
    expect((await call('POST', `/api/users/${v.id}/erase`, op.token)).statusCode).toBe(200);
  });

  it('a role holding permissions the actor lacks cannot be deleted by them', async () => {
    const manager = await createRole(['roles:read', 'roles:manage', 'users:read']);
    const actor = await createUser(t, { roles: [manager.name] });
    const strong = await createRole(['users:read', 'users:erase']);
    const n = (await escalations(actor.id)).length;
    const res = await call('DELETE', `/api/roles/${strong.id}`, actor.token);
    expectProblem(res, 403, 'privilege_escalation');
    expect(res.json().detail).toContain('users:erase');
    expect((await admin('GET', `/api/roles/${strong.id}`)).statusCode).toBe(200);
    const events = await escalations(actor.id);
    expect(events.length).toBe(n + 1);
    expect(events[0]).toMatchObject({ entityType: 'role' });
    // A role within their own rights they may delete.
    const weak = await createRole(['users:read']);
    expect((await call('DELETE', `/api/roles/${weak.id}`, actor.token)).statusCode).toBe(204);
    expect((await admin('GET', `/api/roles/${weak.id}`)).statusCode).toBe(404);
  });
});

describe('paged lists', () => {
  const list = (url: string, token = t.adminToken): ListCall => (q) => call('GET', `${url}?${q}`, token);

  it('roles: by name, a page at a time, system roles included, never another org’s', async () => {
    const other = await createOrg(t);
    const n = tag();
    const made: { id: string; name: string }[] = [];
    for (const x of ['pagec', 'pagea', 'pageb']) {
      const res = await admin('POST', '/api/roles', { name: `${x}${n}`, displayName: x, permissions: ['users:read'] });
      expect(res.statusCode, res.body).toBe(201);
      made.push(res.json());
    }
    const theirs = (await call('POST', '/api/roles', other.token, { name: `pagea${n}`, displayName: 'theirs' })).json() as { id: string };
    const all = await expectPaging<{ id: string; name: string }>(list('/api/roles'), { limit: 2, inOrder: keysetOrder(made.map((r) => ({ id: r.id, key: r.name }))) });
    expect(all.map((r) => r.name)).toEqual(expect.arrayContaining(SYSTEM_ROLES.map((r) => r.name)));
    expect(all.map((r) => r.id)).not.toContain(theirs.id);
  });

  it('API keys: newest first (ties by id), a page at a time, never another org’s', async () => {
    const other = await createOrg(t);
    for (let i = 0; i < 3; i++) expect((await admin('POST', '/api/api-keys', { name: `page ${i}`, permissions: ['users:read'] })).statusCode).toBe(201);
    const theirs = (await call('POST', '/api/api-keys', other.token, { name: 'theirs', permissions: ['users:read'] })).json() as { id: string };
    const keys = (await list('/api/api-keys')('limit=200')).json().data as { id: string; createdAt: string }[];
    expect(keys.length).toBeGreaterThanOrEqual(3);
    await expectPaging(list('/api/api-keys'), { limit: 2, inOrder: keysetOrder(keys.map((k) => ({ id: k.id, key: k.createdAt })), true) });
    expect(keys.map((k) => k.id)).not.toContain(theirs.id);
  });
});
