import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createOrg, createTestApp, createUser, expectProblem, GOOD_PASSWORD, uniqueEmail, type TestApp } from './helpers.ts';

let t: TestApp;
let now = Date.now();

/** The invitation tokens mailed to `to` (mail without SMTP is kept in the notifications table), newest first. */
async function tokensTo(to: string): Promise<string[]> {
  const res = (await t.database.db.execute(
    sql`select body from notifications where lower("to") = lower(${to}) and meta->>'template' = 'identity.invitation' order by created_at desc, id desc`,
  )) as unknown as { rows: { body: string }[] };
  return res.rows.map((r) => decodeURIComponent(/\/invite\?token=([A-Za-z0-9_%-]+)/.exec(r.body)![1]!));
}

const invite = (token: string, payload: unknown) =>
  t.inject({ method: 'POST', url: '/api/invitations', headers: bearer(token), payload: payload as object });
const accept = (payload: unknown) => t.inject({ method: 'POST', url: '/api/invitations/accept', payload: payload as object });
const preview = (token: string) => t.inject({ method: 'GET', url: `/api/invitations/accept?token=${encodeURIComponent(token)}` });

beforeAll(async () => {
  t = await createTestApp({}, { clock: () => now });
});
afterAll(() => t.close());

describe('invitations', () => {
  it('invite → preview → accept creates the user with the roles and department, signs them in, and is audited', async () => {
    const email = uniqueEmail('invitee');
    const res = await invite(t.adminToken, { email, roles: ['agent'], department: 'north' });
    expect(res.statusCode).toBe(201);
    const inv = res.json() as { id: string; email: string; expired: boolean };
    expect(inv).toMatchObject({ email, expired: false });
    const [token] = await tokensTo(email);
    const shown = preview(token!);
    expect((await shown).json()).toEqual({
      orgName: expect.any(String),
      orgSlug: 'default',
      email,
      roles: ['agent'],
      department: 'north',
      expiresAt: expect.any(String),
    });
    expectProblem(await accept({ token, name: 'New Person', password: 'short' }), 400, 'weak_password');
    const ok = await accept({ token, name: 'New Person', password: GOOD_PASSWORD });
    expect(ok.statusCode).toBe(200);
    // The console keeps the session: the refresh cookie is set as after a login.
    expect(String(ok.headers['set-cookie'])).toMatch(/imsop_refresh=[^;]+;.*Path=\/api\/auth.*HttpOnly/);
    const body = ok.json() as { accessToken: string; user: { id: string; department: string; roles: { name: string }[] } };
    expect(body.user.department).toBe('north');
    expect(body.user.roles.map((r) => r.name)).toEqual(['agent']);
    const me = await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(body.accessToken) });
    expect(me.json()).toMatchObject({ email, name: 'New Person' });
    await t.login(email, GOOD_PASSWORD);
    // Single use, and no longer pending: the link says it was accepted.
    expectProblem(await accept({ token, name: 'Again', password: GOOD_PASSWORD }), 409, 'invitation_accepted');
    expectProblem(await preview(token!), 409, 'invitation_accepted');
    const list = (await t.inject({ method: 'GET', url: '/api/invitations', headers: bearer(t.adminToken) })).json() as { data: { id: string }[] };
    expect(list.data.map((i) => i.id)).not.toContain(inv.id);
    const audit = (await t.database.db.execute(
      sql`select action, actor_id from audit_logs where entity_id in (${inv.id}, ${body.user.id}) order by seq`,
    )) as unknown as { rows: { action: string; actor_id: string }[] };
    const adminId = (await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(t.adminToken) })).json().id as string;
    // The admin invited; the new user accepted (and so created their account), naming the inviter.
    expect(audit.rows).toEqual([
      { action: 'invitation.create', actor_id: adminId },
      { action: 'user.create', actor_id: body.user.id },
      { action: 'invitation.accept', actor_id: body.user.id },
    ]);
    const details = (await t.database.db.execute(
      sql`select changes from audit_logs where entity_id = ${inv.id} and action = 'invitation.accept'`,
    )) as unknown as { rows: { changes: { details: { invitedBy: string; userId: string } } }[] };
    expect(details.rows[0]!.changes.details).toEqual({ invitedBy: adminId, userId: body.user.id });
    // The roles record who assigned them: the inviter.
    const assigned = (await t.database.db.execute(sql`select assigned_by from user_roles where user_id = ${body.user.id}`)) as unknown as {
      rows: { assigned_by: string }[];
    };
    expect(assigned.rows).toEqual([{ assigned_by: adminId }]);
  });

  it('refuses bad input, an existing user’s address (409) and a second pending invitation (409)', async () => {
    expectProblem(await invite(t.adminToken, { email: 'nope' }), 400, 'validation_failed');
    expectProblem(await invite(t.adminToken, { email: uniqueEmail(), roles: ['no-such-role'] }), 400, 'unknown_role');
    expectProblem(await invite(t.adminToken, { email: uniqueEmail(), orgId: 'x' }), 400);
    const u = await createUser(t);
    expectProblem(await invite(t.adminToken, { email: u.email.toUpperCase() }), 409, 'email_taken');
    const email = uniqueEmail();
    const first = (await invite(t.adminToken, { email })).json() as { id: string };
    const again = await invite(t.adminToken, { email: email.toUpperCase(), roles: ['viewer'] });
    expectProblem(again, 409, 'invitation_pending');
    // The problem names the pending invitation, so the console can offer to resend it.
    expect(again.json().invitationId).toBe(first.id);
    expectProblem(await accept({ token: 'never-issued', name: 'X', password: GOOD_PASSWORD }), 400, 'invalid_invitation');
    expectProblem(await preview('never-issued'), 400, 'invalid_invitation');
    expectProblem(await t.inject({ method: 'GET', url: '/api/invitations?limit=0', headers: bearer(t.adminToken) }), 400);
  });

  it('resend replaces the link; revoke kills it; both answer 409 once the invitation is not pending', async () => {
    const email = uniqueEmail();
    const inv = (await invite(t.adminToken, { email })).json() as { id: string };
    const [first] = await tokensTo(email);
    const resent = await t.inject({ method: 'POST', url: `/api/invitations/${inv.id}/resend`, headers: bearer(t.adminToken) });
    expect(resent.statusCode).toBe(200);
    const [second] = await tokensTo(email);
    expect(second).not.toBe(first);
    // The replaced link is outdated, not unknown.
    expectProblem(await preview(first!), 400, 'invitation_outdated');
    expectProblem(await accept({ token: first, name: 'X', password: GOOD_PASSWORD }), 400, 'invitation_outdated');
    expect((await preview(second!)).statusCode).toBe(200);
    expect((await t.inject({ method: 'DELETE', url: `/api/invitations/${inv.id}`, headers: bearer(t.adminToken) })).statusCode).toBe(204);
    expectProblem(await accept({ token: second, name: 'X', password: GOOD_PASSWORD }), 400, 'invitation_outdated');
    expectProblem(await preview(first!), 400, 'invitation_outdated');
    // Revoked, the address may be invited afresh.
    expect((await invite(t.adminToken, { email })).statusCode).toBe(201);
    expectProblem(await t.inject({ method: 'DELETE', url: `/api/invitations/${inv.id}`, headers: bearer(t.adminToken) }), 409, 'invitation_not_pending');
    expectProblem(await t.inject({ method: 'POST', url: `/api/invitations/${inv.id}/resend`, headers: bearer(t.adminToken) }), 409, 'invitation_not_pending');
  });

  it('expires after INVITATION_TTL (7 days) on the injected clock; a resend gives a fresh week', async () => {
    const email = uniqueEmail();
    const inv = (await invite(t.adminToken, { email })).json() as { id: string };
    const [token] = await tokensTo(email);
    now += 7 * 24 * 3600_000 + 1000;
    expectProblem(await preview(token!), 400, 'invitation_expired');
    expectProblem(await accept({ token, name: 'Late', password: GOOD_PASSWORD }), 400, 'invitation_expired');
    // Expired is still pending: a new invitation of the address is refused in favour of a resend.
    expectProblem(await invite(t.adminToken, { email }), 409, 'invitation_pending');
    const listed = (await t.inject({ method: 'GET', url: '/api/invitations', headers: bearer(t.adminToken) })).json() as {
      data: { id: string; expired: boolean }[];
    };
    expect(listed.data.find((i) => i.id === inv.id)?.expired).toBe(true);
    await t.inject({ method: 'POST', url: `/api/invitations/${inv.id}/resend`, headers: bearer(t.adminToken) });
    const [fresh] = await tokensTo(email);
    expect((await accept({ token: fresh, name: 'On Time', password: GOOD_PASSWORD })).statusCode).toBe(200);
  });

  it('keeps at most one pending invitation per address in the database too (a partial unique index)', async () => {
    const email = uniqueEmail('twice');
    const inv = (await invite(t.adminToken, { email })).json() as { id: string };
    const copy = sql`insert into invitations (id, org_id, email, token_hash, expires_at)
      select gen_random_uuid(), org_id, upper(email), md5(random()::text), expires_at from invitations where id = ${inv.id}`;
    await expect(t.database.db.execute(copy)).rejects.toThrow();
    // Once revoked, another pending invitation may exist.
    await t.inject({ method: 'DELETE', url: `/api/invitations/${inv.id}`, headers: bearer(t.adminToken) });
    await t.database.db.execute(copy);
    // Two concurrent invitations of a new address: one is created, the other told it is pending.
    const racing = uniqueEmail('race');
    const both = await Promise.all([invite(t.adminToken, { email: racing }), invite(t.adminToken, { email: racing })]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(both.find((r) => r.statusCode === 409)!.json().code).toBe('invitation_pending');
  });

  it('answers 404 for another org’s invitation ids, and lists only the caller’s org', async () => {
    const other = await createOrg(t);
    const theirs = (await invite(other.token, { email: uniqueEmail() })).json() as { id: string };
    expectProblem(await t.inject({ method: 'POST', url: `/api/invitations/${theirs.id}/resend`, headers: bearer(t.adminToken) }), 404);
    expectProblem(await t.inject({ method: 'DELETE', url: `/api/invitations/${theirs.id}`, headers: bearer(t.adminToken) }), 404);
    const mine = (await t.inject({ method: 'GET', url: '/api/invitations', headers: bearer(t.adminToken) })).json() as { data: { id: string }[] };
    expect(mine.data.map((i) => i.id)).not.toContain(theirs.id);
  });

  it('pages with limit and cursor: every pending invitation once, newest first', async () => {
    for (let i = 0; i < 3; i++) await invite(t.adminToken, { email: uniqueEmail('paged') });
    const list = async (q: string) =>
      (await t.inject({ method: 'GET', url: `/api/invitations?${q}`, headers: bearer(t.adminToken) })).json() as { data: { id: string }[]; nextCursor: string | null };
    const all = (await list('limit=200')).data.map((i) => i.id);
    expect(all.length).toBeGreaterThanOrEqual(3);
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(2);
      walked.push(...page.data.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(walked).toEqual(all);
    expectProblem(await t.inject({ method: 'GET', url: '/api/invitations?cursor=not-a-cursor', headers: bearer(t.adminToken) }), 400);
  });

  it('scopes by users:create: a department manager invites into its department only; viewers cannot invite', async () => {
    const manager = await createUser(t, { roles: ['manager'], department: 'south' });
    const viewer = await createUser(t, { roles: ['viewer'] });
    expectProblem(await invite(viewer.token, { email: uniqueEmail() }), 403);
    expectProblem(await t.inject({ method: 'GET', url: '/api/invitations', headers: bearer(viewer.token) }), 403);
    expectProblem(await invite(manager.token, { email: uniqueEmail(), department: 'north' }), 403);
    expectProblem(await invite(manager.token, { email: uniqueEmail(), department: null }), 403);
    const northInv = (await invite(t.adminToken, { email: uniqueEmail(), department: 'north' })).json() as { id: string };
    expectProblem(await t.inject({ method: 'DELETE', url: `/api/invitations/${northInv.id}`, headers: bearer(manager.token) }), 404);
    const email = uniqueEmail();
    const southInv = await invite(manager.token, { email, department: 'south' });
    expect(southInv.statusCode).toBe(201);
    const listed = (await t.inject({ method: 'GET', url: '/api/invitations', headers: bearer(manager.token) })).json() as {
      data: { department: string }[];
    };
    expect(listed.data.length).toBeGreaterThan(0);
    expect(listed.data.every((i) => i.department === 'south')).toBe(true);
    // Managers may not assign roles: an invitation with roles is refused, as a user creation would be.
    expectProblem(await invite(manager.token, { email: uniqueEmail(), department: 'south', roles: ['viewer'] }), 403);
    // Nor revive one an admin made: a resend makes the resender the inviter, so it needs the same rights.
    const withRoles = (await invite(t.adminToken, { email: uniqueEmail(), department: 'south', roles: ['agent'] })).json() as { id: string };
    expectProblem(await t.inject({ method: 'POST', url: `/api/invitations/${withRoles.id}/resend`, headers: bearer(manager.token) }), 403);
    const plain = (await invite(t.adminToken, { email: uniqueEmail(), department: 'south' })).json() as { id: string };
    const resent = await t.inject({ method: 'POST', url: `/api/invitations/${plain.id}/resend`, headers: bearer(manager.token) });
    expect(resent.statusCode, resent.body).toBe(200);
    expect(resent.json().invitedBy).toBe(manager.id);
  });

  it('applies the inviter’s rights as they are at acceptance: a demoted inviter’s invitation no longer grants its roles', async () => {
    const inviter = await createUser(t, { roles: ['admin'] });
    const email = uniqueEmail();
    expect((await invite(inviter.token, { email, roles: ['agent'] })).statusCode).toBe(201);
    const [token] = await tokensTo(email);
    // The inviter becomes a manager: they may no longer assign roles.
    const roles = await t.inject({ method: 'PUT', url: `/api/users/${inviter.id}/roles`, headers: bearer(t.adminToken), payload: { roles: ['manager'] } });
    expect(roles.statusCode).toBe(200);
    expectProblem(await accept({ token, name: 'Too Late', password: GOOD_PASSWORD }), 403);
    const count = (await t.database.db.execute(sql`select count(*)::int as n from users where lower(email) = lower(${email})`)) as unknown as {
      rows: { n: number }[];
    };
    expect(count.rows[0]!.n).toBe(0);
  });
});
