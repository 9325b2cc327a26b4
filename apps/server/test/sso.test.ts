import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createOrg, createUser, createTestApp, expectProblem, GOOD_PASSWORD, uniqueEmail, type TestApp } from './helpers.ts';
import { startIdp, type TestIdp } from './oidc-idp.ts';

const PUBLIC_URL = 'http://imsop.test';
const CALLBACK = `${PUBLIC_URL}/api/auth/sso/callback`;

let t: TestApp;
let idp: TestIdp;
let now = Date.now();

const cookieOf = (res: LightMyRequestResponse, name: string) => {
  const c = res.cookies.find((x) => x.name === name);
  return c ? `${name}=${c.value}` : undefined;
};

async function createProvider(token: string, patch: Record<string, unknown> = {}) {
  const res = await t.inject({
    method: 'POST',
    url: '/api/organizations/current/sso-providers',
    headers: bearer(token),
    payload: { name: 'Test IdP', issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, allowedDomains: ['acme.test'], ...patch },
  });
  if (res.statusCode !== 201) throw new Error(`createProvider: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string };
}

/** A whole sign-in, as a browser does it: start → provider → callback. Answers the callback's response. */
async function signIn(providerId: string, subject: string, tamper?: (callback: URL) => void) {
  const start = await t.inject({ method: 'GET', url: `/api/auth/sso/start?provider=${providerId}` });
  expect(start.statusCode, start.body).toBe(302);
  const stateCookie = cookieOf(start, 'imsop_sso');
  expect(stateCookie).toBeDefined();
  const authUrl = new URL(String(start.headers.location));
  expect(authUrl.origin).toBe(idp.issuer);
  expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authUrl.searchParams.get('nonce')).toBeTruthy();
  idp.signInAs(subject);
  const back = await idp.authorize(authUrl.href, CALLBACK);
  tamper?.(back);
  return t.inject({ method: 'GET', url: back.pathname + back.search, headers: { cookie: stateCookie! } });
}

const errorOf = (res: LightMyRequestResponse) => new URL(res.statusCode === 302 ? String(res.headers.location) : `http://x/?status=${res.statusCode}&body=${res.body}`).searchParams.get('sso_error') ?? new URL(String(res.headers.location)).searchParams.get('sso_error');

/** The signed-in user behind a successful callback's refresh cookie. */
async function meAfter(callback: LightMyRequestResponse) {
  expect(callback.statusCode, callback.body).toBe(302);
  expect(String(callback.headers.location)).toBe(`${PUBLIC_URL}/login?sso=done`);
  const refresh = await t.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie: cookieOf(callback, 'imsop_refresh')! } });
  expect(refresh.statusCode, refresh.body).toBe(200);
  const me = await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer((refresh.json() as { accessToken: string }).accessToken) });
  return me.json() as { id: string; email: string; name: string; orgId: string; roles: { name: string }[] };
}

async function auditActions(entityId: string) {
  const res = (await t.database.db.execute(sql`select action, changes->'details' as details from audit_logs where entity_id = ${entityId} order by seq`)) as unknown as {
    rows: { action: string; details: Record<string, unknown> }[];
  };
  return res.rows;
}

