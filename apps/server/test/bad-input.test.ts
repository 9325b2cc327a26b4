import crypto from 'node:crypto';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../src/platform/db/pagination.ts';
import { bearer, createTestApp, createUser, expectProblem, GOOD_PASSWORD, uniqueEmail, type TestApp } from './helpers.ts';

type Method = 'POST' | 'PATCH' | 'PUT' | 'DELETE';
type Auth = 'public' | 'authenticated' | 'permission' | 'platform_admin';

interface BadCase {
  name: string;
  /** Replaces the route's URL (for bad path parameters). */
  url?: string;
  payload?: unknown;
  /** Fields the problem's `errors` must name (by path, or in the message for unknown keys). Empty: the body as a whole. */
  fields: string[];
  code?: string;
}

interface RouteSpec {
  method: Method;
  /** The path as the OpenAPI document spells it. */
  path: string;
  auth: Auth;
  url: () => string;
  /** Whether the route declares a body schema. */
  body: boolean;
  /** Routes that act on the caller's own session run as a throwaway user. */
  asUser?: boolean;
  bad: BadCase[];
}

let t: TestApp;
let viewer: Awaited<ReturnType<typeof createUser>>;
let throwaway: Awaited<ReturnType<typeof createUser>>;
const ids = { target: '', targetSession: '', role: '', key: '', session: '', sso: '' };

beforeAll(async () => {
  t = await createTestApp();
  viewer = await createUser(t, { roles: ['viewer'] });
  throwaway = await createUser(t, { roles: ['viewer'] });
  const target = await createUser(t, { roles: ['viewer'], name: 'Target' });
  ids.target = target.id;
  ids.targetSession = (await t.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(target.token) })).json().data[0].id;
  const role = await t.inject({ method: 'POST', url: '/api/roles', headers: bearer(t.adminToken), payload: { name: 'target-role', displayName: 'Target' } });
  ids.role = role.json().id;
  const key = await t.inject({ method: 'POST', url: '/api/api-keys', headers: bearer(t.adminToken), payload: { name: 'target-key' } });
  ids.key = key.json().id;
  const sessions = await t.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(throwaway.token) });
  ids.session = sessions.json().data[0].id;
  const sso = await t.inject({
    method: 'POST',
    url: '/api/organizations/current/sso-providers',
    headers: bearer(t.adminToken),
    payload: { name: 'Target IdP', issuer: 'https://idp.example.com', clientId: 'c', clientSecret: 's', allowedDomains: ['example.test'] },
  });
  ids.sso = sso.json().id;
});
afterAll(async () => t?.close());

const long = (n: number) => 'x'.repeat(n);
const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const validUser = () => ({ email: uniqueEmail('bad'), name: 'Valid Name', password: GOOD_PASSWORD });
const badIds: [string, string][] = [
  ['not a uuid', 'not-a-uuid'],
  ['almost a uuid', '00000000-0000-0000-0000-00000000000g'],
  ['a number', '12345'],
  ['a long string', long(90)],
];
/** The non-UUID id cases for a route whose URL holds `:id`. */
const idCases = (urlOf: (id: string) => string): BadCase[] =>
  badIds.map(([name, id]) => ({ name: `id is ${name}`, url: urlOf(id), fields: ['id'] }));

/** A well-formed passkey answer (its values mean nothing): one field at a time is broken below. */
const passkeyAnswer = () => ({
  id: 'AAAA',
  rawId: 'AAAA',
  type: 'public-key',
  response: { clientDataJSON: 'e30', attestationObject: 'oA', authenticatorData: 'AA', signature: 'AA' },
  clientExtensionResults: {},
});

