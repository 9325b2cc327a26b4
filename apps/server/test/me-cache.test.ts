import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, createUser, GOOD_PASSWORD, type TestApp } from './helpers.ts';

/** GET /api/auth/me is served from a cache: every change must show on the very next request. */
describe('/me cache invalidation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());
  const me = async (token: string) => t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });

  it('profile edits, role changes, role renames, org rename, grants, MFA, login and failures show at once', async () => {
    const u = await createUser(t, { roles: ['viewer'], department: 'support' });
    const first = (await me(u.token)).json();
    expect(first.name).toBe('Test User');
    expect((await me(u.token)).json()).toEqual(first); // cached and identical

    // admin edits the profile
    let r = await t.inject({ method: 'PATCH', url: `/api/users/${u.id}`, headers: bearer(t.adminToken), payload: { name: 'Renamed', phone: '+33 1 23 45 67 89' } });
    expect(r.statusCode).toBe(200);
    let body = (await me(u.token)).json();
    expect(body.name).toBe('Renamed');
    expect(body.phone).toBe('+33 1 23 45 67 89');
    expect(body.updatedAt).not.toBe(first.updatedAt);

    // role change
    r = await t.inject({ method: 'PUT', url: `/api/users/${u.id}/roles`, headers: bearer(t.adminToken), payload: { roles: ['manager'] } });
    expect(r.statusCode).toBe(200);
    body = (await me(u.token)).json();
    expect(body.roles.map((x: { name: string }) => x.name)).toEqual(['manager']);
    expect(Object.keys(body.permissions).length).toBeGreaterThan(Object.keys(first.permissions).length);

    // direct grant
    const before = (await me(u.token)).json().permissions;
    r = await t.inject({ method: 'POST', url: `/api/users/${u.id}/permissions`, headers: bearer(t.adminToken), payload: { permission: 'users:delete', condition: 'department' } });
    expect([200, 201], r.body).toContain(r.statusCode);
    expect((await me(u.token)).json().permissions['users:delete']).toBe('department');
    expect(before['users:delete']).toBeUndefined();

    // custom role renamed
    r = await t.inject({ method: 'POST', url: '/api/roles', headers: bearer(t.adminToken), payload: { name: 'desk', displayName: 'Desk', permissions: [] } });
    expect(r.statusCode).toBe(201);
    const role = r.json();
    r = await t.inject({ method: 'PUT', url: `/api/users/${u.id}/roles`, headers: bearer(t.adminToken), payload: { roles: ['manager', 'desk'] } });
    expect(r.statusCode).toBe(200);
    expect((await me(u.token)).json().roles.map((x: { name: string }) => x.name).sort()).toEqual(['desk', 'manager']);
    expect((await me(u.token)).json().permissions['api_keys:manage']).toBeUndefined();
    r = await t.inject({ method: 'PATCH', url: `/api/roles/${role.id}`, headers: bearer(t.adminToken), payload: { permissions: ['api_keys:manage'] } });
    expect(r.statusCode, r.body).toBe(200);
    expect((await me(u.token)).json().permissions['api_keys:manage']).toBeDefined();
    r = await t.inject({ method: 'DELETE', url: `/api/roles/${role.id}`, headers: bearer(t.adminToken) });
    expect([200, 204], r.body).toContain(r.statusCode);
    expect((await me(u.token)).json().roles.map((x: { name: string }) => x.name)).toEqual(['manager']);

    // org rename
    r = await t.inject({ method: 'PATCH', url: '/api/organizations/current', headers: bearer(t.adminToken), payload: { name: 'Renamed Org' } });
    expect(r.statusCode).toBe(200);
    expect((await me(u.token)).json().org.name).toBe('Renamed Org');

    // a failed login changes the row (counter, updatedAt)
    const beforeFail = (await me(u.token)).json().updatedAt;
    await new Promise((res) => setTimeout(res, 5));
    r = await t.inject({ method: 'POST', url: '/api/auth/login', payload: { email: u.email, password: 'wrong-password-123' } });
    expect(r.statusCode).toBe(401);
    expect((await me(u.token)).json().updatedAt).not.toBe(beforeFail);

    // a new login sets lastLogin
    const lastLogin = (await me(u.token)).json().lastLogin;
    await new Promise((res) => setTimeout(res, 5));
    await t.login(u.email, GOOD_PASSWORD);
    expect((await me(u.token)).json().lastLogin).not.toBe(lastLogin);

    // MFA on, then off
    r = await t.inject({ method: 'POST', url: '/api/auth/mfa/setup', headers: bearer(u.token) });
    expect(r.statusCode).toBe(200);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(r.json().secret) });
    r = await t.inject({ method: 'POST', url: '/api/auth/mfa/enable', headers: bearer(u.token), payload: { code: totp.generate() } });
    expect(r.statusCode).toBe(200);
    expect((await me(u.token)).json().twoFactorEnabled).toBe(true);
    // The enrolment spent this step's code: the next step's turns MFA off.
    r = await t.inject({ method: 'POST', url: '/api/auth/mfa/disable', headers: bearer(u.token), payload: { password: GOOD_PASSWORD, code: totp.generate({ timestamp: Date.now() + 30_000 }) } });
    expect(r.statusCode, r.body).toBe(200);
    expect((await me(u.token)).json().twoFactorEnabled).toBe(false);

    // deactivation and deletion
    r = await t.inject({ method: 'POST', url: `/api/users/${u.id}/deactivate`, headers: bearer(t.adminToken) });
    expect(r.statusCode).toBe(200);
    expect((await me(u.token)).statusCode).toBe(401);
  });

  it('self-service edits and logout take effect at once', async () => {
    const u = await createUser(t, { roles: ['viewer'] });
    expect((await me(u.token)).statusCode).toBe(200);
    let r = await t.inject({ method: 'POST', url: '/api/auth/password', headers: bearer(u.token), payload: { currentPassword: GOOD_PASSWORD, newPassword: 'Another-Sturdy-Pass-77' } });
    if (r.statusCode === 404) r = await t.inject({ method: 'POST', url: '/api/auth/change-password', headers: bearer(u.token), payload: { currentPassword: GOOD_PASSWORD, newPassword: 'Another-Sturdy-Pass-77' } });
    expect(r.statusCode, r.body).toBe(200);
    expect((await me(u.token)).json().updatedAt).toBeDefined();
    r = await t.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(u.token) });
    expect([200, 204]).toContain(r.statusCode);
    expect((await me(u.token)).statusCode).toBe(401);
  });
});
