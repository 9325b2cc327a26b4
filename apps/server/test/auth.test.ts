import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as OTPAuth from 'otpauth';
import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, createOrg, createTestApp, createUser, expectProblem, GOOD_PASSWORD, type TestApp } from './helpers.ts';
import { expectPaging, keysetOrder } from './paging.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ REFRESH_GRACE_SECONDS: '1' });
});
afterAll(async () => t?.close());

const login = (payload: Record<string, unknown>) => t.inject({ method: 'POST', url: '/api/auth/login', payload });
const refresh = (refreshToken: string) => t.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } });
const me = (token: string) => t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });

describe('login', () => {
  it('answers tokens, the user, and an httpOnly SameSite=Strict refresh cookie', async () => {
    const res = await login({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.accessToken.split('.')).toHaveLength(3);
    expect(body.refreshToken.length).toBeGreaterThan(30);
    expect(body.expiresIn).toBe(900);
    expect(body.user.email).toBe(ADMIN_EMAIL);
    expect(body.user).not.toHaveProperty('passwordHash');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/imsop_refresh=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const claims = JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: body.user.id, org: body.user.orgId, typ: 'access' });
    expect(typeof claims.sid).toBe('string');
    expect(claims.exp - claims.iat).toBe(900);
  });

  it('answers the same 401 for a wrong email and a wrong password', async () => {
    const a = await login({ email: 'nobody@example.test', password: 'whatever-password' });
    const b = await login({ email: ADMIN_EMAIL, password: 'wrong-password-123' });
    const pa = expectProblem(a, 401, 'invalid_credentials');
    const pb = expectProblem(b, 401, 'invalid_credentials');
    expect(pa.detail).toBe(pb.detail);
  });

  it('accepts the email case-insensitively and with an org slug', async () => {
    const res = await login({ email: ADMIN_EMAIL.toUpperCase(), password: ADMIN_PASSWORD, org: 'default' });
    expect(res.statusCode).toBe(200);
    const wrongOrg = await login({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD, org: 'no-such-org' });
    expectProblem(wrongOrg, 401, 'invalid_credentials');
  });

  it('rejects malformed bodies with 400 problem+json listing the fields', async () => {
    const res = await login({ email: 'not-an-email', extra: 1 });
    const p = expectProblem(res, 400, 'validation_failed') as unknown as { errors: { path: string }[] };
    const paths = p.errors.map((e) => e.path);
    expect(paths).toContain('body.email');
    expect(paths).toContain('body.password');
    const notJson = await t.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email":' });
    expectProblem(notJson, 400);
    const wrongType = await t.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'text/plain' }, payload: 'hi' });
    expectProblem(wrongType, 415);
  });
});

describe('access tokens', () => {
  it('guards routes: no token 401, garbage 401, valid 200', async () => {
    expectProblem(await t.inject({ method: 'GET', url: '/api/auth/me' }), 401, 'unauthorized');
    expectProblem(await me('not.a.jwt'), 401);
    expect((await me(t.adminToken)).statusCode).toBe(200);
  });

  it('rejects a token signed with another key or of another type', async () => {
    const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwib3JnIjoieSIsInNpZCI6InoiLCJ0eXAiOiJhY2Nlc3MiLCJpc3MiOiJpbXNvcCJ9.' + 'A'.repeat(43);
    expectProblem(await me(forged), 401);
    const mfaOnly = await t.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload: { mfaToken: t.adminToken, code: '000000' } });
    expectProblem(mfaOnly, 401, 'invalid_mfa_code');
  });
});

