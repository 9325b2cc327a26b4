import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PASSWORD_RESET_JOB } from '../src/modules/identity/password-reset.service.ts';
import { bearer, createOrg, createTestApp, createUser, expectProblem, GOOD_PASSWORD, type TestApp } from './helpers.ts';

const NEW_PASSWORD = 'Brand-New-Password-77';
/** Addresses unknown to the server, unique to this run (the services run keeps per-address limits in a shared Redis). */
const run = Date.now().toString(36);
const UNKNOWN = `nobody.here.${run}@example.test`;
const UNKNOWN_2 = `nobody.else.${run}@example.test`;
const LIMITED = `limited.unknown.${run}@example.test`;
let t: TestApp;
let now = Date.now();

/**
 * The reset links mailed to `to` (mail without SMTP is kept in the notifications table), newest first,
 * once the queued requests ran (a request only queues the job that looks the address up).
 */
async function linksTo(to: string): Promise<string[]> {
  await t.app.platform.jobs.runDue();
  const res = (await t.database.db.execute(
    sql`select body from notifications where lower("to") = lower(${to}) and meta->>'template' = 'identity.password_reset' order by created_at desc`,
  )) as unknown as { rows: { body: string }[] };
  return res.rows.map((r) => /reset-password\?token=([A-Za-z0-9_%-]+)/.exec(r.body)![1]!).map(decodeURIComponent);
}

let ip = 0;
const forgot = (payload: unknown, remoteAddress = `10.77.0.${++ip % 250}`) =>
  t.inject({ method: 'POST', url: '/api/auth/password/forgot', payload: payload as object, remoteAddress });
const reset = (payload: unknown) => t.inject({ method: 'POST', url: '/api/auth/password/reset', payload: payload as object });

beforeAll(async () => {
  t = await createTestApp({ PASSWORD_RESET_RATE_LIMIT: '3' }, { clock: () => now });
});
afterAll(() => t.close());