const routes: RouteSpec[] = [
  // ---- /api/auth
  {
    method: 'POST',
    path: '/api/auth/login',
    auth: 'public',
    body: true,
    url: () => '/api/auth/login',
    bad: [
      { name: 'missing fields', payload: {}, fields: ['email', 'password'] },
      { name: 'wrong types', payload: { email: 42, password: ['x'] }, fields: ['email', 'password'] },
      { name: 'not an email', payload: { email: 'nobody', password: 'x' }, fields: ['email'] },
      { name: 'over-long', payload: { email: `${long(250)}@example.test`, password: long(1025), org: long(65) }, fields: ['email', 'password', 'org'] },
      { name: 'extra key', payload: { email: 'a@example.test', password: 'x', remember: true }, fields: ['remember'] },
    ],
  },
  {
    method: 'POST',
    path: '/api/auth/mfa/verify',
    auth: 'public',
    body: true,
    url: () => '/api/auth/mfa/verify',
    bad: [
      { name: 'missing fields', payload: {}, fields: ['mfaToken', 'code'] },
      { name: 'wrong types', payload: { mfaToken: 1, code: 123456 }, fields: ['mfaToken', 'code'] },
      { name: 'over-long and too short', payload: { mfaToken: long(2049), code: '1' }, fields: ['mfaToken', 'code'] },
      { name: 'extra key', payload: { mfaToken: 'x', code: '123456', trust: true }, fields: ['trust'] },
    ],
  },
  {
    method: 'POST',
    path: '/api/auth/refresh',
    auth: 'public',
    body: true,
    url: () => '/api/auth/refresh',
    bad: [
      { name: 'wrong type', payload: { refreshToken: 42 }, fields: ['refreshToken'] },
      { name: 'over-long', payload: { refreshToken: long(513) }, fields: ['refreshToken'] },
      { name: 'extra key', payload: { token: 'x' }, fields: ['token'] },
    ],
  },
  { method: 'POST', path: '/api/auth/logout', auth: 'authenticated', body: false, asUser: true, url: () => '/api/auth/logout', bad: [] },
  {
    method: 'DELETE',
    path: '/api/auth/sessions/{id}',
    auth: 'authenticated',
    body: false,
    asUser: true,
    url: () => `/api/auth/sessions/${ids.session}`,
    bad: idCases((id) => `/api/auth/sessions/${id}`),
  },
  { method: 'POST', path: '/api/auth/sessions/revoke-others', auth: 'authenticated', body: false, asUser: true, url: () => '/api/auth/sessions/revoke-others', bad: [] },
  {
    method: 'POST',
    path: '/api/auth/password',
    auth: 'authenticated',
    body: true,
    asUser: true,
    url: () => '/api/auth/password',
    bad: [
      { name: 'missing fields', payload: {}, fields: ['currentPassword', 'newPassword'] },
      { name: 'wrong types', payload: { currentPassword: 1, newPassword: null }, fields: ['currentPassword', 'newPassword'] },
      { name: 'over-long', payload: { currentPassword: GOOD_PASSWORD, newPassword: long(1025) }, fields: ['newPassword'] },
      { name: 'extra key', payload: { currentPassword: GOOD_PASSWORD, newPassword: 'Another-Sturdy-Pass-7', userId: crypto.randomUUID() }, fields: ['userId'] },
      { name: 'weak new password', payload: { currentPassword: GOOD_PASSWORD, newPassword: 'short' }, fields: ['newPassword'], code: 'weak_password' },
    ],
  },
  {
    method: 'POST',
    path: '/api/auth/password/forgot',
    auth: 'public',
    body: true,
    url: () => '/api/auth/password/forgot',
    bad: [
      { name: 'missing email', payload: {}, fields: ['email'] },
      { name: 'not an email', payload: { email: 'nobody' }, fields: ['email'] },
      { name: 'over-long', payload: { email: `${long(250)}@example.test`, org: long(65) }, fields: ['email', 'org'] },
      { name: 'extra key', payload: { email: 'a@example.test', userId: crypto.randomUUID() }, fields: ['userId'] },
    ],
  },
  {
    method: 'POST',
    path: '/api/auth/password/reset',
    auth: 'public',
    body: true,
    url: () => '/api/auth/password/reset',
    bad: [
      { name: 'missing fields', payload: {}, fields: ['token', 'password'] },
      { name: 'wrong types', payload: { token: 1, password: null }, fields: ['token', 'password'] },
      { name: 'over-long', payload: { token: long(257), password: long(1025) }, fields: ['token', 'password'] },
      { name: 'extra key', payload: { token: 'x', password: GOOD_PASSWORD, email: 'a@example.test' }, fields: ['email'] },
    ],
  },
  { method: 'POST', path: '/api/auth/mfa/setup', auth: 'authenticated', body: false, asUser: true, url: () => '/api/auth/mfa/setup', bad: [] },
  {
    method: 'POST',
    path: '/api/auth/mfa/enable',
    auth: 'authenticated',
    body: true,
    asUser: true,
    url: () => '/api/auth/mfa/enable',
    bad: [
      { name: 'missing code', payload: {}, fields: ['code'] },
      { name: 'wrong type', payload: { code: 123456 }, fields: ['code'] },
      { name: 'too short / too long', payload: { code: '1' }, fields: ['code'] },
      { name: 'over-long', payload: { code: long(13) }, fields: ['code'] },
      { name: 'extra key', payload: { code: '123456', secret: 'x' }, fields: ['secret'] },
    ],
  },
  {
    method: 'POST',
    path: '/api/auth/mfa/disable',
    auth: 'authenticated',
    body: true,
    asUser: true,
    url: () => '/api/auth/mfa/disable',
    bad: [
      { name: 'missing fields', payload: {}, fields: ['password', 'code'] },
      { name: 'wrong types', payload: { password: false, code: {} }, fields: ['password', 'code'] },
      { name: 'over-long', payload: { password: long(1025), code: long(33) }, fields: ['password', 'code'] },
    ],
  },
  // ---- /api/auth passkeys
  { method: 'POST', path: '/api/auth/passkeys/registration-options', auth: 'authenticated', body: false, asUser: true, url: () => '/api/auth/passkeys/registration-options', bad: [] },
  {
    method: 'POST',
    path: '/api/auth/passkeys',
    auth: 'authenticated',
    body: true,
    asUser: true,
    url: () => '/api/auth/passkeys',
    bad: [
      { name: 'missing fields', payload: {}, fields: ['name', 'response'] },
      { name: 'wrong types', payload: { name: 1, response: 'x' }, fields: ['name', 'response'] },
      { name: 'over-long name', payload: { name: long(101), response: passkeyAnswer() }, fields: ['name'] },
      { name: 'not base64url', payload: { name: 'Key', response: { ...passkeyAnswer(), id: 'a b' } }, fields: ['id'] },
      { name: 'not a public key', payload: { name: 'Key', response: { ...passkeyAnswer(), type: 'password' } }, fields: ['type'] },
      { name: 'extra key', payload: { name: 'Key', response: passkeyAnswer(), userId: crypto.randomUUID() }, fields: ['userId'] },
    ],
  },
  {
    method: 'PATCH',
    path: '/api/auth/passkeys/{id}',
    auth: 'authenticated',
    body: true,
    asUser: true,
    url: () => `/api/auth/passkeys/${crypto.randomUUID()}`,
    bad: [
      { name: 'missing name', payload: {}, fields: ['name'] },
      { name: 'blank and over-long', payload: { name: '   ' }, fields: ['name'] },
      { name: 'extra key', payload: { name: 'Key', userId: crypto.randomUUID() }, fields: ['userId'] },
      ...idCases((id) => `/api/auth/passkeys/${id}`).map((c) => ({ ...c, payload: { name: 'Key' } })),
    ],
  },
  {
    method: 'DELETE',
    path: '/api/auth/passkeys/{id}',
    auth: 'authenticated',
    body: true,
    asUser: true,
    url: () => `/api/auth/passkeys/${crypto.randomUUID()}`,
    bad: [
      { name: 'wrong type', payload: { password: 42 }, fields: ['password'] },
      { name: 'extra key', payload: { password: GOOD_PASSWORD, force: true }, fields: ['force'] },
      ...idCases((id) => `/api/auth/passkeys/${id}`),
    ],
  },
  {
    method: 'POST',
    path: '/api/auth/passkey/options',
    auth: 'public',
    body: true,
    url: () => '/api/auth/passkey/options',
    bad: [
      { name: 'wrong type', payload: { mfaToken: 1 }, fields: ['mfaToken'] },
      { name: 'over-long', payload: { mfaToken: long(2049) }, fields: ['mfaToken'] },
      { name: 'extra key', payload: { email: 'a@example.test' }, fields: ['email'] },
    ],
  },
  {
    method: 'POST',
    path: '/api/auth/passkey/login',
    auth: 'public',
    body: true,
    url: () => '/api/auth/passkey/login',
    bad: [
      { name: 'missing response', payload: {}, fields: ['response'] },
      { name: 'missing signature', payload: { response: { ...passkeyAnswer(), response: { clientDataJSON: 'e30', authenticatorData: 'AA' } } }, fields: ['signature'] },
      { name: 'over-long', payload: { response: { ...passkeyAnswer(), id: long(1367) } }, fields: ['id'] },
      { name: 'extra key', payload: { response: passkeyAnswer(), email: 'a@example.test' }, fields: ['email'] },
    ],
  },
  {
    method: 'POST',
    path: '/api/auth/mfa/passkey',
    auth: 'public',
    body: true,
    url: () => '/api/auth/mfa/passkey',
    bad: [
      { name: 'missing fields', payload: {}, fields: ['mfaToken', 'response'] },
      { name: 'wrong types', payload: { mfaToken: 1, response: [] }, fields: ['mfaToken', 'response'] },
      { name: 'extra key', payload: { mfaToken: 'x', response: passkeyAnswer(), code: '123456' }, fields: ['code'] },
    ],
  },
  // ---- /api/users
  {
    method: 'POST',
    path: '/api/users',
    auth: 'permission',
    body: true,
    url: () => '/api/users',
    bad: [
      { name: 'missing fields', payload: {}, fields: ['email', 'name', 'password'] },
      { name: 'wrong types', payload: { email: 42, name: [], password: true, isActive: 'yes' }, fields: ['email', 'name', 'password'] },
      { name: 'over-long strings', payload: { ...validUser(), name: long(201), department: long(101) }, fields: ['name', 'department'] },
      { name: 'over-long email and password', payload: { ...validUser(), email: `${long(250)}@example.test`, password: long(1025) }, fields: ['email', 'password'] },
      { name: 'blank name', payload: { ...validUser(), name: '   ' }, fields: ['name'] },
      { name: 'bad phone', payload: { ...validUser(), phone: 'call me maybe' }, fields: ['phone'] },
      { name: 'too many roles', payload: { ...validUser(), roles: many(21, (i) => `role-${i}`) }, fields: ['roles'] },
      { name: 'huge roles array', payload: { ...validUser(), roles: many(10_000, () => 'viewer') }, fields: ['roles'] },
      { name: 'empty role name', payload: { ...validUser(), roles: [''] }, fields: ['roles'] },
      { name: 'roles not an array', payload: { ...validUser(), roles: 'admin' }, fields: ['roles'] },
      { name: 'metadata not an object', payload: { ...validUser(), metadata: [1, 2] }, fields: ['metadata'] },
      { name: 'metadata too many keys', payload: { ...validUser(), metadata: Object.fromEntries(many(101, (i) => [`k${i}`, i])) }, fields: ['metadata'] },
      { name: 'metadata too large', payload: { ...validUser(), metadata: { blob: long(17_000) } }, fields: ['metadata'] },
      { name: 'fields nobody may set', payload: { ...validUser(), orgId: crypto.randomUUID(), isPlatformAdmin: true }, fields: ['orgId', 'isPlatformAdmin'] },
      { name: 'weak password', payload: { ...validUser(), password: 'password123' }, fields: ['password'], code: 'weak_password' },
      { name: 'unknown role', payload: { ...validUser(), roles: ['no-such-role'] }, fields: ['roles'], code: 'unknown_role' },
    ],
  },
  {
    method: 'PATCH',
    path: '/api/users/{id}',
    auth: 'permission',
    body: true,
    url: () => `/api/users/${ids.target}`,
    bad: [
      ...idCases((id) => `/api/users/${id}`),
      { name: 'empty body', payload: {}, fields: [] },
      { name: 'wrong types', payload: { name: 1, isActive: 'no', department: 5 }, fields: ['name', 'isActive', 'department'] },
      { name: 'over-long', payload: { name: long(201), phone: long(21) }, fields: ['name', 'phone'] },
      { name: 'bad email', payload: { email: 'nope' }, fields: ['email'] },
      { name: 'org, roles, password', payload: { name: 'X', orgId: crypto.randomUUID(), roles: ['admin'], password: GOOD_PASSWORD }, fields: ['orgId', 'roles', 'password'] },
      { name: 'metadata not an object', payload: { metadata: 'x' }, fields: ['metadata'] },
    ],
  },
  { method: 'DELETE', path: '/api/users/{id}', auth: 'permission', body: false, url: () => `/api/users/${ids.target}`, bad: idCases((id) => `/api/users/${id}`) },
  ...(['deactivate', 'activate', 'restore', 'erase'] as const).map(
    (action): RouteSpec => ({
      method: 'POST',
      path: `/api/users/{id}/${action}`,
      auth: 'permission',
      body: false,
      url: () => `/api/users/${ids.target}/${action}`,
      bad: idCases((id) => `/api/users/${id}/${action}`),
    }),
  ),
  {
    method: 'PUT',
    path: '/api/users/{id}/roles',
    auth: 'permission',
    body: true,
    url: () => `/api/users/${ids.target}/roles`,
    bad: [
      ...idCases((id) => `/api/users/${id}/roles`),
      { name: 'missing roles', payload: {}, fields: ['roles'] },
      { name: 'not an array', payload: { roles: 'admin' }, fields: ['roles'] },
      { name: 'wrong item types', payload: { roles: [1, null] }, fields: ['roles'] },
      { name: 'too many', payload: { roles: many(21, () => 'viewer') }, fields: ['roles'] },
      { name: 'huge array', payload: { roles: many(50_000, () => 'viewer') }, fields: ['roles'] },
      { name: 'over-long name', payload: { roles: [long(65)] }, fields: ['roles'] },
      { name: 'extra key', payload: { roles: ['viewer'], replace: false }, fields: ['replace'] },
      { name: 'unknown role', payload: { roles: ['ghost'] }, fields: ['roles'], code: 'unknown_role' },
    ],
  },
  {
    method: 'POST',
    path: '/api/users/{id}/permissions',
    auth: 'permission',
    body: true,
    url: () => `/api/users/${ids.target}/permissions`,
    bad: [
      ...idCases((id) => `/api/users/${id}/permissions`),
      { name: 'missing permission', payload: {}, fields: ['permission'] },
      { name: 'wrong types', payload: { permission: 7, condition: 1 }, fields: ['permission', 'condition'] },
      { name: 'too short / long', payload: { permission: 'ab' }, fields: ['permission'] },
      { name: 'over-long', payload: { permission: long(101) }, fields: ['permission'] },
      { name: 'bad condition', payload: { permission: 'users:read', condition: 'sometimes' }, fields: ['condition'] },
      { name: 'extra key', payload: { permission: 'users:read', grantedBy: crypto.randomUUID() }, fields: ['grantedBy'] },
      { name: 'not in the catalogue', payload: { permission: 'users:fly' }, fields: ['permission'], code: 'unknown_permission' },
    ],
  },
  {
    method: 'DELETE',
    path: '/api/users/{id}/permissions/{permission}',
    auth: 'permission',
    body: false,
    url: () => `/api/users/${ids.target}/permissions/users:read`,
    bad: [
      ...idCases((id) => `/api/users/${id}/permissions/users:read`),
      { name: 'permission too short', url: `/api/users/{target}/permissions/ab`, fields: ['permission'] },
    ],
  },
  {
    method: 'DELETE',
    path: '/api/users/{id}/sessions/{sessionId}',
    auth: 'permission',
    body: false,
    url: () => `/api/users/${ids.target}/sessions/${ids.targetSession}`,
    bad: [
      ...idCases((id) => `/api/users/${id}/sessions/${ids.targetSession}`),
      ...badIds.map(([name, id]): BadCase => ({ name: `session id is ${name}`, url: `/api/users/{target}/sessions/${id}`, fields: ['sessionId'] })),
    ],
  },
  {
    method: 'POST',
    path: '/api/users/{id}/sessions/revoke-all',
    auth: 'permission',
    body: false,
    url: () => `/api/users/${ids.target}/sessions/revoke-all`,
    bad: idCases((id) => `/api/users/${id}/sessions/revoke-all`),
  },
  // ---- /api/roles
  {
    method: 'POST',
    path: '/api/roles',
    auth: 'permission',
    body: true,
    url: () => '/api/roles',
    bad: [
      { name: 'missing fields', payload: {}, fields: ['name', 'displayName'] },
      { name: 'wrong types', payload: { name: 1, displayName: false, permissions: {} }, fields: ['name', 'displayName', 'permissions'] },
      { name: 'bad name', payload: { name: 'Has Spaces!', displayName: 'X' }, fields: ['name'] },
      { name: 'over-long', payload: { name: `r${long(63)}`, displayName: long(101), description: long(501) }, fields: ['name', 'displayName', 'description'] },
      { name: 'too many permissions', payload: { name: 'many-perms', displayName: 'X', permissions: many(201, () => 'users:read') }, fields: ['permissions'] },
      { name: 'huge permissions array', payload: { name: 'huge-perms', displayName: 'X', permissions: many(20_000, () => 'users:read') }, fields: ['permissions'] },
      { name: 'bad grant', payload: { name: 'bad-grant', displayName: 'X', permissions: [{ permission: 'users:read', condition: 'sometimes' }] }, fields: ['permissions'] },
      { name: 'grant with extra key', payload: { name: 'bad-grant', displayName: 'X', permissions: [{ permission: 'users:read', role: 'admin' }] }, fields: ['permissions'] },
      { name: 'isSystem', payload: { name: 'sneaky', displayName: 'X', isSystem: true }, fields: ['isSystem'] },
      { name: 'unknown permission', payload: { name: 'unknown-perm', displayName: 'X', permissions: ['users:fly'] }, fields: ['permissions'], code: 'unknown_permission' },
    ],
  },
  {
    method: 'PATCH',
    path: '/api/roles/{id}',
    auth: 'permission',
    body: true,
    url: () => `/api/roles/${ids.role}`,
    bad: [
      ...idCases((id) => `/api/roles/${id}`),
      { name: 'empty body', payload: {}, fields: [] },
      { name: 'renaming is not allowed', payload: { name: 'renamed' }, fields: ['name'] },
      { name: 'wrong types', payload: { displayName: 1, permissions: 'users:read' }, fields: ['displayName', 'permissions'] },
      { name: 'over-long', payload: { displayName: long(101), description: long(501) }, fields: ['displayName', 'description'] },
      { name: 'bad permission items', payload: { permissions: [42] }, fields: ['permissions'] },
      { name: 'isSystem', payload: { isSystem: true }, fields: ['isSystem'] },
    ],
  },
  { method: 'DELETE', path: '/api/roles/{id}', auth: 'permission', body: false, url: () => `/api/roles/${ids.role}`, bad: idCases((id) => `/api/roles/${id}`) },
  // ---- /api/organizations
  {
    method: 'PATCH',
    path: '/api/organizations/current',
    auth: 'permission',
    body: true,
    url: () => '/api/organizations/current',
    bad: [
      { name: 'empty body', payload: {}, fields: [] },
      { name: 'wrong types', payload: { name: 5, settings: [1] }, fields: ['name', 'settings'] },
      { name: 'over-long', payload: { name: long(201) }, fields: ['name'] },
      { name: 'settings too large', payload: { settings: { blob: long(17_000) } }, fields: ['settings'] },
      { name: 'slug and id', payload: { slug: 'other', id: crypto.randomUUID() }, fields: ['slug', 'id'] },
    ],
  },
  {
    method: 'POST',
    path: '/api/organizations',
    auth: 'platform_admin',
    body: true,
    url: () => '/api/organizations',
    bad: [
      { name: 'missing fields', payload: {}, fields: ['name', 'slug', 'admin'] },
      { name: 'wrong types', payload: { name: 1, slug: 2, admin: 'me' }, fields: ['name', 'slug', 'admin'] },
      { name: 'bad slug', payload: { name: 'X', slug: 'Not A Slug', admin: { email: 'a@example.test', name: 'A', password: GOOD_PASSWORD } }, fields: ['slug'] },
      { name: 'over-long', payload: { name: long(201), slug: `a${long(63)}`, admin: { email: 'a@example.test', name: 'A', password: GOOD_PASSWORD } }, fields: ['name', 'slug'] },
      { name: 'bad admin', payload: { name: 'X', slug: 'bad-admin', admin: { email: 'nope', name: '', password: 1 } }, fields: ['admin.email', 'admin.name', 'admin.password'] },
      { name: 'admin extra key', payload: { name: 'X', slug: 'extra-admin', admin: { email: 'a@example.test', name: 'A', password: GOOD_PASSWORD, isPlatformAdmin: true } }, fields: ['isPlatformAdmin'] },
      { name: 'weak admin password', payload: { name: 'X', slug: `weak-${crypto.randomBytes(3).toString('hex')}`, admin: { email: 'a@example.test', name: 'A', password: 'password123' } }, fields: ['admin.password'], code: 'weak_password' },
    ],
  },
  {
    method: 'POST',
    path: '/api/organizations/current/sso-providers',
    auth: 'permission',
    body: true,
    url: () => '/api/organizations/current/sso-providers',
    bad: [
      { name: 'missing fields', payload: {}, fields: ['name', 'issuer', 'clientId', 'clientSecret', 'allowedDomains'] },
      { name: 'wrong types', payload: { name: 1, issuer: 2, clientId: [], clientSecret: {}, allowedDomains: 'x.test', jitEnabled: 'yes' }, fields: ['name', 'issuer', 'clientId', 'clientSecret', 'allowedDomains', 'jitEnabled'] },
      { name: 'plain http issuer, bad domains', payload: { name: 'X', issuer: 'http://idp.example.com', clientId: 'c', clientSecret: 's', allowedDomains: ['not a domain'] }, fields: ['issuer', 'allowedDomains.0'] },
      { name: 'over-long', payload: { name: long(101), issuer: `https://${long(500)}.test`, clientId: long(501), clientSecret: long(2001), allowedDomains: many(51, (i) => `d${i}.test`) }, fields: ['name', 'issuer', 'clientId', 'clientSecret', 'allowedDomains'] },
      { name: 'extra key', payload: { name: 'X', issuer: 'https://idp.example.com', clientId: 'c', clientSecret: 's', allowedDomains: ['x.test'], orgId: crypto.randomUUID() }, fields: ['orgId'] },
      { name: 'JIT without a role', payload: { name: 'X', issuer: 'https://idp.example.com', clientId: 'c', clientSecret: 's', allowedDomains: ['x.test'], jitEnabled: true }, fields: ['defaultRole'], code: 'unknown_role' },
    ],
  },
  {
    method: 'PATCH',
    path: '/api/organizations/current/sso-providers/{id}',
    auth: 'permission',
    body: true,
    url: () => `/api/organizations/current/sso-providers/${ids.sso}`,
    bad: [
      { name: 'empty body', payload: {}, fields: [] },
      { name: 'wrong types', payload: { enabled: 'no', allowedDomains: [] }, fields: ['enabled', 'allowedDomains'] },
      { name: 'extra key', payload: { hasClientSecret: false }, fields: ['hasClientSecret'] },
      ...idCases((id) => `/api/organizations/current/sso-providers/${id}`),
    ],
  },
  {
    method: 'DELETE',
    path: '/api/organizations/current/sso-providers/{id}',
    auth: 'permission',
    body: false,
    url: () => `/api/organizations/current/sso-providers/${ids.sso}`,
    bad: idCases((id) => `/api/organizations/current/sso-providers/${id}`),
  },
  // ---- /api/api-keys
  {
    method: 'POST',
    path: '/api/api-keys',
    auth: 'permission',
    body: true,
    url: () => '/api/api-keys',
    bad: [
      { name: 'missing name', payload: {}, fields: ['name'] },
      { name: 'wrong types', payload: { name: 1, permissions: 'all', expiresAt: 5 }, fields: ['name', 'permissions', 'expiresAt'] },
      { name: 'over-long', payload: { name: long(101), permissions: [long(101)] }, fields: ['name', 'permissions'] },
      { name: 'too many permissions', payload: { name: 'k', permissions: many(101, () => 'users:read') }, fields: ['permissions'] },
      { name: 'huge permissions array', payload: { name: 'k', permissions: many(50_000, () => 'users:read') }, fields: ['permissions'] },
      { name: 'not a timestamp', payload: { name: 'k', expiresAt: 'tomorrow' }, fields: ['expiresAt'] },
      { name: 'extra key', payload: { name: 'k', key: 'imsop_mine' }, fields: ['key'] },
      { name: 'fields nobody may set', payload: { name: 'k', orgId: crypto.randomUUID(), createdBy: crypto.randomUUID() }, fields: ['orgId', 'createdBy'] },
      { name: 'expiry in the past', payload: { name: 'k', expiresAt: '2001-01-01T00:00:00Z' }, fields: ['expiresAt'], code: 'invalid_expiry' },
      { name: 'unknown permission', payload: { name: 'k', permissions: ['users:fly'] }, fields: ['permissions'], code: 'unknown_permission' },
    ],
  },
  { method: 'DELETE', path: '/api/api-keys/{id}', auth: 'permission', body: false, url: () => `/api/api-keys/${ids.key}`, bad: idCases((id) => `/api/api-keys/${id}`) },
];