describe('refresh rotation', () => {
  it('rotates: a new pair, and the new access token works', async () => {
    const s = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const res = await refresh(s.refreshToken);
    expect(res.statusCode).toBe(200);
    const pair = res.json();
    expect(pair.refreshToken).not.toBe(s.refreshToken);
    expect((await me(pair.accessToken)).statusCode).toBe(200);
  });

  it('reads the refresh token from the cookie', async () => {
    const res = await login({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    const r = await t.inject({ method: 'POST', url: '/api/auth/refresh', headers: { cookie } });
    expect(r.statusCode).toBe(200);
    expect(String(r.headers['set-cookie'])).toContain(r.json().refreshToken);
  });

  it('inside the grace window returns the same successor (parallel tabs)', async () => {
    const s = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const [a, b] = await Promise.all([refresh(s.refreshToken), refresh(s.refreshToken)]);
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(a.json().refreshToken).toBe(b.json().refreshToken);
  });

  it('reuse after the grace window revokes the whole session, access tokens included, and audits it', async () => {
    const s = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const first = await refresh(s.refreshToken);
    const successor = first.json();
    expect((await me(successor.accessToken)).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1_200));
    expectProblem(await refresh(s.refreshToken), 401, 'refresh_token_reused');
    expectProblem(await me(successor.accessToken), 401);
    expectProblem(await me(s.accessToken), 401);
    expectProblem(await refresh(successor.refreshToken), 401, 'invalid_refresh_token');
    const audit = await t.inject({ method: 'GET', url: '/api/audit-logs?action=security.refresh_token_reuse', headers: bearer(t.adminToken) });
    expect(audit.json().data.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses unknown and missing refresh tokens with 401', async () => {
    expectProblem(await refresh('x'.repeat(43)), 401, 'invalid_refresh_token');
    expectProblem(await t.inject({ method: 'POST', url: '/api/auth/refresh' }), 401, 'invalid_refresh_token');
  });
});

describe('sessions', () => {
  it('lists my sessions without tokens, revokes one by id, and revokes the others', async () => {
    const u = await createUser(t);
    const second = await t.login(u.email, GOOD_PASSWORD);
    const list = await t.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(u.token) });
    expect(list.statusCode).toBe(200);
    const sessions = list.json().data;
    expect(sessions).toHaveLength(2);
    expect(JSON.stringify(sessions)).not.toMatch(/refresh|token/i);
    expect(sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    const other = sessions.find((s: { current: boolean }) => !s.current);
    const del = await t.inject({ method: 'DELETE', url: `/api/auth/sessions/${other.id}`, headers: bearer(u.token) });
    expect(del.statusCode).toBe(204);
    expectProblem(await me(second.accessToken), 401);
    expectProblem(await refresh(second.refreshToken), 401);
    // Someone else's session id is not found, not forbidden.
    const adminSessions = (await t.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(t.adminToken) })).json().data;
    expectProblem(await t.inject({ method: 'DELETE', url: `/api/auth/sessions/${adminSessions[0].id}`, headers: bearer(u.token) }), 404);
    const third = await t.login(u.email, GOOD_PASSWORD);
    const others = await t.inject({ method: 'POST', url: '/api/auth/sessions/revoke-others', headers: bearer(u.token) });
    expect(others.json().revoked).toBe(1);
    expectProblem(await me(third.accessToken), 401);
    expect((await me(u.token)).statusCode).toBe(200);
  });

  it('logout ends the session and clears the cookie', async () => {
    const u = await createUser(t);
    const res = await t.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(u.token) });
    expect(res.statusCode).toBe(204);
    expect(String(res.headers['set-cookie'])).toMatch(/imsop_refresh=;/);
    expectProblem(await me(u.token), 401);
    expectProblem(await refresh(u.refreshToken), 401);
  });

  it('pages my live sessions newest first (ties by id), never anyone else’s nor a revoked one', async () => {
    const u = await createUser(t);
    for (let i = 0; i < 4; i++) await t.login(u.email, GOOD_PASSWORD);
    const gone = await t.login(u.email, GOOD_PASSWORD);
    const someoneElse = await createUser(t);
    const mine = (token: string) => (q: string) => t.inject({ method: 'GET', url: `/api/auth/sessions?${q}`, headers: bearer(token) });
    const first = (await mine(gone.accessToken)('limit=200')).json().data as { id: string; current: boolean }[];
    const goneId = first.find((s) => s.current)!.id;
    expect((await t.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(gone.accessToken) })).statusCode).toBe(204);
    const live = (await mine(u.token)('limit=200')).json().data as { id: string; createdAt: string }[];
    expect(live).toHaveLength(5);
    expect(live.map((s) => s.id)).not.toContain(goneId);
    await expectPaging(mine(u.token), { limit: 2, inOrder: keysetOrder(live.map((s) => ({ id: s.id, key: s.createdAt })), true) });
    const theirs = (await mine(someoneElse.token)('limit=200')).json().data as { id: string }[];
    expect(theirs).toHaveLength(1);
    expect(live.map((s) => s.id)).not.toContain(theirs[0]!.id);
  });
});

