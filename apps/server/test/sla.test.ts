import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inOrg } from '../src/platform/db/scope.ts';
import { bearer, createOrg, createTestApp, createUser, expectProblem, PG_URL, type TestApp } from './helpers.ts';
import { servicedeskModule } from '../src/modules/servicedesk/index.ts';
import { expectPaging, keysetOrder, type ListCall } from './paging.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ SLA_TICK_SECONDS: '0' });
});
afterAll(async () => t?.close());

const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: unknown, token = t.adminToken) =>
  t.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload: payload as object }) });
const rows = async <T>(q: ReturnType<typeof sql>) => ((await t.database.db.execute(q)) as unknown as { rows: T[] }).rows;
const MIN = 60_000;

type Ticket = { id: string; number: number; priority: string; assigneeId: string | null; slaNextDueAt: string | null; status: string };
// Instants that did not happen are left out of the stored state.
type Stored = { targets: Record<string, { state: string; dueAt: string; breachedAt?: string; achievedAt?: string }> };
const slaOf = async (id: string) => (await rows<{ state: Stored }>(sql`select state from ticket_sla where ticket_id = ${id}`))[0]?.state ?? null;

const WEEKDAY_9_TO_5 = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday'].map((d) => [d, [['09:00', '17:00']]]));

async function policy(body: Record<string, unknown>) {
  const res = await call('POST', '/api/servicedesk/sla-policies', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}
async function ticket(body: Record<string, unknown> = {}, token = t.adminToken): Promise<Ticket> {
  const res = await call('POST', '/api/tickets', { subject: 'SLA test', requester: { name: 'Req', email: 'req@example.test' }, ...body }, token);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe('calendars and policies', () => {
  it('validates calendars and policies with clear errors', async () => {
    const bad = expectProblem(
      await call('POST', '/api/servicedesk/calendars', { name: 'Bad', timeZone: 'Mars/Olympus', weeklyHours: { monday: [['10:00', '09:00']] } }),
      400,
      'invalid_calendar',
    ) as unknown as { errors: { path: string }[] };
    expect(bad.errors.map((e) => e.path).sort()).toEqual(['timeZone', 'weeklyHours.monday.0']);
    expectProblem(await call('POST', '/api/servicedesk/calendars', { name: 'Shut', timeZone: 'UTC', weeklyHours: {} }), 400, 'invalid_calendar');
    expectProblem(
      await call('POST', '/api/servicedesk/sla-policies', { name: 'x', targets: { low: { firstResponse: 10 } }, calendarId: '00000000-0000-7000-8000-000000000000' }),
      400,
      'unknown_calendar',
    );
    expectProblem(await call('POST', '/api/servicedesk/sla-policies', { name: 'x', targets: { low: { firstResponse: 0 } } }), 400);
    expectProblem(
      await call('POST', '/api/servicedesk/sla-policies', { name: 'x', targets: {}, escalations: [{ at: 'warning', actions: ['notify_manager'] }] }),
      400,
      'invalid_policy',
    );
    const viewer = await createUser(t, { roles: ['viewer'] });
    expectProblem(await call('POST', '/api/servicedesk/calendars', { name: 'V', timeZone: 'UTC', weeklyHours: WEEKDAY_9_TO_5 }, viewer.token), 403);
  });
});

describe('ticket clocks', () => {
  let cal: { id: string };
  beforeAll(async () => {
    const res = await call('POST', '/api/servicedesk/calendars', { name: 'London office', timeZone: 'Europe/London', weeklyHours: WEEKDAY_9_TO_5 });
    expect(res.statusCode, res.body).toBe(201);
    cal = res.json();
    // The fallback: generous, always open. The VIP policy matches by tag first.
    await policy({ name: 'Default', isDefault: true, targets: Object.fromEntries(['low', 'medium', 'high', 'urgent'].map((p) => [p, { firstResponse: 600, resolution: 6000 }])) });
    await policy({ name: 'VIP', conditions: { tagsAny: ['vip'] }, calendarId: cal.id, targets: { medium: { firstResponse: 60, nextResponse: 120, resolution: 480 }, high: { firstResponse: 30 } } });
  });

  it('the first matching policy applies; only a public agent reply achieves the first response', async () => {
    const plain = await ticket();
    const vip = await ticket({ tags: ['vip'] });
    const policies = await rows<{ id: string; name: string }>(
      sql`select s.ticket_id as id, p.name from ticket_sla s join sla_policies p on p.id = s.policy_id where s.ticket_id in (${plain.id}, ${vip.id})`,
    );
    expect(Object.fromEntries(policies.map((p) => [p.id, p.name]))).toEqual({ [plain.id]: 'Default', [vip.id]: 'VIP' });
    expect(vip.slaNextDueAt).not.toBeNull();
    expect((await slaOf(vip.id))!.targets.firstResponse!.state).toMatch(/active|breached/);

    await call('POST', `/api/tickets/${plain.id}/replies`, { body: 'internal only', isInternal: true });
    expect((await slaOf(plain.id))!.targets.firstResponse!.state).toBe('active');
    await call('POST', `/api/tickets/${plain.id}/replies`, { body: 'Hello!' });
    const after = (await slaOf(plain.id))!.targets.firstResponse!;
    expect(after.state).toBe('achieved');
    expect(Date.parse(after.achievedAt!)).toBeLessThanOrEqual(Date.now());
    expect(after.breachedAt).toBeUndefined();
  });

  it('explains the computation: policy, calendar intervals, pauses and targets', async () => {
    const vip = await ticket({ tags: ['vip'] });
    // Created on a Saturday at noon (London), whatever the time now: the first business interval
    // then opens on Monday at 09:00. Created "now", it would open now during business hours.
    const saturdayNoon = new Date('2026-01-03T12:00:00Z');
    await rows(sql`update tickets set created_at = ${saturdayNoon} where id = ${vip.id}`);
    await rows(sql`update ticket_timeline set at = ${saturdayNoon} where ticket_id = ${vip.id}`);
    await call('PATCH', `/api/tickets/${vip.id}`, { status: 'pending_customer' });
    const res = await call('GET', `/api/tickets/${vip.id}/sla`);
    expect(res.statusCode, res.body).toBe(200);
    const ex = res.json().sla as {
      timeZone: string;
      ticket: { policyName: string };
      pauses: { status: string; end: string | null }[];
      targets: { target: string; goalMinutes: number; derivation: string }[];
      calendar: { intervals: { start: string; end: string }[] };
    };
    expect(ex.timeZone).toBe('Europe/London');
    expect(ex.ticket.policyName).toBe('VIP');
    expect(ex.pauses).toEqual([expect.objectContaining({ status: 'pending_customer', end: null })]);
    expect(ex.targets.find((x) => x.target === 'firstResponse')).toMatchObject({ goalMinutes: 60 });
    expect(ex.calendar.intervals.length).toBeGreaterThan(0);
    expect(new Date(ex.calendar.intervals[0]!.start).toISOString()).toBe('2026-01-05T09:00:00.000Z');
    // A plain ticket of an org without policies has no SLA.
    const other = await createOrg(t);
    const bare = (await call('POST', '/api/tickets', { subject: 'x', requester: { name: 'R', email: 'r@example.test' } }, other.token)).json();
    expect((await call('GET', `/api/tickets/${bare.id}/sla`, undefined, other.token)).json()).toEqual({ ticketId: bare.id, sla: null });
    expectProblem(await call('GET', `/api/tickets/${vip.id}/sla`, undefined, other.token), 404);
  });

  it('a policy edit that moves a ticket to another policy changes it at that instant: outcomes reached stay', async () => {
    const other = await createOrg(t);
    const as = (method: 'POST' | 'PATCH', url: string, body: unknown) => call(method, url, body, other.token);
    const targets = (firstResponse: number) => ({ medium: { firstResponse, resolution: 480 } });
    expect((await as('POST', '/api/servicedesk/sla-policies', { name: 'Standard', isDefault: true, targets: targets(60) })).statusCode).toBe(201);
    const strict = (await as('POST', '/api/servicedesk/sla-policies', { name: 'Strict', conditions: { tagsAny: ['gold'] }, targets: targets(5) })).json();
    const tk = (await as('POST', '/api/tickets', { subject: 'x', tags: ['vip'], priority: 'medium', requester: { name: 'R', email: 'r@example.test' } })).json();
    expect((await as('POST', `/api/tickets/${tk.id}/replies`, { body: 'On it' })).statusCode).toBe(201);
    // The ticket came in 30 minutes ago and was answered after 10: in time for Standard (60), late for Strict (5).
    await rows(sql`update tickets set created_at = created_at - interval '30 minutes' where id = ${tk.id}`);
    await rows(sql`update ticket_timeline set at = at - case when kind = 'created' then interval '30 minutes' else interval '20 minutes' end where ticket_id = ${tk.id}`);
    const sla = t.app.platform.module(servicedeskModule).services.sla;
    await inOrg(t.database.db, other.orgId, (tx) => sla.sync(tx, other.orgId, tk.id));
    expect((await slaOf(tk.id))!.targets.firstResponse).toMatchObject({ state: 'achieved' });

    // Strict now covers the ticket: the edit recalculates, and the ticket changes policy now.
    expect((await as('PATCH', `/api/servicedesk/sla-policies/${strict.id}`, { conditions: { tagsAny: ['vip'] } })).statusCode).toBe(200);
    const lines = await rows<{ data: { policyId: string } }>(sql`select data from ticket_timeline where ticket_id = ${tk.id} and kind = 'policy'`);
    expect(lines.map((l) => l.data.policyId)).toEqual([strict.id]);
    const after = (await slaOf(tk.id))!.targets.firstResponse!;
    expect(after.state).toBe('achieved');
    expect(after.breachedAt).toBeUndefined();
    // And the next change of the ticket computes the same: no retroactive breach.
    await inOrg(t.database.db, other.orgId, (tx) => sla.sync(tx, other.orgId, tk.id));
    expect((await slaOf(tk.id))!.targets.firstResponse).toMatchObject({ state: 'achieved' });
    expect((await rows(sql`select 1 from ticket_timeline where ticket_id = ${tk.id} and kind = 'policy'`)).length).toBe(1);
  });

  it('a policy edit that leaves a ticket under no policy removes its clocks', async () => {
    const other = await createOrg(t);
    const as = (method: 'POST' | 'PATCH', url: string, body: unknown) => call(method, url, body, other.token);
    const created = await as('POST', '/api/servicedesk/sla-policies', { name: 'Gold', conditions: { tagsAny: ['gold'] }, targets: { medium: { firstResponse: 30 } } });
    expect(created.statusCode, created.body).toBe(201);
    const gold = created.json();
    const tk = (await as('POST', '/api/tickets', { subject: 'x', tags: ['gold'], priority: 'medium', requester: { name: 'R', email: 'r@example.test' } })).json();
    expect((await slaOf(tk.id))!.targets.firstResponse!.state).toBe('active');
    const res = await as('PATCH', `/api/servicedesk/sla-policies/${gold.id}`, { conditions: { tagsAny: ['platinum'] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(await slaOf(tk.id)).toBeNull();
    expect((await call('GET', `/api/tickets/${tk.id}/sla`, undefined, other.token)).json()).toEqual({ ticketId: tk.id, sla: null });
  });

  it('editing the calendar recalculates open tickets', async () => {
    const vip = await ticket({ tags: ['vip'], priority: 'medium' });
    const before = (await slaOf(vip.id))!.targets.resolution!.dueAt;
    const res = await call('PATCH', `/api/servicedesk/calendars/${cal.id}`, {
      weeklyHours: Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday'].map((d) => [d, [['09:00', '11:00']]])),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().recalculated).toBeGreaterThan(0);
    const after = (await slaOf(vip.id))!.targets.resolution!.dueAt;
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    // Holidays from an .ics file push due times later too.
    const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN'];
    const start = new Date();
    for (let i = 0; i < 10; i++) {
      const d = new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
      ics.push('BEGIN:VEVENT', `UID:h${i}@test`, `DTSTART;VALUE=DATE:${d}`, `SUMMARY:Closed ${i}`, 'END:VEVENT');
    }
    ics.push('END:VCALENDAR');
    const from = start.toISOString().slice(0, 10);
    const to = new Date(start.getTime() + 20 * 86_400_000).toISOString().slice(0, 10);
    const imp = await call('POST', `/api/servicedesk/calendars/${cal.id}/holidays/import`, { ics: ics.join('\r\n'), from, to });
    expect(imp.statusCode, imp.body).toBe(200);
    expect(imp.json().imported).toBe(10);
    expect(Date.parse((await slaOf(vip.id))!.targets.resolution!.dueAt)).toBeGreaterThan(Date.parse(after) + 5 * 86_400_000);
    expectProblem(await call('POST', `/api/servicedesk/calendars/${cal.id}/holidays/import`, { ics: 'not ics', from, to }), 400, 'invalid_ics');
    expectProblem(await call('DELETE', `/api/servicedesk/calendars/${cal.id}`), 409, 'calendar_in_use');
  });
});

describe('breaches and escalations', () => {
  let fastPolicy: string;
  let manager: Awaited<ReturnType<typeof createUser>>;
  let exec: Awaited<ReturnType<typeof createUser>>;
  let team: { id: string };
  let agents: Awaited<ReturnType<typeof createUser>>[];
  beforeAll(async () => {
    manager = await createUser(t, { roles: ['manager'] });
    exec = await createUser(t, { roles: ['executive'] });
    agents = [await createUser(t, { roles: ['agent'] }), await createUser(t, { roles: ['agent'] })];
    team = (await call('POST', '/api/servicedesk/teams', { name: `Escalation desk ${Date.now()}`, assignment: 'round_robin', managerId: manager.id })).json();
    await call('PUT', `/api/servicedesk/teams/${team.id}/members`, { userIds: agents.map((a) => a.id) });
    fastPolicy = (
      await policy({
        name: 'Fast lane',
        conditions: { category: ['outage'] },
        targets: { medium: { firstResponse: 1, resolution: 60 }, high: { firstResponse: 1, resolution: 60 }, urgent: { firstResponse: 1, resolution: 60 } },
        escalations: [
          { id: 'manager', at: 'breach', target: 'firstResponse', actions: ['notify_manager'] },
          { id: 'executive', at: 'breach', target: 'firstResponse', offsetMinutes: 120, actions: ['notify_executive', 'raise_priority', 'reassign'] },
        ],
      })
    ).id;
    // The fast lane is checked first.
    const order = ((await call('GET', '/api/servicedesk/sla-policies?limit=200')).json().data as { id: string }[]).map((p) => p.id);
    expect((await call('PUT', '/api/servicedesk/sla-policies/order', { ids: [fastPolicy, ...order.filter((i) => i !== fastPolicy)] })).statusCode).toBe(200);
  });

  const firings = (id: string) => rows<{ kind: string; target: string; level: number }>(sql`select kind, target, level from sla_firings where ticket_id = ${id} order by created_at, kind, level`);
  const mails = (id: string, to: string) => rows<{ subject: string }>(sql`select subject from notifications where meta->>'ticketId' = ${id} and "to" = ${to}`);

  it('warns, breaches and escalates in order, each level exactly once', async () => {
    const tk = await ticket({ category: 'outage', teamId: team.id });
    expect(agents.map((a) => a.id)).toContain(tk.assigneeId);
    const created = Date.now();
    const sla = t.app.platform.module(servicedeskModule).services.sla;

    // A tick fires whatever is due in the whole database (other tests' tickets too, depending on the
    // hour the suite runs), so what is asserted is this ticket's own firings.
    await sla.tick(created + 10_000);
    expect(await firings(tk.id)).toEqual([]);
    // 90 s later: both warnings (75%, 90%) and the breach of the 1-minute first response, and the manager level.
    expect(await sla.tick(created + 90_000)).toBeGreaterThanOrEqual(4);
    expect((await firings(tk.id)).map((f) => `${f.kind}:${f.level}`).sort()).toEqual(['breach:0', 'escalation:0', 'warning:750', 'warning:900']);
    expect((await mails(tk.id, manager.email)).length).toBe(1);
    expect(((await call('GET', `/api/tickets/${tk.id}`)).json() as { slaBreached: boolean }).slaBreached).toBe(true);
    const events = await rows<{ type: string }>(sql`select type from events where topic = ${`ticket:${tk.id}`} order by id`);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['ticket.sla_warning', 'ticket.sla_breached', 'ticket.escalated']));
    await sla.tick(created + 100_000);
    expect(await firings(tk.id)).toHaveLength(4);

    // Two hours after the breach: the executive level raises the priority and reassigns, once, even with two workers at it.
    const at = created + 60_000 + 121 * MIN;
    const results = await Promise.all([sla.tick(at), sla.tick(at), sla.tick(at)]);
    expect(results.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    const after = (await call('GET', `/api/tickets/${tk.id}`)).json() as Ticket;
    expect(after.priority).toBe('high');
    expect(after.assigneeId).not.toBe(tk.assigneeId);
    expect((await firings(tk.id)).filter((f) => f.kind === 'escalation').map((f) => f.level)).toEqual([0, 1]);
    expect((await mails(tk.id, exec.email)).length).toBe(1);
    // Nothing fires twice: a later tick adds nothing to what this ticket has fired (by then the
    // 60-minute resolution target has warned and breached too).
    const fired = (await firings(tk.id)).length;
    await sla.tick(at + MIN);
    expect(await firings(tk.id)).toHaveLength(fired);
    const audit = (await call('GET', `/api/audit-logs?entityId=${tk.id}&limit=100`)).json().data as { action: string }[];
    expect(audit.filter((a) => a.action === 'ticket.sla_escalation')).toHaveLength(2);
    const timeline = ((await call('GET', `/api/tickets/${tk.id}/timeline`)).json().data as { kind: string }[]).map((e) => e.kind);
    expect(timeline).toEqual(expect.arrayContaining(['sla_warning', 'sla_breach', 'escalation', 'priority', 'assigned']));
  });

  it('a public reply in time stops the clock: no breach, no escalation', async () => {
    const tk = await ticket({ category: 'outage' });
    expect((tk as unknown as { slaBreached: boolean }).slaBreached).toBe(false);
    await call('POST', `/api/tickets/${tk.id}/replies`, { body: 'Looking now' });
    expect(await t.app.platform.module(servicedeskModule).services.sla.tick(Date.now() + 200 * MIN)).toBeGreaterThanOrEqual(0);
    expect((await firings(tk.id)).filter((f) => f.target === 'firstResponse')).toEqual([]);
  });

  it('lists tickets breaching soon', async () => {
    const tk = await ticket({ category: 'outage' });
    const soon = (await call('GET', '/api/tickets?view=breaching_soon&limit=200')).json().data.map((x: Ticket) => x.id);
    expect(soon).toContain(tk.id);
    const calm = await ticket({ category: 'other' });
    await call('POST', `/api/tickets/${calm.id}/replies`, { body: 'hi' });
    expect((await call('GET', '/api/tickets?view=breaching_soon&limit=200')).json().data.map((x: Ticket) => x.id)).not.toContain(calm.id);
  });

  it.skipIf(!PG_URL)('two worker processes on one PostgreSQL carry out each level exactly once', async () => {
    const url = (t.database as unknown as { url?: string }).url ?? (await rows<{ db: string }>(sql`select current_database() as db`)).map((r) => {
      const u = new URL(PG_URL!);
      u.pathname = `/${r.db}`;
      return u.toString();
    })[0]!;
    const tk = await ticket({ category: 'outage', teamId: team.id });
    const at = Date.now() + 60_000 + 125 * MIN;
    const run = () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', new URL('./fixtures/sla-worker.ts', import.meta.url).pathname, url, String(at), '3'], { timeout: 60_000 }).then(
        (r) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { fired: number },
      );
    const total = async () => (await rows<{ n: number }>(sql`select count(*)::int as n from sla_firings`))[0]!.n;
    const before = await total();
    const [a, b] = await Promise.all([run(), run()]);
    // Every firing the two workers report is one row: none was carried out twice.
    expect(a.fired + b.fired).toBe((await total()) - before);
    expect(a.fired + b.fired).toBeGreaterThan(0);
    const all = await firings(tk.id);
    expect(all.filter((f) => f.kind === 'escalation').map((f) => f.level).sort()).toEqual([0, 1]);
    expect(((await call('GET', `/api/tickets/${tk.id}`)).json() as Ticket).priority).toBe('high');
    expect((await mails(tk.id, exec.email)).length).toBe(1);
  });

  it('recalculating open tickets in chunks stores exactly what each ticket computes on its own', async () => {
    const sla = t.app.platform.module(servicedeskModule).services.sla;
    const orgId = (await rows<{ orgId: string }>(sql`select org_id as "orgId" from tickets where id = ${(await ticket({ category: 'outage' })).id}`))[0]!.orgId;
    // Varied timelines: replies (public and internal), a pause, a reopened and a closed ticket, fired escalations.
    const paused = await ticket({ priority: 'high' });
    await call('POST', `/api/tickets/${paused.id}/replies`, { body: 'Which version?' });
    await call('PATCH', `/api/tickets/${paused.id}`, { status: 'pending_customer' });
    const noted = await ticket({ category: 'outage', teamId: team.id });
    await call('POST', `/api/tickets/${noted.id}/replies`, { body: 'internal', isInternal: true });
    const closed = await ticket();
    await call('PATCH', `/api/tickets/${closed.id}`, { status: 'closed' });
    await sla.tick(Date.now() + 200 * MIN);
    const now = Date.now() + 30 * MIN;
    const stored = () =>
      rows<{ ticketId: string; policyId: string; state: unknown; nextDueAt: string | null; wakeAt: string | null }>(sql`
        select s.ticket_id as "ticketId", s.policy_id as "policyId", s.state, s.next_due_at::text as "nextDueAt", s.wake_at::text as "wakeAt"
        from ticket_sla s join tickets tk on tk.id = s.ticket_id
        where s.org_id = ${orgId} and tk.status in ('new', 'open', 'pending_customer', 'on_hold') order by s.ticket_id`);
    const open = await rows<{ id: string }>(sql`select id from tickets where org_id = ${orgId} and status in ('new', 'open', 'pending_customer', 'on_hold') order by id`);
    expect(open.length).toBeGreaterThan(10);
    // The reference: each open ticket on its own (the path every ticket change takes).
    for (const { id } of open) await inOrg(t.database.db, orgId, (tx) => sla.sync(tx, orgId, id, undefined, now));
    const reference = await stored();
    expect(reference.map((r) => r.ticketId)).toEqual(open.map((o) => o.id));
    expect(reference.some((r) => r.wakeAt !== null && Date.parse(r.wakeAt) > now)).toBe(true);

    // Wrong state on every ticket, and an open one without a row (the insert path).
    await rows(sql`update ticket_sla set state = '{}', next_due_at = null, wake_at = null where org_id = ${orgId}`);
    await rows(sql`delete from ticket_sla where ticket_id = ${paused.id}`);
    const stats = { setupMs: 0, computeMs: 0, waitMs: 0, readMs: 0, writeMs: 0 };
    const n = await inOrg(t.database.db, orgId, (tx) => sla.recalculateOpen(tx, orgId, { now, stats, chunkSize: 4 }));
    expect(n).toBe(open.length);
    expect(await stored()).toEqual(reference);
    expect(stats.readMs).toBeGreaterThan(0);
    expect(stats.writeMs).toBeGreaterThan(0);
    // Closed tickets are not recalculated: theirs is still the wrong state.
    expect(await rows(sql`select state from ticket_sla where ticket_id = ${closed.id}`)).toEqual([{ state: {} }]);
  });
});

describe('a change that moves a ticket to another policy', () => {
  it('raising a ticket to urgent moves its stored clocks to the tighter policy in the same change: the breach and escalation fire on time', async () => {
    const other = await createOrg(t);
    const as = (method: 'POST' | 'PATCH' | 'PUT', url: string, body: unknown) => call(method, url, body, other.token);
    const all = (firstResponse: number) => Object.fromEntries(['low', 'medium', 'high', 'urgent'].map((p) => [p, { firstResponse, resolution: 6000 }]));
    expect((await as('POST', '/api/servicedesk/sla-policies', { name: 'Standard', isDefault: true, targets: all(600) })).statusCode).toBe(201);
    const urgent = await as('POST', '/api/servicedesk/sla-policies', {
      name: 'Urgent',
      conditions: { priority: ['urgent'] },
      targets: all(10),
      escalations: [{ id: 'manager', at: 'breach', target: 'firstResponse', actions: ['notify_manager'] }],
    });
    expect(urgent.statusCode, urgent.body).toBe(201);
    const tk = (await as('POST', '/api/tickets', { subject: 'x', priority: 'medium', requester: { name: 'R', email: 'r@example.test' } })).json() as Ticket;
    const [{ created }] = (await rows<{ created: number }>(sql`select floor(extract(epoch from created_at) * 1000)::float8 as created from tickets where id = ${tk.id}`)) as [{ created: number }];
    const stored = async () => (await rows<{ policyId: string; nextDueAt: Date | null }>(sql`select policy_id as "policyId", next_due_at as "nextDueAt" from ticket_sla where ticket_id = ${tk.id}`))[0]!;
    expect((await stored()).policyId).not.toBe(urgent.json().id);

    const raised = await as('PATCH', `/api/tickets/${tk.id}`, { priority: 'urgent' });
    expect(raised.statusCode, raised.body).toBe(200);
    // The change itself stored the new policy and its tighter due time: nothing waits for a later change.
    const s = await stored();
    expect(s.policyId).toBe(urgent.json().id);
    expect(new Date(s.nextDueAt!).getTime()).toBeLessThanOrEqual(created + 10 * MIN + 1000);
    const sla = t.app.platform.module(servicedeskModule).services.sla;
    // One minute after the tighter target: breach and escalation, with no other change in between.
    const fired = await sla.tick(created + 11 * MIN);
    expect(fired).toBeGreaterThanOrEqual(2);
    const kinds = (await rows<{ kind: string }>(sql`select kind from sla_firings where ticket_id = ${tk.id}`)).map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['breach', 'escalation']));
  });
});

describe('public form to first response', () => {
  it('confirmation email, agent reply, first-response target achieved', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/api/tickets/public?org=default',
      payload: { name: 'Pat', email: 'pat@example.test', subject: 'Need help', description: 'Please' },
    });
    const { id } = res.json() as { id: string };
    expect((await rows(sql`select 1 from notifications where meta->>'ticketId' = ${id} and meta->>'template' = 'ticket.confirmation'`)).length).toBe(1);
    expect((await slaOf(id))!.targets.firstResponse!.state).toBe('active');
    await call('POST', `/api/tickets/${id}/replies`, { body: 'On it' });
    expect((await slaOf(id))!.targets.firstResponse!.state).toBe('achieved');
  });
});

