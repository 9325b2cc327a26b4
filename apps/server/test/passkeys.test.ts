import { sql } from 'drizzle-orm';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createOrg, createTestApp, createUser, expectProblem, GOOD_PASSWORD, type TestApp } from './helpers.ts';
import { softAuthenticator, type SoftAuthenticator } from './soft-authenticator.ts';

// The relying party comes from PUBLIC_URL: RP id "localhost", origin "http://localhost:3999".
const ORIGIN = 'http://localhost:3999';
const RP_ID = 'localhost';
let t: TestApp;
let now = Date.now();

beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: ORIGIN }, { clock: () => now });
});
afterAll(() => t.close());

const rows = async <T>(q: ReturnType<typeof sql>) => ((await t.database.db.execute(q)) as unknown as { rows: T[] }).rows;
const auditOf = (entityId: string) =>
  rows<{ action: string }>(sql`select action from audit_logs where entity_id = ${entityId} order by created_at, id`).then((r) => r.map((x) => x.action));

const post = (url: string, payload: unknown, token?: string) =>
  t.inject({ method: 'POST', url, payload: payload as object, ...(token ? { headers: bearer(token) } : {}) });

async function registrationOptions(token: string) {
  const res = await post('/api/auth/passkeys/registration-options', undefined, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { challenge: string; user: { id: string }; rp: { id: string }; authenticatorSelection: { userVerification: string; residentKey: string }; excludeCredentials: { id: string }[] };
}

/** Registers a new software passkey for the user and answers it with its id on the server. */
async function registered(token: string, name = 'Laptop') {
  const key = softAuthenticator({ origin: ORIGIN, rpId: RP_ID, backedUp: true });
  const res = await post('/api/auth/passkeys', { name, response: key.register(await registrationOptions(token)) }, token);
  expect(res.statusCode, res.body).toBe(201);
  return { key, id: res.json().id as string };
}

async function signInOptions(mfaToken?: string) {
  const res = await post('/api/auth/passkey/options', mfaToken ? { mfaToken } : undefined);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { challenge: string; rpId: string; userVerification: string; allowCredentials?: { id: string }[] };
}
const signIn = (response: unknown) => post('/api/auth/passkey/login', { response });

describe('registering passkeys', () => {
  it('registers several passkeys with user verification required, lists them with their backup flags, and audits each', async () => {
    const u = await createUser(t);
    const options = await registrationOptions(u.token);
    expect(options.rp.id).toBe(RP_ID);
    expect(options.authenticatorSelection).toMatchObject({ userVerification: 'required', residentKey: 'required' });
    // The user handle is the account's id, not its email.
    expect(Buffer.from(options.user.id, 'base64url').toString('hex')).toBe(u.id.replace(/-/g, ''));
    const key = softAuthenticator({ origin: ORIGIN, rpId: RP_ID, backedUp: true });
    const first = await post('/api/auth/passkeys', { name: 'Laptop', response: key.register(options) }, u.token);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ name: 'Laptop', backedUp: true, deviceType: 'multiDevice', transports: ['internal'], lastUsedAt: null });
    const second = await registered(u.token, 'Phone');

    // The next registration excludes the credentials the user already has.
    expect((await registrationOptions(u.token)).excludeCredentials.map((c) => c.id).sort()).toEqual([key.id, second.key.id].sort());
    const list = await t.inject({ method: 'GET', url: '/api/auth/passkeys', headers: bearer(u.token) });
    expect(list.json().data.map((p: { name: string }) => p.name)).toEqual(['Phone', 'Laptop']);
    const [stored] = await rows<{ sign_count: string; backed_up: boolean; device_type: string }>(
      sql`select sign_count, backed_up, device_type from passkeys where id = ${first.json().id}`,
    );
    expect(stored).toMatchObject({ backed_up: true, device_type: 'multiDevice' });
    expect(await auditOf(first.json().id)).toEqual(['passkey.register']);
  });

  it('refuses a registration without user verification', async () => {
    const u = await createUser(t);
    const key = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
    const res = await post('/api/auth/passkeys', { name: 'No UV', response: key.register(await registrationOptions(u.token), { uv: false }) }, u.token);
    expect(expectProblem(res, 400, 'passkey_rejected').detail).toMatch(/user verification/i);
    expect(await rows(sql`select 1 from passkeys where user_id = ${u.id}`)).toHaveLength(0);
  });

  it('refuses an answer from another origin, and spends its challenge anyway', async () => {
    const u = await createUser(t);
    const key = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
    const options = await registrationOptions(u.token);
    const res = await post('/api/auth/passkeys', { name: 'Phish', response: key.register(options, { origin: 'https://evil.example' }) }, u.token);
    expect(expectProblem(res, 400, 'passkey_rejected').detail).toMatch(/origin/i);
    const retry = await post('/api/auth/passkeys', { name: 'Retry', response: key.register(options) }, u.token);
    expectProblem(retry, 400, 'passkey_challenge_invalid');
  });

  it('spends a challenge once: a replayed registration is refused', async () => {
    const u = await createUser(t);
    const options = await registrationOptions(u.token);
    const a = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
    expect((await post('/api/auth/passkeys', { name: 'A', response: a.register(options) }, u.token)).statusCode).toBe(201);
    const b = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
    expectProblem(await post('/api/auth/passkeys', { name: 'B', response: b.register(options) }, u.token), 400, 'passkey_challenge_invalid');
  });

  it('refuses an expired challenge (five minutes, on the injected clock)', async () => {
    const u = await createUser(t);
    const options = await registrationOptions(u.token);
    now += 5 * 60_000 + 1000;
    try {
      const key = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
      expectProblem(await post('/api/auth/passkeys', { name: 'Late', response: key.register(options) }, u.token), 400, 'passkey_challenge_invalid');
    } finally {
      now -= 5 * 60_000 + 1000;
    }
  });

  it('refuses another user’s challenge', async () => {
    const u = await createUser(t);
    const other = await createUser(t);
    const options = await registrationOptions(other.token);
    const key = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
    expectProblem(await post('/api/auth/passkeys', { name: 'Stolen', response: key.register(options) }, u.token), 400, 'passkey_challenge_invalid');
  });

  it('refuses the same credential twice with 409', async () => {
    const u = await createUser(t);
    const { key } = await registered(u.token);
    expectProblem(await post('/api/auth/passkeys', { name: 'Again', response: key.register(await registrationOptions(u.token)) }, u.token), 409, 'passkey_exists');
  });

  it('answers bad input with 400 problems, never 5xx', async () => {
    const u = await createUser(t);
    const key = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
    const good = key.register(await registrationOptions(u.token));
    const cases: unknown[] = [
      {},
      { name: '', response: good },
      { name: 'x'.repeat(101), response: good },
      { name: 'Bad', response: { ...good, type: 'password' } },
      { name: 'Bad', response: { ...good, response: { ...good.response, clientDataJSON: 'not base64url!' } } },
      { name: 'Bad', response: { ...good, response: { ...good.response, clientDataJSON: Buffer.from('{"nope":1}').toString('base64url') } } },
      { name: 'Bad', response: { ...good, response: { ...good.response, attestationObject: 'AAAA' } } },
      { name: 'Bad', response: good, extra: true },
    ];
    for (const payload of cases) {
      const res = await post('/api/auth/passkeys', payload, u.token);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 200)).toBe(400);
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    }
    // A garbled attestation spends the challenge and answers 400, not 500.
    const opts = await registrationOptions(u.token);
    const garbled = key.register(opts);
    const res = await post('/api/auth/passkeys', { name: 'Garbled', response: { ...garbled, response: { ...garbled.response, attestationObject: 'oWNmbXQ' } } }, u.token);
    expectProblem(res, 400, 'passkey_rejected');
    expectProblem(await post('/api/auth/passkeys/registration-options', undefined), 401);
  });
});