const PREFIXES = ['/api/users', '/api/roles', '/api/api-keys', '/api/organizations', '/api/auth'];
const tokenFor = (r: RouteSpec) => (r.asUser ? throwaway.token : t.adminToken);
const send = (r: RouteSpec, opts: { url?: string; payload?: unknown; headers?: Record<string, string> }) =>
  t.inject({
    method: r.method,
    url: (opts.url ?? r.url()).replace('{target}', ids.target),
    headers: opts.headers ?? {},
    ...(opts.payload === undefined ? {} : { payload: opts.payload as object }),
  });

function expectFieldErrors(res: LightMyRequestResponse, c: BadCase) {
  const p = expectProblem(res, 400, c.code) as unknown as { errors?: { path: string; message: string }[] };
  expect(Array.isArray(p.errors) && p.errors.length > 0, `${c.name}: errors listed`).toBe(true);
  for (const f of c.fields) {
    const named = p.errors!.some((e) => `${e.path}.`.includes(`.${f}.`) || e.path === f || e.path.startsWith(`${f}.`) || e.message.includes(`"${f}"`));
    expect(named, `${c.name}: an error names "${f}" in ${JSON.stringify(p.errors)}`).toBe(true);
  }
  if (c.fields.length === 0) expect(p.errors!.every((e) => e.path === 'body' || e.path.startsWith('body.'))).toBe(true);
}