describe('forgot password', () => {
  it('answers 202 with the same body for a known and an unknown address, and mails only the known one', async () => {
    const u = await createUser(t);
    const known = await forgot({ email: u.email });
    const unknown = await forgot({ email: UNKNOWN });
    expect(known.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(202);
    expect(unknown.body).toBe(known.body);
    expect(await linksTo(u.email)).toHaveLength(1);
    expect(await linksTo(UNKNOWN)).toHaveLength(0);
    const stored = (await t.database.db.execute(sql`select token_hash from password_reset_tokens where user_id = ${u.id}`)) as unknown as {
      rows: { token_hash: string }[];
    };
    const [token] = await linksTo(u.email);
    // Only the hash is stored, never the token.
    expect(stored.rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.rows[0]!.token_hash).not.toBe(token);
    // The request is in the activity log, and the link points at the configured public URL.
    const activity = (await t.database.db.execute(
      sql`select count(*)::int as n from activity_logs where user_id = ${u.id} and action = 'password_reset_requested'`,
    )) as unknown as { rows: { n: number }[] };
    expect(activity.rows[0]!.n).toBe(1);
  });

  it('does the same work for a known and an unknown address: it queues one lookup job, and the job mails the link', async () => {
    const u = await createUser(t);
    const enqueue = vi.spyOn(t.app.platform.jobs, 'enqueue');
    try {
      const known = await forgot({ email: u.email }, '10.78.0.1');
      const unknown = await forgot({ email: UNKNOWN_2 }, '10.78.0.1');
      const headersOf = (r: typeof known) => Object.keys(r.headers).filter((h) => !['date', 'x-request-id', 'x-ratelimit-remaining'].includes(h)).sort();
      expect([unknown.statusCode, unknown.body, headersOf(unknown)]).toEqual([known.statusCode, known.body, headersOf(known)]);
      // Each request queued exactly one job of the same kind, with nothing that depends on the address being known.
      const calls = enqueue.mock.calls.map(([job, payload]) => ({ name: job.name, keys: Object.keys(payload as object).sort() }));
      expect(calls).toEqual([
        { name: PASSWORD_RESET_JOB, keys: ['email', 'meta'] },
        { name: PASSWORD_RESET_JOB, keys: ['email', 'meta'] },
      ]);
    } finally {
      enqueue.mockRestore();
    }
    // The job ran and the mail went out (the log transport marks it sent).
    expect(await linksTo(u.email)).toHaveLength(1);
    await t.app.platform.jobs.runDue();
    const sent = (await t.database.db.execute(
      sql`select status from notifications where "to" = ${u.email} and meta->>'template' = 'identity.password_reset'`,
    )) as unknown as { rows: { status: string }[] };
    expect(sent.rows).toEqual([{ status: 'sent' }]);
    expect(await linksTo(UNKNOWN_2)).toHaveLength(0);
  });

  it('refuses bad input with 400', async () => {
    expectProblem(await forgot({ email: 'not-an-email' }), 400, 'validation_failed');
    expectProblem(await forgot({ email: 'a@b.test', extra: 1 }), 400);
    expectProblem(await reset({ token: '', password: NEW_PASSWORD }), 400);
    expectProblem(await reset({ token: 'x' }), 400);
  });

  it('limits requests per address, known or not, whatever the IP', async () => {
    for (const email of [LIMITED, (await createUser(t)).email]) {
      for (let i = 0; i < 3; i++) expect((await forgot({ email })).statusCode).toBe(202);
      const limited = await forgot({ email: email.toUpperCase() });
      expectProblem(limited, 429, 'rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
  });
});

describe('reset password', () => {
  it('sets the password, ends every session, clears the lockout, is audited, and works once', async () => {
    const u = await createUser(t);
    // Two failed logins count toward the lockout; the reset clears them.
    for (let i = 0; i < 2; i++) await t.inject({ method: 'POST', url: '/api/auth/login', payload: { email: u.email, password: 'Wrong-Password-1' } });
    await forgot({ email: u.email });
    const [token] = await linksTo(u.email);
    expectProblem(await reset({ token, password: 'short' }), 400, 'weak_password');
    const ok = await reset({ token, password: NEW_PASSWORD });
    expect(ok.statusCode).toBe(204);
    // The old session's access token is refused at once; the old password no longer works.
    expect((await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(u.token) })).statusCode).toBe(401);
    expectProblem(await t.inject({ method: 'POST', url: '/api/auth/login', payload: { email: u.email, password: GOOD_PASSWORD } }), 401);
    await t.login(u.email, NEW_PASSWORD);
    const row = (await t.database.db.execute(sql`select failed_logins from users where id = ${u.id}`)) as unknown as { rows: { failed_logins: number }[] };
    expect(row.rows[0]!.failed_logins).toBe(0);
    const audit = (await t.database.db.execute(
      sql`select actor_id from audit_logs where action = 'user.password_reset' and entity_id = ${u.id}`,
    )) as unknown as { rows: { actor_id: string }[] };
    expect(audit.rows).toEqual([{ actor_id: u.id }]);
    // Single use.
    expectProblem(await reset({ token, password: 'Another-Password-88' }), 400, 'invalid_reset_token');
  });

  it('answers the same 400 for an unknown, an expired and a superseded-by-reset token', async () => {
    const u = await createUser(t);
    expectProblem(await reset({ token: 'made-up-token-that-was-never-issued', password: NEW_PASSWORD }), 400, 'invalid_reset_token');
    await forgot({ email: u.email });
    const [first] = await linksTo(u.email);
    now += 31 * 60_000; // PASSWORD_RESET_TTL is 30 minutes
    expectProblem(await reset({ token: first, password: NEW_PASSWORD }), 400, 'invalid_reset_token');
    await forgot({ email: u.email });
    await forgot({ email: u.email });
    const [newest, older] = await linksTo(u.email);
    expect((await reset({ token: newest, password: NEW_PASSWORD })).statusCode).toBe(204);
    // A reset kills the account's other outstanding links.
    expectProblem(await reset({ token: older, password: 'Another-Password-88' }), 400, 'invalid_reset_token');
  });

  it('resets one account per link when an address belongs to two orgs; the org narrows the request', async () => {
    const other = await createOrg(t);
    const email = (await createUser(t)).email;
    const twin = await t.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(other.token),
      payload: { email, name: 'Twin', password: GOOD_PASSWORD, roles: ['viewer'] },
    });
    expect(twin.statusCode).toBe(201);
    await forgot({ email, org: other.slug });
    expect(await linksTo(email)).toHaveLength(1);
    const [token] = await linksTo(email);
    expect((await reset({ token, password: NEW_PASSWORD })).statusCode).toBe(204);
    await t.login(email, NEW_PASSWORD, other.slug);
    await t.login(email, GOOD_PASSWORD, 'default');
  });
});