describe('passwords', () => {
  it('refuses short, long and common passwords with a field error', async () => {
    for (const password of ['short-1', 'x'.repeat(129)]) {
      const res = await t.inject({
        method: 'POST',
        url: '/api/users',
        headers: bearer(t.adminToken),
        payload: { email: `pw${password.length}@example.test`, name: 'P', password },
      });
      expect(res.statusCode, password).toBe(400);
    }
    const common = await t.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(t.adminToken),
      payload: { email: 'common@example.test', name: 'P', password: 'Unbelievable' },
    });
    expect(expectProblem(common, 400, 'weak_password').detail).toMatch(/common/);
  });

  it('refuses known breached passwords of 12 characters or more, when creating a user and when changing a password (issue 11)', async () => {
    for (const password of ['password1234', 'QwertyUIOP123', 'iloveyou1234', 'qwerty123456']) {
      const res = await t.inject({
        method: 'POST',
        url: '/api/users',
        headers: bearer(t.adminToken),
        payload: { email: `breached-${password.toLowerCase()}@example.test`, name: 'P', password },
      });
      const p = expectProblem(res, 400, 'weak_password') as unknown as { detail: string; errors: { path: string }[] };
      expect(p.detail, password).toMatch(/breach/);
      expect(p.errors[0]!.path).toBe('password');
    }
    const u = await createUser(t);
    const res = await t.inject({
      method: 'POST',
      url: '/api/auth/password',
      headers: bearer(u.token),
      payload: { currentPassword: GOOD_PASSWORD, newPassword: 'iloveyou1234' },
    });
    expect(expectProblem(res, 400, 'weak_password').detail).toMatch(/breach/);
    expect((await login({ email: u.email, password: GOOD_PASSWORD })).statusCode).toBe(200);
  });

  it('changing the password revokes the other sessions and keeps this one', async () => {
    const u = await createUser(t);
    const other = await t.login(u.email, GOOD_PASSWORD);
    const wrong = await t.inject({
      method: 'POST',
      url: '/api/auth/password',
      headers: bearer(u.token),
      payload: { currentPassword: 'nope-nope-nope', newPassword: 'Another-Sturdy-Pass-7' },
    });
    expectProblem(wrong, 400, 'invalid_current_password');
    const res = await t.inject({
      method: 'POST',
      url: '/api/auth/password',
      headers: bearer(u.token),
      payload: { currentPassword: GOOD_PASSWORD, newPassword: 'Another-Sturdy-Pass-7' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().otherSessionsRevoked).toBe(1);
    expectProblem(await me(other.accessToken), 401);
    expect((await me(u.token)).statusCode).toBe(200);
    expect((await login({ email: u.email, password: 'Another-Sturdy-Pass-7' })).statusCode).toBe(200);
    expectProblem(await login({ email: u.email, password: GOOD_PASSWORD }), 401);
  });
});

describe('lockout', () => {
  it('backs off after repeated failures with 429 and Retry-After, even for the right password', async () => {
    const u = await createUser(t);
    for (let i = 0; i < 5; i++) expectProblem(await login({ email: u.email, password: 'wrong-password-xx' }), 401);
    const locked = await login({ email: u.email, password: GOOD_PASSWORD });
    expectProblem(locked, 429, 'account_locked');
    const retry = Number(locked.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(30);
    const activity = await t.inject({ method: 'GET', url: `/api/activity-logs?userId=${u.id}&action=login_failed`, headers: bearer(t.adminToken) });
    expect(activity.json().data).toHaveLength(5);
  });
});

/** Turns MFA on for a signed-in user; answers the TOTP generator and the recovery codes. The enrolment code spends the current step. */
async function enrolMfa(token: string) {
  const setup = await t.inject({ method: 'POST', url: '/api/auth/mfa/setup', headers: bearer(token) });
  expect(setup.statusCode, setup.body).toBe(200);
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(setup.json().secret) });
  const enable = await t.inject({ method: 'POST', url: '/api/auth/mfa/enable', headers: bearer(token), payload: { code: totp.generate() } });
  expect(enable.statusCode, enable.body).toBe(200);
  return { totp, recoveryCodes: enable.json().recoveryCodes as string[] };
}
/** The code of the next 30-second step: accepted (±1 step) and later than any code spent so far in a test. */
const nextCode = (totp: OTPAuth.TOTP, steps = 1) => totp.generate({ timestamp: Date.now() + steps * 30_000 });