/** The target's state, to show that refused requests changed nothing. */
async function targetState() {
  const get = (url: string) => t.inject({ method: 'GET', url, headers: bearer(t.adminToken) }).then((r) => r.json());
  return {
    user: await get(`/api/users/${ids.target}`),
    perms: await get(`/api/users/${ids.target}/permissions`),
    sessions: ((await get(`/api/users/${ids.target}/sessions`)).data as { id: string }[]).map((x) => x.id),
    role: await get(`/api/roles/${ids.role}`),
    keys: await get('/api/api-keys'),
    org: await get('/api/organizations/current'),
    orgs: await get('/api/organizations'),
    users: (await get('/api/users?deleted=include&limit=200')).data.length,
  };
}

describe('the table covers every mutating identity route', () => {
  it('matches the OpenAPI document', async () => {
    const doc = (await t.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .map((m) => m.toUpperCase())
        .filter((m) => ['POST', 'PATCH', 'PUT', 'DELETE'].includes(m) && PREFIXES.some((p) => path.startsWith(p)))
        .map((m) => `${m} ${path}`),
    );
    const tabled = routes.map((r) => `${r.method} ${r.path}`);
    expect(new Set(tabled).size).toBe(tabled.length);
    expect([...tabled].sort()).toEqual([...documented].sort());
    expect(documented.length).toBeGreaterThanOrEqual(25);
  });
});