describe('signing in with a passkey, without a password', () => {
  let u: Awaited<ReturnType<typeof createUser>>;
  let key: SoftAuthenticator;
  let passkeyId: string;
  beforeAll(async () => {
    u = await createUser(t);
    ({ key, id: passkeyId } = await registered(u.token));
  });

  it('issues the tokens and refresh cookie of a password login, stores the counter, and audits the use', async () => {
    const options = await signInOptions();
    expect(options).toMatchObject({ rpId: RP_ID, userVerification: 'required' });
    expect(options.allowCredentials ?? []).toEqual([]); // usernameless: the authenticator offers its discoverable passkeys
    const res = await signIn(key.assert(options));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ tokenType: 'Bearer', user: { id: u.id, email: u.email } });
    expect(String(res.headers['set-cookie'])).toMatch(/imsop_refresh=.+HttpOnly/);
    const me = await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(body.accessToken) });
    expect(me.json().id).toBe(u.id);
    const refreshed = await post('/api/auth/refresh', { refreshToken: body.refreshToken });
    expect(refreshed.statusCode).toBe(200);
    const [stored] = await rows<{ sign_count: string; last_used_at: Date | null }>(sql`select sign_count, last_used_at from passkeys where id = ${passkeyId}`);
    expect(Number(stored!.sign_count)).toBe(1);
    expect(stored!.last_used_at).not.toBeNull();
    expect(await auditOf(passkeyId)).toContain('passkey.sign_in');
    const activity = await rows<{ action: string }>(sql`select action from activity_logs where user_id = ${u.id} and action = 'login'`);
    expect(activity.length).toBeGreaterThanOrEqual(2); // the factory's password login and this one
  });

  it('refuses an assertion without user verification', async () => {
    expectProblem(await signIn(key.assert(await signInOptions(), { uv: false })), 401, 'invalid_passkey');
  });

  it('refuses an assertion from another origin', async () => {
    expectProblem(await signIn(key.assert(await signInOptions(), { origin: 'http://localhost:4000' })), 401, 'invalid_passkey');
  });

  it('refuses a replayed assertion (its challenge is spent) and an expired challenge', async () => {
    const answer = key.assert(await signInOptions());
    expect((await signIn(answer)).statusCode).toBe(200);
    expectProblem(await signIn(answer), 400, 'passkey_challenge_invalid');

    const options = await signInOptions();
    now += 5 * 60_000 + 1000;
    try {
      expectProblem(await signIn(key.assert(options)), 400, 'passkey_challenge_invalid');
    } finally {
      now -= 5 * 60_000 + 1000;
    }
    // A challenge made up by the client was never issued.
    expectProblem(await signIn(key.assert({ challenge: 'bWFkZS11cA' })), 400, 'passkey_challenge_invalid');
  });

  it('refuses a counter that went backwards (a cloned authenticator), keeps the stored counter, and audits it', async () => {
    key.setCounter(40);
    expect((await signIn(key.assert(await signInOptions()))).statusCode).toBe(200);
    const res = await signIn(key.assert(await signInOptions(), { counter: 12 }));
    expectProblem(res, 401, 'invalid_passkey');
    const [stored] = await rows<{ sign_count: string }>(sql`select sign_count from passkeys where id = ${passkeyId}`);
    expect(Number(stored!.sign_count)).toBe(41);
    expect(await auditOf(passkeyId)).toContain('security.passkey_counter_regression');
    // The real authenticator, ahead of the clone, still signs in.
    expect((await signIn(key.assert(await signInOptions(), { counter: 42 }))).statusCode).toBe(200);
  });

  it('refuses an unknown credential and a forged signature alike', async () => {
    const stranger = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
    stranger.register({ challenge: 'x', user: { id: 'eA' } });
    expectProblem(await signIn(stranger.assert(await signInOptions())), 401, 'invalid_passkey');
    const forged = key.assert(await signInOptions());
    forged.response.signature = Buffer.from('MEUCIQ').toString('base64url');
    expectProblem(await signIn(forged), 401, 'invalid_passkey');
  });

  it('answers malformed assertions with 400', async () => {
    const good = key.assert(await signInOptions());
    for (const response of [{}, { ...good, id: '' }, { ...good, response: { ...good.response, signature: '!!' } }, { ...good, response: { clientDataJSON: good.response.clientDataJSON } }]) {
      expectProblem(await signIn(response), 400);
    }
    expectProblem(await post('/api/auth/passkey/options', { mfaToken: 'not-a-token' }), 401, 'invalid_mfa_code');
  });

  it('refuses a deactivated account', async () => {
    const v = await createUser(t);
    const { key: vk } = await registered(v.token);
    const off = await t.inject({ method: 'POST', url: `/api/users/${v.id}/deactivate`, headers: bearer(t.adminToken) });
    expect(off.statusCode, off.body).toBeLessThan(300);
    expectProblem(await signIn(vk.assert(await signInOptions())), 403, 'account_disabled');
  });
});