describe('every check of a password or second factor counts toward the lockout (issue 11)', () => {
  const changePassword = (token: string, currentPassword: string) =>
    t.inject({ method: 'POST', url: '/api/auth/password', headers: bearer(token), payload: { currentPassword, newPassword: 'Another-Sturdy-Pass-7' } });
  const disableMfa = (token: string, password: string, code: string) =>
    t.inject({ method: 'POST', url: '/api/auth/mfa/disable', headers: bearer(token), payload: { password, code } });
  const failures = async (userId: string, action: string) =>
    (await t.inject({ method: 'GET', url: `/api/activity-logs?userId=${userId}&action=${action}`, headers: bearer(t.adminToken) })).json().data as unknown[];

  it('wrong current passwords on POST /api/auth/password lock the account, then even the right one answers 429', async () => {
    const u = await createUser(t);
    for (let i = 0; i < 5; i++) expectProblem(await changePassword(u.token, 'wrong-password-xx'), 400, 'invalid_current_password');
    const locked = expectProblem(await changePassword(u.token, GOOD_PASSWORD), 429, 'account_locked');
    expect(locked.detail).toMatch(/try again later/);
    expectProblem(await login({ email: u.email, password: GOOD_PASSWORD }), 429, 'account_locked');
    expect(await failures(u.id, 'password_change_failed')).toHaveLength(5);
    // The password did not change.
    expect((await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(u.token) })).statusCode).toBe(200);
  });

  it('wrong codes on POST /api/auth/mfa/disable lock the account; a wrong password and a wrong code answer alike', async () => {
    const u = await createUser(t);
    const { totp } = await enrolMfa(u.token);
    const wrongPassword = await disableMfa(u.token, 'wrong-password-xx', nextCode(totp));
    const wrongCode = await disableMfa(u.token, GOOD_PASSWORD, '000000');
    expect(wrongPassword.statusCode).toBe(wrongCode.statusCode);
    expect(expectProblem(wrongPassword, 401, 'invalid_mfa_code')).toEqual(expectProblem(wrongCode, 401, 'invalid_mfa_code'));
    for (let i = 0; i < 3; i++) expectProblem(await disableMfa(u.token, GOOD_PASSWORD, '111111'), 401, 'invalid_mfa_code');
    expectProblem(await disableMfa(u.token, GOOD_PASSWORD, nextCode(totp)), 429, 'account_locked');
    expect((await me(u.token)).json().twoFactorEnabled).toBe(true);
    expect(await failures(u.id, 'mfa_disable_failed')).toHaveLength(5);
  });

  it('failures add up across sign-in, password change and the MFA endpoints', async () => {
    const u = await createUser(t);
    const { totp } = await enrolMfa(u.token);
    expectProblem(await login({ email: u.email, password: 'wrong-password-xx' }), 401, 'invalid_credentials');
    expectProblem(await changePassword(u.token, 'wrong-password-xx'), 400, 'invalid_current_password');
    expectProblem(await disableMfa(u.token, GOOD_PASSWORD, '000000'), 401, 'invalid_mfa_code');
    const mfaToken = (await login({ email: u.email, password: GOOD_PASSWORD })).json().mfaToken;
    expectProblem(await t.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload: { mfaToken, code: '000000' } }), 401, 'invalid_mfa_code');
    expectProblem(await changePassword(u.token, 'wrong-password-xx'), 400, 'invalid_current_password');
    // Five failures in all: every check now answers 429, whatever it is sent.
    expectProblem(await login({ email: u.email, password: GOOD_PASSWORD }), 429, 'account_locked');
    expectProblem(await t.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload: { mfaToken, code: nextCode(totp) } }), 429, 'account_locked');
    expectProblem(await changePassword(u.token, GOOD_PASSWORD), 429, 'account_locked');
    expectProblem(await disableMfa(u.token, GOOD_PASSWORD, nextCode(totp)), 429, 'account_locked');
  });
});