describe('bad input answers 400 problem+json naming the field', () => {
  for (const r of routes) {
    if (r.bad.length === 0) continue;
    it(`${r.method} ${r.path}`, async () => {
      const before = await targetState();
      for (const c of r.bad) {
        const res = await send(r, { url: c.url, payload: c.payload, headers: bearer(tokenFor(r)) });
        expect(res.statusCode, `${c.name}: ${res.body.slice(0, 500)}`).toBe(400);
        expectFieldErrors(res, c);
      }
      expect(await targetState()).toEqual(before);
    });
  }
});

describe('malformed bodies are refused before any work', () => {
  for (const r of routes) {
    it(`${r.method} ${r.path}`, async () => {
      const headers = { ...bearer(tokenFor(r)), 'content-type': 'application/json' };
      const before = await targetState();
      expectProblem(await send(r, { payload: '{"email": ', headers }), 400);
      expectProblem(await send(r, { payload: 'hello', headers: { ...bearer(tokenFor(r)), 'content-type': 'text/plain' } }), 415);
      expectProblem(await send(r, { payload: JSON.stringify({ blob: long(1_100_000) }), headers }), 413);
      if (r.body) {
        for (const payload of ['[]', '"a string"', '42', 'true']) {
          const res = await send(r, { payload, headers });
          // A bare null or a non-object is a body of the wrong type.
          expectProblem(res, 400);
        }
      }
      expect(await targetState()).toEqual(before);
      // The throwaway user's session survived every refused request.
      expect((await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(throwaway.token) })).statusCode).toBe(200);
    });
  }
});