beforeAll(async () => {
  idp = await startIdp({ redirectUris: [CALLBACK] });
  t = await createTestApp({ PUBLIC_URL }, { clock: () => now });
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

describe('single sign-on configuration', () => {
  it('stores the client secret sealed and never returns it; audits without it', async () => {
    const p = await createProvider(t.adminToken, { name: 'Secretive' });
    const got = await t.inject({ method: 'GET', url: `/api/organizations/current/sso-providers/${p.id}`, headers: bearer(t.adminToken) });
    expect(got.json()).toMatchObject({ name: 'Secretive', hasClientSecret: true, allowedDomains: ['acme.test'] });
    expect(got.body).not.toContain(idp.clientSecret);
    const list = await t.inject({ method: 'GET', url: '/api/organizations/current/sso-providers', headers: bearer(t.adminToken) });
    expect(list.body).not.toContain(idp.clientSecret);
    const stored = (await t.database.db.execute(sql`select client_secret_sealed from sso_providers where id = ${p.id}`)) as unknown as { rows: { client_secret_sealed: string }[] };
    expect(stored.rows[0]!.client_secret_sealed).not.toContain(idp.clientSecret);
    const audit = (await t.database.db.execute(sql`select changes::text as c from audit_logs where entity_id = ${p.id}`)) as unknown as { rows: { c: string }[] };
    expect(audit.rows.length).toBe(1);
    expect(audit.rows[0]!.c).not.toContain(idp.clientSecret);
    const patched = await t.inject({ method: 'PATCH', url: `/api/organizations/current/sso-providers/${p.id}`, headers: bearer(t.adminToken), payload: { clientSecret: 'another-secret', enabled: false } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ enabled: false, hasClientSecret: true });
    const replaced = (await t.database.db.execute(sql`select changes->'details' as d from audit_logs where entity_id = ${p.id} and action = 'sso_provider.update'`)) as unknown as { rows: { d: unknown }[] };
    expect(replaced.rows.map((r) => r.d)).toEqual([{ credentialReplaced: true }]);
    expect((await t.inject({ method: 'DELETE', url: `/api/organizations/current/sso-providers/${p.id}`, headers: bearer(t.adminToken) })).statusCode).toBe(204);
    expectProblem(await t.inject({ method: 'GET', url: `/api/organizations/current/sso-providers/${p.id}`, headers: bearer(t.adminToken) }), 404);
  });

  it('needs org:update; another org’s provider ids answer 404', async () => {
    const p = await createProvider(t.adminToken);
    const manager = await createUser(t, { roles: ['manager'] });
    expectProblem(await t.inject({ method: 'GET', url: '/api/organizations/current/sso-providers', headers: bearer(manager.token) }), 403);
    expectProblem(await t.inject({ method: 'POST', url: '/api/organizations/current/sso-providers', headers: bearer(manager.token), payload: { name: 'x', issuer: idp.issuer, clientId: 'a', clientSecret: 'b', allowedDomains: ['acme.test'] } }), 403);
    expectProblem(await t.inject({ method: 'GET', url: '/api/organizations/current/sso-providers' }), 401);
    const other = await createOrg(t);
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const res = await t.inject({ method, url: `/api/organizations/current/sso-providers/${p.id}`, headers: bearer(other.token), ...(method === 'PATCH' ? { payload: { name: 'stolen' } } : {}) });
      expectProblem(res, 404);
    }
    const list = await t.inject({ method: 'GET', url: '/api/organizations/current/sso-providers', headers: bearer(other.token) });
    expect((list.json() as { data: unknown[] }).data).toEqual([]);
  });

  it('refuses bad input with 4xx problems', async () => {
    const post = (payload: Record<string, unknown>) =>
      t.inject({ method: 'POST', url: '/api/organizations/current/sso-providers', headers: bearer(t.adminToken), payload: { name: 'x', issuer: 'https://idp.example.com', clientId: 'a', clientSecret: 'b', allowedDomains: ['acme.test'], ...payload } });
    expectProblem(await post({ issuer: 'http://idp.example.com' }), 400, 'validation_failed');
    expectProblem(await post({ issuer: 'not a url' }), 400, 'validation_failed');
    expectProblem(await post({ allowedDomains: [] }), 400, 'validation_failed');
    expectProblem(await post({ allowedDomains: ['not a domain'] }), 400, 'validation_failed');
    expectProblem(await post({ clientSecret: '' }), 400, 'validation_failed');
    expectProblem(await post({ extra: 1 }), 400, 'validation_failed');
    expectProblem(await post({ jitEnabled: true }), 400, 'unknown_role');
    expectProblem(await post({ jitEnabled: true, defaultRole: 'no-such-role' }), 400, 'unknown_role');
    const unreachable = await post({ issuer: 'http://127.0.0.1:9/' });
    expect(unreachable.statusCode).toBe(201);
    expect((unreachable.json() as { issuer: string }).issuer).toBe('http://127.0.0.1:9');
    const start = await t.inject({ method: 'GET', url: `/api/auth/sso/start?provider=${(unreachable.json() as { id: string }).id}` });
    expect(errorOf(start)).toBe('sso_provider_unavailable');
    expectProblem(await t.inject({ method: 'GET', url: '/api/auth/sso/start?provider=nope' }), 400, 'validation_failed');
    expectProblem(await t.inject({ method: 'GET', url: '/api/auth/sso/start?provider=0190a0a0-0000-7000-8000-000000000000' }), 404);
    expectProblem(await t.inject({ method: 'GET', url: '/api/auth/sso/providers' }), 400, 'validation_failed');
    expectProblem(await t.inject({ method: 'PATCH', url: '/api/organizations/current/sso-providers/not-a-uuid', headers: bearer(t.adminToken), payload: { name: 'y' } }), 400, 'validation_failed');
  });

  it('finds an org’s enabled providers by slug or by email domain', async () => {
    const other = await createOrg(t);
    const { id } = await createProvider(other.token, { name: 'Other IdP', allowedDomains: ['other-org.test'] });
    const bySlug = await t.inject({ method: 'GET', url: `/api/auth/sso/providers?org=${other.slug}` });
    expect(bySlug.json()).toEqual({ data: [{ id, name: 'Other IdP', org: { slug: other.slug, name: `Org ${other.slug}` } }] });
    const byEmail = await t.inject({ method: 'GET', url: '/api/auth/sso/providers?email=someone%40Other-Org.test' });
    expect((byEmail.json() as { data: { id: string }[] }).data.map((p) => p.id)).toEqual([id]);
    const none = await t.inject({ method: 'GET', url: '/api/auth/sso/providers?email=someone%40nowhere.test' });
    expect(none.json()).toEqual({ data: [] });
  });
});

describe('single sign-on flow', () => {
  let jitProvider: string;
  let linkOnlyProvider: string;

  beforeAll(async () => {
    jitProvider = (await createProvider(t.adminToken, { name: 'JIT', jitEnabled: true, defaultRole: 'viewer' })).id;
    linkOnlyProvider = (await createProvider(t.adminToken, { name: 'Link only', jitEnabled: false, linkByEmail: true })).id;
  });

  it('creates an unknown verified user just in time with the default role, signs them in, and audits it', async () => {
    idp.accounts.set('sub-jit-1', { email: 'newcomer@acme.test', email_verified: true, name: 'New Comer' });
    const me = await meAfter(await signIn(jitProvider, 'sub-jit-1'));
    expect(me).toMatchObject({ email: 'newcomer@acme.test', name: 'New Comer' });
    expect(me.roles.map((r) => r.name)).toEqual(['viewer']);
    const actions = (await auditActions(me.id)).map((a) => a.action);
    expect(actions).toEqual(['user.create', 'sso.link', 'sso.sign_in']);
    // The second time the subject finds the same user, with no new link.
    const again = await meAfter(await signIn(jitProvider, 'sub-jit-1'));
    expect(again.id).toBe(me.id);
    expect((await auditActions(me.id)).map((a) => a.action)).toEqual(['user.create', 'sso.link', 'sso.sign_in', 'sso.sign_in']);
    // The user has no password: the password sign-in refuses them.
    expectProblem(await t.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'newcomer@acme.test', password: 'anything-at-all' } }), 401);
  });

  it('links an existing user by a verified address, and needs no local second factor', async () => {
    const email = uniqueEmail('linked').replace(/@.*/, '@acme.test');
    const existing = await createUser(t, { roles: ['agent'], email });
    // The user has TOTP on: a password sign-in would ask for it; the provider's word is enough for SSO.
    const setup = await t.inject({ method: 'POST', url: '/api/auth/mfa/setup', headers: bearer(existing.token) });
    const secret = (setup.json() as { secret: string }).secret;
    const code = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: now });
    expect((await t.inject({ method: 'POST', url: '/api/auth/mfa/enable', headers: bearer(existing.token), payload: { code } })).statusCode).toBe(200);
    const password = await t.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: GOOD_PASSWORD } });
    expect(password.json()).toMatchObject({ mfaRequired: true });
    idp.accounts.set('sub-link-1', { email: email.toUpperCase(), email_verified: true, name: 'Whatever' });
    const me = await meAfter(await signIn(linkOnlyProvider, 'sub-link-1'));
    expect(me.id).toBe(existing.id);
    expect(me.roles.map((r) => r.name)).toEqual(['agent']);
    const rows = await auditActions(existing.id);
    expect(rows.map((a) => a.action)).toEqual(['user.create', 'user.mfa_enable', 'sso.link', 'sso.sign_in']);
    expect(rows[2]!.details).toEqual({ via: 'sso', providerId: linkOnlyProvider, issuer: idp.issuer, created: false });
  });

  it('refuses an unverified address, a domain not allowed, and an unknown user without JIT', async () => {
    idp.accounts.set('sub-unverified', { email: 'someone@acme.test', email_verified: false });
    expect(errorOf(await signIn(jitProvider, 'sub-unverified'))).toBe('sso_email_unverified');
    idp.accounts.set('sub-noclaim', { email: 'someone2@acme.test' });
    expect(errorOf(await signIn(jitProvider, 'sub-noclaim'))).toBe('sso_email_unverified');
    idp.accounts.set('sub-elsewhere', { email: 'someone@elsewhere.test', email_verified: true });
    expect(errorOf(await signIn(jitProvider, 'sub-elsewhere'))).toBe('sso_domain_not_allowed');
    idp.accounts.set('sub-stranger', { email: 'stranger@acme.test', email_verified: true });
    expect(errorOf(await signIn(linkOnlyProvider, 'sub-stranger'))).toBe('sso_account_not_found');
    const users = (await t.database.db.execute(sql`select count(*)::int as n from users where email in ('someone@acme.test', 'someone@elsewhere.test', 'stranger@acme.test')`)) as unknown as { rows: { n: number }[] };
    expect(users.rows[0]!.n).toBe(0);
  });

  it('refuses a callback whose state does not match, one without the state cookie, and an expired attempt', async () => {
    idp.accounts.set('sub-state', { email: 'state@acme.test', email_verified: true });
    const tampered = await signIn(jitProvider, 'sub-state', (u) => u.searchParams.set('state', 'forged'));
    expect(tampered.statusCode).toBe(302);
    expect(errorOf(tampered)).toBe('sso_invalid_state');
    expect(cookieOf(tampered, 'imsop_refresh')).toBeUndefined();
    const noCookie = await t.inject({ method: 'GET', url: '/api/auth/sso/callback?code=abc&state=xyz' });
    expect(errorOf(noCookie)).toBe('sso_invalid_state');
    // The state is dated by the platform clock: eleven minutes at the provider is too long.
    const start = await t.inject({ method: 'GET', url: `/api/auth/sso/start?provider=${jitProvider}` });
    idp.signInAs('sub-state');
    const back = await idp.authorize(String(start.headers.location), CALLBACK);
    now += 11 * 60_000;
    try {
      const late = await t.inject({ method: 'GET', url: back.pathname + back.search, headers: { cookie: cookieOf(start, 'imsop_sso')! } });
      expect(errorOf(late)).toBe('sso_invalid_state');
    } finally {
      now -= 11 * 60_000;
    }
    // A code is good once: replaying a completed callback is refused by the provider.
    const first = await t.inject({ method: 'GET', url: `/api/auth/sso/start?provider=${jitProvider}` });
    const again = await idp.authorize(String(first.headers.location), CALLBACK);
    const ok = await t.inject({ method: 'GET', url: again.pathname + again.search, headers: { cookie: cookieOf(first, 'imsop_sso')! } });
    expect(errorOf(ok)).toBeNull();
    const replay = await t.inject({ method: 'GET', url: again.pathname + again.search, headers: { cookie: cookieOf(first, 'imsop_sso')! } });
    expect(errorOf(replay)).toBe('sso_failed');
  });

  it('refuses a disabled provider and a deactivated user', async () => {
    const email = uniqueEmail('inactive').replace(/@.*/, '@acme.test');
    const u = await createUser(t, { email });
    idp.accounts.set('sub-inactive', { email, email_verified: true });
    await meAfter(await signIn(linkOnlyProvider, 'sub-inactive'));
    const off = await t.inject({ method: 'POST', url: `/api/users/${u.id}/deactivate`, headers: bearer(t.adminToken) });
    expect(off.statusCode, off.body).toBe(200);
    expect(errorOf(await signIn(linkOnlyProvider, 'sub-inactive'))).toBe('account_disabled');
    const p = await createProvider(t.adminToken, { name: 'Soon off' });
    const start = await t.inject({ method: 'GET', url: `/api/auth/sso/start?provider=${p.id}` });
    await t.inject({ method: 'PATCH', url: `/api/organizations/current/sso-providers/${p.id}`, headers: bearer(t.adminToken), payload: { enabled: false } });
    idp.signInAs('sub-state');
    const back = await idp.authorize(String(start.headers.location), CALLBACK);
    const res = await t.inject({ method: 'GET', url: back.pathname + back.search, headers: { cookie: cookieOf(start, 'imsop_sso')! } });
    expect(errorOf(res)).toBe('sso_invalid_state');
    expectProblem(await t.inject({ method: 'GET', url: `/api/auth/sso/start?provider=${p.id}` }), 404);
  });

  it('erasing a user deletes their SSO identity: the subject cannot come back as them', async () => {
    const email = uniqueEmail('erased').replace(/@.*/, '@acme.test');
    const u = await createUser(t, { email });
    idp.accounts.set('sub-erased', { email, email_verified: true });
    expect((await meAfter(await signIn(linkOnlyProvider, 'sub-erased'))).id).toBe(u.id);
    const erased = await t.inject({ method: 'POST', url: `/api/users/${u.id}/erase`, headers: bearer(t.adminToken) });
    expect(erased.statusCode, erased.body).toBe(200);
    const rows = (await t.database.db.execute(sql`select count(*)::int as n from sso_identities where user_id = ${u.id}`)) as unknown as { rows: { n: number }[] };
    expect(rows.rows[0]!.n).toBe(0);
    expect(errorOf(await signIn(linkOnlyProvider, 'sub-erased'))).toBe('sso_account_not_found');
  });

  it('a provider of another org never signs anyone into this one', async () => {
    const other = await createOrg(t);
    const theirs = (await createProvider(other.token, { name: 'Theirs', jitEnabled: true, defaultRole: 'viewer' })).id;
    idp.accounts.set('sub-jit-1', { email: 'newcomer@acme.test', email_verified: true, name: 'New Comer' });
    const me = await meAfter(await signIn(theirs, 'sub-jit-1'));
    expect(me.orgId).toBe(other.orgId);
  });
});