describe('MFA replay (issue 11)', () => {
  const verify = (mfaToken: string, code: string) => t.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload: { mfaToken, code } });
  const challenge = async (email: string) => {
    const res = await login({ email, password: GOOD_PASSWORD });
    expect(res.json().mfaRequired, res.body).toBe(true);
    return res.json().mfaToken as string;
  };

  it('a TOTP code is accepted once per user: the same code cannot complete a second sign-in, nor an earlier one', async () => {
    const u = await createUser(t);
    const { totp, recoveryCodes } = await enrolMfa(u.token);
    const code = nextCode(totp);
    expect((await verify(await challenge(u.email), code)).statusCode).toBe(200);
    const second = await challenge(u.email);
    expectProblem(await verify(second, code), 401, 'invalid_mfa_code');
    // The enrolment code (an earlier step) is spent too.
    expectProblem(await verify(second, totp.generate()), 401, 'invalid_mfa_code');
    // The challenge itself is still good: a fresh second factor completes it.
    expect((await verify(second, recoveryCodes[0]!)).statusCode).toBe(200);
    // Nor can the code turn MFA off.
    expectProblem(
      await t.inject({ method: 'POST', url: '/api/auth/mfa/disable', headers: bearer(u.token), payload: { password: GOOD_PASSWORD, code } }),
      401,
      'invalid_mfa_code',
    );
  });

  it('an MFA-step token is single-use: the same token and code give one session, and the token cannot be reused with another code', async () => {
    const u = await createUser(t);
    const { totp, recoveryCodes } = await enrolMfa(u.token);
    const mfaToken = await challenge(u.email);
    const code = nextCode(totp);
    const [a, b] = await Promise.all([verify(mfaToken, code), verify(mfaToken, code)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 401]);
    expectProblem(await verify(mfaToken, code), 401, 'invalid_mfa_code');
    // With a fresh, valid second factor the used token is still refused, and the factor is not spent.
    expectProblem(await verify(mfaToken, recoveryCodes[1]!), 401, 'invalid_mfa_code');
    expect((await verify(await challenge(u.email), recoveryCodes[1]!)).statusCode).toBe(200);
    const sessions = (await t.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(u.token) })).json().data as unknown[];
    expect(sessions).toHaveLength(3); // the factory's sign-in, the one MFA sign-in of the pair, the recovery sign-in
  });

  it('holds across instances: a token and code used on one instance are refused by another on the same database', async () => {
    const other = await buildApp({ config: t.config, database: t.database, logger: false });
    try {
      await other.ready();
      const u = await createUser(t);
      const { totp } = await enrolMfa(u.token);
      const mfaToken = await challenge(u.email);
      const code = nextCode(totp);
      expect((await verify(mfaToken, code)).statusCode).toBe(200);
      expectProblem(await other.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload: { mfaToken, code } }), 401, 'invalid_mfa_code');
      const fresh = await challenge(u.email);
      expectProblem(await other.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload: { mfaToken: fresh, code } }), 401, 'invalid_mfa_code');
    } finally {
      await other.close();
    }
  });
});

describe('MFA', () => {
  it('enrols with TOTP, then login needs the second step; recovery codes work once', async () => {
    const u = await createUser(t);
    const setup = await t.inject({ method: 'POST', url: '/api/auth/mfa/setup', headers: bearer(u.token) });
    expect(setup.statusCode).toBe(200);
    const { secret, otpauthUri } = setup.json();
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/IMSOP:/);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
    expectProblem(await t.inject({ method: 'POST', url: '/api/auth/mfa/enable', headers: bearer(u.token), payload: { code: '000000' } }), 401);
    const enable = await t.inject({ method: 'POST', url: '/api/auth/mfa/enable', headers: bearer(u.token), payload: { code: totp.generate() } });
    expect(enable.statusCode).toBe(200);
    const codes: string[] = enable.json().recoveryCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);

    const step1 = await login({ email: u.email, password: GOOD_PASSWORD });
    expect(step1.statusCode).toBe(200);
    expect(step1.json()).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp'] });
    expect(step1.json()).not.toHaveProperty('accessToken');
    const mfaToken = step1.json().mfaToken;
    expectProblem(await t.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload: { mfaToken, code: '123456' } }), 401, 'invalid_mfa_code');
    // The enrolment spent the current step's code: the next step's is accepted once.
    const ok = await t.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload: { mfaToken, code: nextCode(totp) } });
    expect(ok.statusCode).toBe(200);
    expect((await me(ok.json().accessToken)).json().twoFactorEnabled).toBe(true);

    const again = (await login({ email: u.email, password: GOOD_PASSWORD })).json().mfaToken;
    const viaRecovery = await t.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload: { mfaToken: again, code: codes[0] } });
    expect(viaRecovery.statusCode).toBe(200);
    const third = (await login({ email: u.email, password: GOOD_PASSWORD })).json().mfaToken;
    expectProblem(await t.inject({ method: 'POST', url: '/api/auth/mfa/verify', payload: { mfaToken: third, code: codes[0] } }), 401);
  });
});