describe('authentication and permissions come first', () => {
  it('answers 401 without credentials, or with bad ones, on every non-public route', async () => {
    const guarded = routes.filter((r) => r.auth !== 'public');
    expect(guarded.length).toBeGreaterThan(20);
    const before = await targetState();
    for (const r of guarded) {
      const anonymous: Record<string, string>[] = [{}, bearer('not-a-token'), { 'x-api-key': 'imsop_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbb' }, { authorization: 'Basic YWRtaW46YWRtaW4=' }];
      for (const headers of anonymous) {
        const res = await send(r, { headers, payload: r.body ? {} : undefined });
        expect(res.statusCode, `${r.method} ${r.path} ${JSON.stringify(headers)}`).toBe(401);
        expectProblem(res, 401, 'unauthorized');
      }
    }
    expect(await targetState()).toEqual(before);
  });

  it('answers 403 to a viewer on every route that needs a permission, whatever the body', async () => {
    const needy = routes.filter((r) => r.auth === 'permission' || r.auth === 'platform_admin');
    expect(needy.length).toBeGreaterThan(15);
    const before = await targetState();
    for (const r of needy) {
      for (const payload of r.body ? [{}, ...r.bad.map((c) => c.payload)] : [undefined]) {
        const res = await send(r, { headers: bearer(viewer.token), payload });
        expect(res.statusCode, `${r.method} ${r.path}: ${res.body}`).toBe(403);
        expectProblem(res, 403, 'forbidden');
      }
    }
    expect(await targetState()).toEqual(before);
    expect((await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(viewer.token) })).statusCode).toBe(200);
  });
});