describe('dashboards and ratings', () => {
  let manager: Awaited<ReturnType<typeof createUser>>;
  let agent: Awaited<ReturnType<typeof createUser>>;
  let outsider: Awaited<ReturnType<typeof createUser>>;
  let team: { id: string };
  beforeAll(async () => {
    manager = await createUser(t, { roles: ['manager'] });
    agent = await createUser(t, { roles: ['agent'] });
    outsider = await createUser(t, { roles: ['agent'] });
    team = (await call('POST', '/api/servicedesk/teams', { name: `Dash ${Date.now()}`, assignment: 'round_robin', managerId: manager.id })).json();
    await call('PUT', `/api/servicedesk/teams/${team.id}/members`, { userIds: [agent.id] });
  });

  it('agent: my queue, due soon and my CSAT', async () => {
    const tk = await ticket({ category: 'outage', teamId: team.id });
    expect(tk.assigneeId).toBe(agent.id);
    const d = (await call('GET', '/api/servicedesk/dashboards/agent', undefined, agent.token)).json();
    expect(d.openTotal).toBeGreaterThanOrEqual(1);
    expect(d.dueSoon.map((x: Ticket) => x.id)).toContain(tk.id);
    // The requester rates the resolved ticket; it counts for the agent.
    const pub = await t.inject({ method: 'POST', url: '/api/tickets/public?org=default', payload: { name: 'C', email: 'c@example.test', subject: 'Rate me', description: 'x' } });
    const { id, token } = pub.json() as { id: string; token: string };
    await call('PATCH', `/api/tickets/${id}`, { teamId: team.id, assigneeId: agent.id, status: 'resolved' });
    expect((await t.inject({ method: 'POST', url: `/api/portal/tickets/${id}/csat`, headers: { 'x-ticket-token': token }, payload: { score: 4 } })).statusCode).toBe(201);
    const after = (await call('GET', '/api/servicedesk/dashboards/agent', undefined, agent.token)).json();
    expect(after.csat).toMatchObject({ average: 4, responses: 1 });
  });

  it('manager dashboard: breach counts follow the analytics scope, but a ticket’s number and subject only the ticket read rule', async () => {
    const role = await call('POST', '/api/roles', {
      name: `analyst-${Date.now()}`,
      displayName: 'Team analyst',
      permissions: [
        { permission: 'servicedesk:analytics', condition: 'department' },
        { permission: 'tickets:read', condition: 'own' },
      ],
    });
    expect(role.statusCode, role.body).toBe(201);
    const analyst = await createUser(t, { roles: [role.json().name] });
    const desk = (await call('POST', '/api/servicedesk/teams', { name: `Analysed ${Date.now()}`, assignment: 'manual', managerId: analyst.id })).json();
    const tk = await ticket({ category: 'outage', teamId: desk.id });
    await t.app.platform.module(servicedeskModule).services.sla.tick(Date.now() + 5 * MIN);
    const d = (await call('GET', `/api/servicedesk/dashboards/manager?teamId=${desk.id}`, undefined, analyst.token)).json();
    expect(d.breaches.breach).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(d.recentBreaches)).not.toContain(tk.id);
    expectProblem(await call('GET', `/api/tickets/${tk.id}`, undefined, analyst.token), 404);
    // The team's manager with tickets:read over the team sees the same breach with its subject.
    const full = (await call('GET', `/api/servicedesk/dashboards/manager?teamId=${desk.id}`)).json();
    expect(full.recentBreaches.map((b: { ticketId: string }) => b.ticketId)).toContain(tk.id);
  });

  it('manager: workload, compliance, breaches for their team only; ratings of their agents', async () => {
    const tk = await ticket({ category: 'outage', teamId: team.id });
    await t.app.platform.module(servicedeskModule).services.sla.tick(Date.now() + 5 * MIN);
    const d = (await call('GET', '/api/servicedesk/dashboards/manager', undefined, manager.token)).json();
    expect(d.teams).toEqual([team.id]);
    expect(d.workload.find((w: { agentId: string }) => w.agentId === agent.id).open).toBeGreaterThanOrEqual(1);
    expect(d.breaches.breach).toBeGreaterThanOrEqual(1);
    expect(d.recentBreaches.map((b: { ticketId: string }) => b.ticketId)).toContain(tk.id);
    expect(d.compliance.firstResponse.breached).toBeGreaterThanOrEqual(1);
    expect(typeof d.compliance.firstResponse.percent).toBe('number');
    expectProblem(await call('GET', `/api/servicedesk/dashboards/manager?teamId=${crypto.randomUUID()}`, undefined, manager.token), 404);
    expectProblem(await call('GET', '/api/servicedesk/dashboards/manager', undefined, agent.token), 403);

    const month = new Date().toISOString().slice(0, 7);
    const r = await call('PUT', '/api/servicedesk/ratings', { agentId: agent.id, period: month, score: 5, comment: 'Great month' }, manager.token);
    expect(r.statusCode, r.body).toBe(200);
    expect((await call('PUT', '/api/servicedesk/ratings', { agentId: agent.id, period: month, score: 3 }, manager.token)).json().score).toBe(3);
    expectProblem(await call('PUT', '/api/servicedesk/ratings', { agentId: outsider.id, period: month, score: 4 }, manager.token), 403);
    expectProblem(await call('PUT', '/api/servicedesk/ratings', { agentId: agent.id, period: '2026-13', score: 4 }, manager.token), 400);
    expectProblem(await call('PUT', '/api/servicedesk/ratings', { agentId: agent.id, period: month, score: 6 }, manager.token), 400);
    expectProblem(await call('PUT', '/api/servicedesk/ratings', { agentId: agent.id, period: month, score: 4 }, agent.token), 403);
    const mine = (await call('GET', '/api/servicedesk/ratings', undefined, agent.token)).json();
    expect(mine).toEqual([expect.objectContaining({ agentId: agent.id, period: month, score: 3 })]);
    expect((await call('GET', '/api/servicedesk/ratings', undefined, outsider.token)).json()).toEqual([]);
    const md = (await call('GET', '/api/servicedesk/dashboards/manager', undefined, manager.token)).json();
    expect(md.ratings).toEqual([expect.objectContaining({ agentId: agent.id, score: 3 })]);
  });

  it('the CSV export cannot carry a formula: a requester-chosen category is quoted and neutralised for any list separator', async () => {
    const other = await createOrg(t);
    const evil = "ok;=cmd|' /C calc'!A0";
    const formula = '=HYPERLINK("http://attacker.example","open")';
    for (const category of [evil, formula, '@SUM(1)']) {
      const res = await t.inject({ method: 'POST', url: `/api/tickets/public?org=${other.slug}`, payload: { name: 'M', email: 'm@example.test', subject: 's', description: 'd', category } });
      expect(res.statusCode, res.body).toBe(201);
    }
    const csv = await call('GET', '/api/servicedesk/dashboards/executive?format=csv', undefined, other.token);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.body).toContain(`category,"${evil}",1`);
    expect(csv.body).toContain(`category,"'=HYPERLINK(""http://attacker.example"",""open"")",1`);
    expect(csv.body).toContain("category,'@SUM(1),1");
    // Split the way a spreadsheet would, with a comma or a semicolon as the list separator: no cell starts a formula.
    const cells = (line: string, sep: string) => {
      const out: string[] = [];
      let cur = '';
      let quoted = false;
      for (let i = 0; i < line.length; i++) {
        const c = line[i]!;
        if (quoted && c === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (c === '"') quoted = !quoted;
        else if (c === sep && !quoted) {
          out.push(cur);
          cur = '';
        } else cur += c;
      }
      return [...out, cur];
    };
    for (const line of csv.body.split('\r\n')) {
      for (const sep of [',', ';']) for (const cell of cells(line, sep)) expect(/^\s*[=+@]|^\s*-(?![\d.])/.test(cell), `${sep} ${cell}`).toBe(false);
    }
  });

  it('executive: trends and compliance, exported as CSV and PDF; others are refused', async () => {
    const exec = await createUser(t, { roles: ['executive'] });
    const d = (await call('GET', '/api/servicedesk/dashboards/executive', undefined, exec.token)).json();
    expect(d.totals.created).toBeGreaterThan(5);
    expect(d.volume.at(-1).day).toBe(new Date().toISOString().slice(0, 10));
    expect(d.topCategories.map((c: { category: string }) => c.category)).toContain('outage');
    expect(d.backlog.under1d).toBeGreaterThan(0);
    const csv = await call('GET', '/api/servicedesk/dashboards/executive?format=csv', undefined, exec.token);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain(`totals,created,${d.totals.created},`);
    expect(csv.body).toMatch(/compliance,firstResponse,[\d.]+,\d+ met/);
    const pdf = await call('GET', '/api/servicedesk/dashboards/executive?format=pdf', undefined, exec.token);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.rawPayload.length).toBeGreaterThan(1000);
    expectProblem(await call('GET', '/api/servicedesk/dashboards/executive', undefined, manager.token), 403);
    expectProblem(await call('GET', '/api/servicedesk/dashboards/executive?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', undefined, exec.token), 400, 'invalid_period');
    const viewer = await createUser(t, { roles: ['viewer'] });
    expectProblem(await call('GET', '/api/servicedesk/dashboards/agent', undefined, viewer.token), 403);
  });
});