describe('API keys', () => {
  it('creates a scoped key shown once, authenticates with both headers, and revokes it', async () => {
    const create = await t.inject({
      method: 'POST',
      url: '/api/api-keys',
      headers: bearer(t.adminToken),
      payload: { name: 'integration', permissions: ['users:read'] },
    });
    expect(create.statusCode).toBe(201);
    const { key, id } = create.json();
    expect(key).toMatch(/^imsop_[a-z0-9]{12}_/);
    const list = await t.inject({ method: 'GET', url: '/api/api-keys', headers: bearer(t.adminToken) });
    expect(JSON.stringify(list.json())).not.toContain(key);
    expect((await t.inject({ method: 'GET', url: '/api/users', headers: { 'x-api-key': key } })).statusCode).toBe(200);
    expect((await t.inject({ method: 'GET', url: '/api/users', headers: bearer(key) })).statusCode).toBe(200);
    // Scoped: users:read only.
    expectProblem(await t.inject({ method: 'GET', url: '/api/roles', headers: { 'x-api-key': key } }), 403);
    const del = await t.inject({ method: 'DELETE', url: `/api/api-keys/${id}`, headers: bearer(t.adminToken) });
    expect(del.statusCode).toBe(204);
    expectProblem(await t.inject({ method: 'GET', url: '/api/users', headers: { 'x-api-key': key } }), 401);
  });

  it('refuses a key with permissions the creator does not hold, and records a security event', async () => {
    const viewer = await createUser(t, { roles: ['viewer'] });
    // A viewer cannot manage keys at all.
    expectProblem(await t.inject({ method: 'POST', url: '/api/api-keys', headers: bearer(viewer.token), payload: { name: 'x' } }), 403);
  });

  it('mass assignment on create: orgId (another org’s) and fields the caller may not set are refused with 400; no key lands in either org', async () => {
    const other = await createOrg(t);
    const ownOrg = (await me(t.adminToken)).json().org.id as string;
    const keysNamed = async (name: string) =>
      ((await t.database.db.execute(sql`select org_id from api_keys where name = ${name}`)) as unknown as { rows: { org_id: string }[] }).rows;
    const cases: [Record<string, unknown>, string][] = [
      [{ orgId: other.orgId }, 'orgId'],
      [{ createdBy: crypto.randomUUID() }, 'createdBy'],
      [{ id: crypto.randomUUID() }, 'id'],
      [{ keyHash: 'x'.repeat(64) }, 'keyHash'],
      [{ revokedAt: null }, 'revokedAt'],
    ];
    for (const [extra, field] of cases) {
      const name = `mass-${field}-${crypto.randomBytes(3).toString('hex')}`;
      const res = await t.inject({ method: 'POST', url: '/api/api-keys', headers: bearer(t.adminToken), payload: { name, ...extra } });
      const p = expectProblem(res, 400, 'validation_failed') as unknown as { errors: { path: string; message: string }[] };
      expect(JSON.stringify(p.errors), field).toContain(field);
      expect(await keysNamed(name), field).toEqual([]);
    }
    const name = `mass-ok-${crypto.randomBytes(3).toString('hex')}`;
    const ok = await t.inject({ method: 'POST', url: '/api/api-keys', headers: bearer(t.adminToken), payload: { name } });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(await keysNamed(name)).toEqual([{ org_id: ownOrg }]);
    // The key acts in the caller's org only: the other org's users are not visible to it.
    const key = ok.json().key as string;
    expectProblem(await t.inject({ method: 'GET', url: `/api/users/${other.adminId}`, headers: { 'x-api-key': key } }), 404);
  });
});