describe('list queries', () => {
  const uuid = crypto.randomUUID();
  const cases: [string, string, string][] = [
    ['/api/audit-logs', 'limit=0', 'validation_failed'],
    ['/api/audit-logs', 'userId=not-a-uuid', 'validation_failed'],
    ['/api/audit-logs', 'from=yesterday', 'validation_failed'],
    ['/api/audit-logs', 'unknown=1', 'validation_failed'],
    ['/api/audit-logs', `cursor=${encodeCursor('not-a-number', uuid)}`, 'invalid_cursor'],
    ['/api/audit-logs', `cursor=${encodeCursor(1.5, uuid)}`, 'invalid_cursor'],
    ['/api/audit-logs', `cursor=${encodeCursor(10, 'not-a-uuid')}`, 'invalid_cursor'],
    ['/api/audit-logs', `cursor=${encodeCursor(null, uuid)}`, 'invalid_cursor'],
    ['/api/activity-logs', 'to=2020-13-45', 'validation_failed'],
    ['/api/activity-logs', `cursor=${encodeCursor('not a date', uuid)}`, 'invalid_cursor'],
    ['/api/activity-logs', `cursor=${encodeCursor(null, uuid)}`, 'invalid_cursor'],
    ['/api/activity-logs', `cursor=${encodeCursor(5, uuid)}`, 'invalid_cursor'],
    ['/api/activity-logs', `cursor=${encodeCursor('2024-02-31T00:00:00.000Z', uuid)}`, 'invalid_cursor'],
    ['/api/activity-logs', `cursor=${encodeCursor('0000-01-01T00:00:00.000Z', uuid)}`, 'invalid_cursor'],
    ['/api/activity-logs', `cursor=${encodeCursor('2024-01-01', uuid)}`, 'invalid_cursor'],
    ['/api/users', `cursor=${encodeCursor('2024-02-31T00:00:00.000Z', uuid)}`, 'invalid_cursor'],
    ['/api/users', `sort=lastLogin&cursor=${encodeCursor('0000-01-01T00:00:00.000Z', uuid)}`, 'invalid_cursor'],
    ['/api/activity-logs', `cursor=${encodeCursor(new Date().toISOString(), 'x')}`, 'invalid_cursor'],
    ['/api/users', `cursor=${encodeCursor(new Date().toISOString(), 'x')}`, 'invalid_cursor'],
    ['/api/users', 'sort=-password', 'invalid_sort'],
  ];
  it('refuse bad filters and forged cursors with 400, never 500', async () => {
    for (const [path, query, code] of cases) {
      const res = await t.inject({ method: 'GET', url: `${path}?${query}`, headers: bearer(t.adminToken) });
      expect(res.statusCode, `${path}?${query}: ${res.body}`).toBe(400);
      expectProblem(res, 400, code);
    }
  });

  it('accept the cursors they issue (audit and activity logs walk to the end)', async () => {
    for (const path of ['/api/audit-logs', '/api/activity-logs']) {
      const seen = new Set<string>();
      let cursor: string | null = null;
      let total = 0;
      do {
        const res = await t.inject({ method: 'GET', url: `${path}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: bearer(t.adminToken) });
        expect(res.statusCode, res.body).toBe(200);
        const page = res.json() as { data: { id: string }[]; nextCursor: string | null };
        for (const row of page.data) seen.add(row.id);
        total += page.data.length;
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.size).toBe(total);
      const all = (await t.inject({ method: 'GET', url: `${path}?limit=200`, headers: bearer(t.adminToken) })).json().data as { id: string }[];
      expect(all.length).toBeLessThan(200);
      expect(all.map((r) => r.id).sort()).toEqual([...seen].sort());
    }
  });
});

describe('values the database cannot store', () => {
  const NUL = 'a\u0000b';

  it('refuses U+0000 in any body field, key or query parameter with 400 naming it', async () => {
    const cases: { method: 'GET' | Method; url: string; payload?: unknown; field: string; token?: () => string }[] = [
      { method: 'POST', url: '/api/users', payload: { ...validUser(), name: NUL }, field: 'body.name' },
      { method: 'POST', url: '/api/users', payload: { ...validUser(), metadata: { note: NUL } }, field: 'body.metadata.note' },
      { method: 'POST', url: '/api/users', payload: { ...validUser(), metadata: { [`k${'\u0000'}`]: 1 } }, field: 'body.metadata' },
      { method: 'POST', url: '/api/users', payload: { ...validUser(), roles: ['viewer', NUL] }, field: 'body.roles.1' },
      { method: 'PATCH', url: '/api/users/{target}', payload: { department: NUL }, field: 'body.department' },
      { method: 'PUT', url: '/api/users/{target}/roles', payload: { roles: [NUL] }, field: 'body.roles.0' },
      { method: 'POST', url: '/api/users/{target}/permissions', payload: { permission: `users:${NUL}` }, field: 'body.permission' },
      { method: 'DELETE', url: `/api/users/{target}/permissions/${encodeURIComponent(`users:${NUL}`)}`, field: 'params.permission' },
      { method: 'POST', url: '/api/roles', payload: { name: 'nul-role', displayName: NUL }, field: 'body.displayName' },
      { method: 'PATCH', url: '/api/roles/{role}', payload: { description: NUL }, field: 'body.description' },
      { method: 'POST', url: '/api/api-keys', payload: { name: NUL }, field: 'body.name' },
      { method: 'PATCH', url: '/api/organizations/current', payload: { settings: { deep: { list: ['ok', NUL] } } }, field: 'body.settings.deep.list.1' },
      { method: 'POST', url: '/api/organizations', payload: { name: NUL, slug: 'nul-org', admin: { email: 'n@example.test', name: 'N', password: GOOD_PASSWORD } }, field: 'body.name' },
      { method: 'POST', url: '/api/auth/login', payload: { email: 'admin@imsop.test', password: 'x', org: NUL }, field: 'body.org' },
      { method: 'POST', url: '/api/auth/login', payload: { email: 'admin@imsop.test', password: NUL }, field: 'body.password' },
      { method: 'POST', url: '/api/auth/password', payload: { currentPassword: GOOD_PASSWORD, newPassword: `Sturdy-${NUL}-Password` }, field: 'body.newPassword', token: () => throwaway.token },
      { method: 'GET', url: `/api/users?q=${encodeURIComponent(NUL)}`, field: 'querystring.q' },
      { method: 'GET', url: `/api/users?department=${encodeURIComponent(NUL)}`, field: 'querystring.department' },
      { method: 'GET', url: `/api/users?role=${encodeURIComponent(NUL)}`, field: 'querystring.role' },
      { method: 'GET', url: `/api/audit-logs?action=${encodeURIComponent(NUL)}`, field: 'querystring.action' },
      { method: 'GET', url: `/api/audit-logs?entityId=${encodeURIComponent(NUL)}`, field: 'querystring.entityId' },
      { method: 'GET', url: `/api/audit-logs?entityType=${encodeURIComponent(NUL)}`, field: 'querystring.entityType' },
      { method: 'GET', url: `/api/activity-logs?action=${encodeURIComponent(NUL)}`, field: 'querystring.action' },
    ];
    const before = await targetState();
    for (const c of cases) {
      const url = c.url.replace('{target}', ids.target).replace('{role}', ids.role);
      const res = await t.inject({ method: c.method, url, headers: bearer(c.token?.() ?? t.adminToken), ...(c.payload ? { payload: c.payload as object } : {}) });
      expect(res.statusCode, `${c.method} ${c.url}: ${res.body.slice(0, 300)}`).toBe(400);
      const p = expectProblem(res, 400, 'validation_failed') as unknown as { errors: { path: string }[] };
      expect(p.errors.map((e) => e.path).some((path) => path === c.field || path.startsWith(`${c.field}.`)), `${c.url}: ${JSON.stringify(p.errors)}`).toBe(true);
    }
    // Nor in a forged cursor's sort value.
    const cursor = encodeCursor(NUL, crypto.randomUUID());
    expectProblem(await t.inject({ method: 'GET', url: `/api/users?sort=name&cursor=${cursor}`, headers: bearer(t.adminToken) }), 400, 'invalid_cursor');
    expect(await targetState()).toEqual(before);
  });

  it('refuses JSON nested deeper than 16 levels in metadata and settings, and keeps what fits', async () => {
    const before = await targetState();
    const headers = { ...bearer(t.adminToken), 'content-type': 'application/json' };
    // Written by hand: JSON.stringify itself cannot walk the deepest of these.
    const deep = (levels: number) => `{"deep":${'['.repeat(levels - 1)}1${']'.repeat(levels - 1)}}`;
    const user = JSON.stringify(validUser()).slice(0, -1);
    for (const depth of [17, 200, 3_000, 100_000]) {
      for (const [method, url, payload] of [
        ['POST', '/api/users', `${user},"metadata":${deep(depth)}}`],
        ['PATCH', `/api/users/${ids.target}`, `{"metadata":${deep(depth)}}`],
        ['PATCH', '/api/organizations/current', `{"settings":${deep(depth)}}`],
      ] as [Method, string, string][]) {
        const res = await t.inject({ method, url, headers, payload });
        expect(res.statusCode, `${method} ${url} depth ${depth}: ${res.body.slice(0, 200)}`).toBe(400);
        const p = expectProblem(res, 400, 'validation_failed') as unknown as { errors: { path: string; message: string }[] };
        expect(p.errors.some((e) => /\.(metadata|settings)$/.test(e.path) && /nesting/.test(e.message)), JSON.stringify(p.errors)).toBe(true);
      }
    }
    expect(await targetState()).toEqual(before);
    // Exactly 16 levels is accepted and comes back as sent.
    const ok = await t.inject({ method: 'POST', url: '/api/users', headers, payload: `${user},"metadata":${deep(16)}}` });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().metadata).toEqual(JSON.parse(deep(16)));
  });
});

describe('never a 5xx', () => {
  // Random JSON at every body route, as the admin (so validation, not permissions, is what answers).
  const bodyRoutes = () => routes.filter((r) => r.body);
  // Any code point, U+0000 included.
  const json = fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' });
  const keyed = (r: RouteSpec) => {
    const keys = [...new Set(r.bad.flatMap((c) => (c.payload && typeof c.payload === 'object' && !Array.isArray(c.payload) ? Object.keys(c.payload) : [])))];
    return fc.dictionary(fc.constantFrom(...keys, 'extra'), json, { maxKeys: 5 });
  };
  it('for random bodies on every mutating route with a body', async () => {
    for (const r of bodyRoutes()) {
      await fc.assert(
        fc.asyncProperty(fc.oneof(json, keyed(r), keyed(r)), async (payload) => {
          const res = await t.inject({
            method: r.method,
            url: r.url(),
            headers: { ...bearer(tokenFor(r)), 'content-type': 'application/json' },
            payload: JSON.stringify(payload),
          });
          if (res.statusCode >= 500) throw new Error(`${r.method} ${r.path} ${JSON.stringify(payload)} -> ${res.statusCode} ${res.body}`);
          if (res.statusCode >= 400) expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
        }),
        { numRuns: 30, seed: 20240601 },
      );
    }
  });

  it('for random path parameters', async () => {
    const paths = routes.filter((r) => r.path.includes('{id}'));
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80 }), fc.constantFrom(...paths), async (raw, r) => {
        const url = r.path.replace('{id}', encodeURIComponent(raw)).replace('{permission}', 'users:read');
        const res = await t.inject({ method: r.method, url, headers: bearer(tokenFor(r)) });
        if (res.statusCode >= 500) throw new Error(`${r.method} ${url} -> ${res.statusCode} ${res.body}`);
        expect([400, 404]).toContain(res.statusCode);
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});

describe('malformed multipart uploads', () => {
  const boundary = '----imsopcut';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n`;
  const whole = `${head}hello world\r\n--${boundary}--\r\n`;
  /** Bodies cut off or broken anywhere: each answers 4xx problem+json, never 5xx. */
  const bodies: [string, string | Buffer, string][] = [
    ['cut inside the file (no closing boundary)', `${head}hello wor`, `multipart/form-data; boundary=${boundary}`],
    ['cut inside the part headers', head.slice(0, 40), `multipart/form-data; boundary=${boundary}`],
    ['cut right after the opening boundary', `--${boundary}\r\n`, `multipart/form-data; boundary=${boundary}`],
    ['cut inside the closing boundary', whole.slice(0, whole.length - 8), `multipart/form-data; boundary=${boundary}`],
    ['only the closing boundary', `--${boundary}--\r\n`, `multipart/form-data; boundary=${boundary}`],
    ['empty body', '', `multipart/form-data; boundary=${boundary}`],
    ['no boundary parameter', whole, 'multipart/form-data'],
    ['another boundary than declared', whole, 'multipart/form-data; boundary=somethingelse'],
    ['part headers without a blank line', `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nhello\r\n--${boundary}--\r\n`, `multipart/form-data; boundary=${boundary}`],
    ['a field instead of a file', `--${boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\nplain\r\n--${boundary}--\r\n`, `multipart/form-data; boundary=${boundary}`],
    ['two files', `${head}a\r\n${head}b\r\n--${boundary}--\r\n`, `multipart/form-data; boundary=${boundary}`],
    ['binary garbage', crypto.randomBytes(4096), `multipart/form-data; boundary=${boundary}`],
  ];
  for (const [name, payload, contentType] of bodies) {
    it(`${name}: 4xx problem+json`, async () => {
      for (const auth of [bearer(t.adminToken), {}]) {
        const res = await t.inject({ method: 'POST', url: '/api/upload?org=default', headers: { ...auth, 'content-type': contentType }, payload });
        expect(res.statusCode, `${name}: ${res.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${name}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
        expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
      }
    });
  }
  it('a whole body still uploads', async () => {
    const res = await t.inject({ method: 'POST', url: '/api/upload', headers: { ...bearer(t.adminToken), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: whole });
    expect(res.statusCode, res.body).toBe(201);
  });
});