describe('a passkey as the second factor', () => {
  async function withTotp() {
    const u = await createUser(t);
    const setup = await post('/api/auth/mfa/setup', undefined, u.token);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(setup.json().secret) });
    expect((await post('/api/auth/mfa/enable', { code: totp.generate({ timestamp: now }) }, u.token)).statusCode).toBe(200);
    return u;
  }
  const passwordStep = async (email: string) => {
    const res = await post('/api/auth/login', { email, password: GOOD_PASSWORD });
    expect(res.json().mfaRequired).toBe(true);
    return res.json() as { mfaToken: string; methods: string[] };
  };

  it('offers the passkey at the MFA step and completes the sign-in with it, once', async () => {
    const u = await withTotp();
    expect((await passwordStep(u.email)).methods).toEqual(['totp']);
    const { key, id } = await registered(u.token);
    const step = await passwordStep(u.email);
    expect(step.methods).toEqual(['totp', 'passkey']);
    const options = await signInOptions(step.mfaToken);
    expect(options.allowCredentials!.map((c) => c.id)).toEqual([key.id]);
    const res = await post('/api/auth/mfa/passkey', { mfaToken: step.mfaToken, response: key.assert(options) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user.id).toBe(u.id);
    expect(String(res.headers['set-cookie'])).toMatch(/imsop_refresh=/);
    expect(await auditOf(id)).toContain('passkey.mfa');
    // The MFA-step token completed one sign-in.
    const again = await post('/api/auth/mfa/passkey', { mfaToken: step.mfaToken, response: key.assert(await signInOptions(step.mfaToken)) });
    expectProblem(again, 401, 'invalid_mfa_code');
  });

  it('refuses another user’s passkey, a usernameless challenge, and a missing user verification at the MFA step', async () => {
    const u = await withTotp();
    const other = await createUser(t);
    const { key: theirs } = await registered(other.token);
    const { key: mine } = await registered(u.token, 'Mine');
    const step = await passwordStep(u.email);
    expectProblem(await post('/api/auth/mfa/passkey', { mfaToken: step.mfaToken, response: theirs.assert(await signInOptions(step.mfaToken)) }), 401, 'invalid_passkey');
    expectProblem(await post('/api/auth/mfa/passkey', { mfaToken: step.mfaToken, response: mine.assert(await signInOptions(step.mfaToken), { uv: false }) }), 401, 'invalid_passkey');
    // A challenge issued for a usernameless sign-in is not the MFA step's.
    expectProblem(await post('/api/auth/mfa/passkey', { mfaToken: step.mfaToken, response: theirs.assert(await signInOptions()) }), 400, 'passkey_challenge_invalid');
    // The step still completes with the user's own passkey, verified.
    const ok = await post('/api/auth/mfa/passkey', { mfaToken: step.mfaToken, response: mine.assert(await signInOptions(step.mfaToken)) });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('refuses a passkey sign-in step for an account without passkeys', async () => {
    const u = await withTotp();
    const step = await passwordStep(u.email);
    expectProblem(await post('/api/auth/passkey/options', { mfaToken: step.mfaToken }), 401, 'invalid_passkey');
  });
});

describe('managing passkeys', () => {
  it('renames and removes one’s own passkeys, audited; another user’s or another org’s answer 404', async () => {
    const u = await createUser(t);
    const { id } = await registered(u.token, 'Old name');
    const renamed = await t.inject({ method: 'PATCH', url: `/api/auth/passkeys/${id}`, headers: bearer(u.token), payload: { name: '  Work laptop ' } });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json().name).toBe('Work laptop');

    const other = await createUser(t);
    expectProblem(await t.inject({ method: 'PATCH', url: `/api/auth/passkeys/${id}`, headers: bearer(other.token), payload: { name: 'Mine now' } }), 404);
    expectProblem(await t.inject({ method: 'DELETE', url: `/api/auth/passkeys/${id}`, headers: bearer(other.token), payload: { password: GOOD_PASSWORD } }), 404);
    // Not even an admin of the org manages someone else's passkeys; another org's admin sees nothing.
    expectProblem(await t.inject({ method: 'PATCH', url: `/api/auth/passkeys/${id}`, headers: bearer(t.adminToken), payload: { name: 'Admin' } }), 404);
    const org = await createOrg(t);
    expectProblem(await t.inject({ method: 'DELETE', url: `/api/auth/passkeys/${id}`, headers: bearer(org.token), payload: { password: GOOD_PASSWORD } }), 404);
    expect((await t.inject({ method: 'GET', url: '/api/auth/passkeys', headers: bearer(org.token) })).json().data).toEqual([]);

    const removed = await t.inject({ method: 'DELETE', url: `/api/auth/passkeys/${id}`, headers: bearer(u.token) });
    expect(removed.statusCode, removed.body).toBe(204);
    expect(await auditOf(id)).toEqual(['passkey.register', 'passkey.rename', 'passkey.remove']);
    expectProblem(await t.inject({ method: 'DELETE', url: `/api/auth/passkeys/${id}`, headers: bearer(u.token) }), 404);
    expectProblem(await t.inject({ method: 'PATCH', url: '/api/auth/passkeys/not-a-uuid', headers: bearer(u.token), payload: { name: 'x' } }), 400);
  });

  it('removing a passkey long after signing in needs the current password', async () => {
    const u = await createUser(t);
    const { id, key } = await registered(u.token);
    // Sessions are stamped with the wall clock: 11 minutes after this moment, whatever the test's clock says.
    const saved = now;
    now = Date.now() + 11 * 60_000;
    try {
      expectProblem(await t.inject({ method: 'DELETE', url: `/api/auth/passkeys/${id}`, headers: bearer(u.token) }), 403, 'reauthentication_required');
      expectProblem(
        await t.inject({ method: 'DELETE', url: `/api/auth/passkeys/${id}`, headers: bearer(u.token), payload: { password: 'Wrong-Password-1' } }),
        400,
        'invalid_current_password',
      );
      const ok = await t.inject({ method: 'DELETE', url: `/api/auth/passkeys/${id}`, headers: bearer(u.token), payload: { password: GOOD_PASSWORD } });
      expect(ok.statusCode, ok.body).toBe(204);
    } finally {
      now = saved;
    }
    // A removed passkey signs no one in.
    expectProblem(await signIn(key.assert(await signInOptions())), 401, 'invalid_passkey');
  });

  it('erasing a user (GDPR) deletes their passkeys', async () => {
    const u = await createUser(t);
    const { key } = await registered(u.token);
    const erased = await t.inject({ method: 'POST', url: `/api/users/${u.id}/erase`, headers: bearer(t.adminToken) });
    expect(erased.statusCode, erased.body).toBe(200);
    expect(await rows(sql`select 1 from passkeys where user_id = ${u.id}`)).toHaveLength(0);
    expectProblem(await signIn(key.assert(await signInOptions())), 401, 'invalid_passkey');
  });
});