describe('paged lists', () => {
  const list = (url: string, token = t.adminToken): ListCall => (q) => call('GET', `${url}?${q}`, undefined, token);
  const tag = Date.now().toString(36);

  it('calendars by name and policies in evaluation order (position, then creation), a page at a time, never another org’s', async () => {
    const other = await createOrg(t);
    const agent = await createUser(t, { roles: ['agent'] });
    const calendars = [];
    for (const n of ['pagec', 'pagea', 'pageb']) {
      const res = await call('POST', '/api/servicedesk/calendars', { name: `${n}${tag}`, timeZone: 'UTC', weeklyHours: WEEKDAY_9_TO_5 });
      expect(res.statusCode, res.body).toBe(201);
      calendars.push(res.json() as { id: string; name: string });
    }
    const theirCalendar = (await call('POST', '/api/servicedesk/calendars', { name: `pagea${tag}`, timeZone: 'UTC', weeklyHours: WEEKDAY_9_TO_5 }, other.token)).json() as { id: string };
    const byName = keysetOrder(calendars.map((c) => ({ id: c.id, key: c.name })));
    const allCalendars = await expectPaging(list('/api/servicedesk/calendars'), { limit: 2, inOrder: byName });
    expect(allCalendars.map((c) => c.id)).not.toContain(theirCalendar.id);
    await expectPaging(list('/api/servicedesk/calendars', agent.token), { limit: 2, inOrder: byName });

    // Policies no ticket matches, after every other: they take part in the order only.
    const policies = [];
    for (const position of [9005, 9003, 9004, 9003]) {
      policies.push({ ...(await policy({ name: `paged ${position}`, position, conditions: { tagsAny: [`never-${tag}`] }, targets: { low: { firstResponse: 60 } } })), position });
    }
    const theirPolicy = (await call('POST', '/api/servicedesk/sla-policies', { name: 'theirs', position: 9003, targets: { low: { firstResponse: 60 } } }, other.token)).json() as { id: string };
    const inOrder = keysetOrder(policies.map((p) => ({ id: p.id, key: p.position })));
    const allPolicies = await expectPaging(list('/api/servicedesk/sla-policies'), { limit: 2, inOrder });
    expect(allPolicies.map((p) => p.id).slice(-4)).toEqual(inOrder);
    expect(allPolicies.map((p) => p.id)).not.toContain(theirPolicy.id);
    await expectPaging(list('/api/servicedesk/sla-policies', agent.token), { limit: 3, inOrder });
  });
});
