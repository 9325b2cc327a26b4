import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerify, demo } from '../src/main.ts';
import { DemoRefused, runDemo, type DemoResult } from '../src/demo/load.ts';
import { DEMO_DEVICES, HISTORY_STEP_MS } from '../src/demo/signals.ts';
import { SYSTEM_ROLE_NAMES } from '../src/platform/access/catalogue.ts';
import { CHANNELS, TICKET_STATUSES } from '../src/modules/servicedesk/servicedesk.schema.ts';
import { telemetryModule } from '../src/modules/telemetry/index.ts';
import { bearer, createTestApp, type TestApp } from './helpers.ts';
import { allRows, withQuery } from './paging.ts';

const DAY = 86_400_000;
const PASSWORD = 'Harbourside-Demo-2026';

let t: TestApp;
let result: DemoResult;
let loadedAt: number;
const rows = async <T>(q: ReturnType<typeof sql>) => ((await t.database.db.execute(q)) as unknown as { rows: T[] }).rows;
const get = async <T>(url: string, token = t.adminToken) => {
  const r = await t.inject({ method: 'GET', url, headers: bearer(token) });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as T;
};
const auditCount = async () => (await rows<{ n: number }>(sql`select count(*)::int as n from audit_logs`))[0]!.n;

beforeAll(async () => {
  t = await createTestApp();
  // The load's instant is now, as for `imsop demo`: whatever the weekday, the week has the same shape.
  loadedAt = Math.floor(Date.now() / HISTORY_STEP_MS) * HISTORY_STEP_MS;
  result = await runDemo(t.database, t.config, { password: PASSWORD, loadedAt });
}, 300_000);
afterAll(async () => t?.close());

describe('imsop demo', () => {
  it('people in every system role across two departments, who sign in with the shared password', async () => {
    const roles = await rows<{ role: string; department: string | null; n: number }>(sql`
      select r.name as role, u.department, count(*)::int as n from users u
      join user_roles ur on ur.user_id = u.id join roles r on r.id = ur.role_id
      where u.email like '%@harbourside.example.com' group by 1, 2`);
    for (const role of SYSTEM_ROLE_NAMES) expect(roles.filter((r) => r.role === role).length, role).toBeGreaterThan(0);
    expect(new Set(roles.map((r) => r.department))).toEqual(new Set(['Customer Service', 'Field Operations']));
    expect(roles.reduce((n, r) => n + r.n, 0)).toBe(result.users.length);
    expect(result.users.length).toBeGreaterThanOrEqual(12);
    const agent = await t.login('priya.shah@harbourside.example.com', PASSWORD);
    const me = await get<{ name: string; roles: { name: string }[] }>('/api/auth/me', agent.accessToken);
    expect(me.name).toBe('Priya Shah');
    expect(me.roles.map((r) => r.name)).toEqual(['agent']);
    expect((await get<{ name: string }>('/api/organizations/current')).name).toBe('Harbourside Utilities');
  });

  it('operations in every status, placed around Bristol, with tasks and bookings', async () => {
    const ops = (await get<{ data: { id: string; status: string; location: { lat: number; lng: number } }[] }>('/api/operations?limit=100')).data;
    expect(ops).toHaveLength(15);
    expect(new Set(ops.map((o) => o.status))).toEqual(new Set(['pending', 'in_progress', 'completed', 'failed']));
    for (const o of ops) {
      expect(o.location.lat).toBeGreaterThan(51.3);
      expect(o.location.lat).toBeLessThan(51.6);
      expect(o.location.lng).toBeGreaterThan(-2.85);
      expect(o.location.lng).toBeLessThan(-2.4);
    }
    const [{ tasks, statuses }] = (await rows<{ tasks: number; statuses: number }>(sql`select count(*)::int as tasks, count(distinct status)::int as statuses from operation_tasks`)) as [
      { tasks: number; statuses: number },
    ];
    expect(tasks).toBe(result.counts.tasks);
    expect(statuses).toBe(4);
    expect((await rows(sql`select 1 from resource_allocations`)).length).toBe(result.counts.allocations);
    expect((await rows(sql`select distinct operation_id from operation_tasks`)).length).toBe(15);
  });

  it('devices whose keys work, with seven days of telemetry every five minutes through the ingest path', async () => {
    const telemetry = t.app.platform.module(telemetryModule).services;
    expect(result.devices).toHaveLength(DEMO_DEVICES.length);
    for (const d of result.devices) expect((await telemetry.devices.authenticate(d.key))?.id).toBe(d.id);
    const series = await rows<{ slug: string; metric: string; n: number; first: number; last: number; hourly: number }>(sql`
      select d.metadata->>'serial' as slug, s.metric, count(*)::int as n,
        floor(extract(epoch from min(p.ts)) * 1000)::float8 as first, floor(extract(epoch from max(p.ts)) * 1000)::float8 as last,
        (select count(*)::int from telemetry_rollup_1h h where h.series_id = s.id) as hourly
      from telemetry_points p join telemetry_series s on s.id = p.series_id join devices d on d.id = s.device_id group by 1, 2, s.id`);
    expect(series).toHaveLength(DEMO_DEVICES.reduce((n, d) => n + d.metrics.length, 0));
    for (const s of series) {
      expect(s.first, `${s.slug} ${s.metric}`).toBe(loadedAt - 7 * DAY);
      expect(s.hourly).toBeGreaterThan(0);
      if (s.slug === 'HU-WS1-6604') {
        // The weather station went silent 50 hours before the load.
        expect(s.last).toBe(loadedAt - 50 * 3_600_000 - HISTORY_STEP_MS);
      } else {
        expect(s.last, `${s.slug} ${s.metric}`).toBe(loadedAt);
        expect(s.n).toBe((7 * DAY) / HISTORY_STEP_MS + 1);
      }
    }
    expect(series.reduce((n, s) => n + s.n, 0)).toBe(result.counts.points);
  });

  it('alarms raised by the history: an active one, an acknowledged anomaly, a silent device, and cleared ones days ago', async () => {
    // Every alarm, page by page (the list is newest first; the week's cleared ones come last).
    const alarms = await allRows<{ id: string; state: string; severity: string; message: string; startedAt: string }>((q) =>
      t.inject({ method: 'GET', url: withQuery('/api/alarms', q), headers: bearer(t.adminToken) }),
    );
    const find = (re: RegExp) => alarms.filter((a) => re.test(a.message));
    expect(find(/^pressure_bar is below 1\.5/).map((a) => a.state)).toEqual(['active_unacknowledged']);
    expect(find(/^flow_lps is anomalous/).map((a) => a.state)).toEqual(['active_acknowledged']);
    expect(find(/^no temperature_c data/).map((a) => a.state)).toEqual(['active_unacknowledged']);
    expect(find(/^transformer_temp_c is above 90/).map((a) => a.state)).toEqual(['cleared_acknowledged']);
    const overheating = find(/^motor_temp_c is above 85/);
    expect(overheating.length).toBeGreaterThan(1);
    expect(Math.min(...overheating.map((a) => Date.parse(a.startedAt)))).toBeLessThan(loadedAt - 3 * DAY);
  });

  it('a week at the service desk: every status and channel, opened days ago, with SLA breaches, escalations, replies by the agents and ratings', async () => {
    const tickets = await rows<{ status: string; channel: string; created: number; assignee: string | null }>(
      sql`select status, channel, floor(extract(epoch from created_at) * 1000)::float8 as created, assignee_id as assignee from tickets`,
    );
    expect(tickets).toHaveLength(result.counts.tickets);
    expect(new Set(tickets.map((x) => x.status))).toEqual(new Set(TICKET_STATUSES));
    expect(new Set(tickets.map((x) => x.channel))).toEqual(new Set(CHANNELS));
    // Opened on the demo's clock: over the past week, never after the load.
    expect(Math.min(...tickets.map((x) => x.created))).toBeLessThan(loadedAt - 5 * DAY);
    expect(Math.max(...tickets.map((x) => x.created))).toBeLessThanOrEqual(loadedAt);
    // Breaches fired by the SLA scheduler while the week was played, days ago at their time (the test
    // app's own scheduler may add more from now on); and their escalations.
    const breaches = await rows<{ at: number }>(sql`select floor(extract(epoch from at) * 1000)::float8 as at from ticket_timeline where kind = 'sla_breach'`);
    expect(breaches.filter((b) => b.at < loadedAt - DAY).length).toBeGreaterThanOrEqual(2);
    // Each breach is one the ticket's own clocks agree with: no scheduler (the test app runs one, as a
    // server would) breached a ticket at the present time between its creation and its reply.
    const fired = await rows<{ number: number; target: string; breachedAt: string | null; achievedAt: string | null }>(sql`
      select t.number, tl.data->>'target' as target, s.state->'targets'->(tl.data->>'target')->>'breachedAt' as "breachedAt",
        s.state->'targets'->(tl.data->>'target')->>'achievedAt' as "achievedAt"
      from ticket_timeline tl join tickets t on t.id = tl.ticket_id join ticket_sla s on s.ticket_id = t.id
      where tl.kind = 'sla_breach' and tl.data->>'target' in ('firstResponse', 'resolution')`);
    expect(fired.length).toBeGreaterThan(0);
    for (const f of fired) expect(f.breachedAt, `#${f.number} ${f.target} (achieved ${f.achievedAt})`).not.toBeNull();
    expect((await rows(sql`select 1 from sla_firings where kind = 'escalation'`)).length).toBeGreaterThan(0);
    expect((await rows(sql`select 1 from notifications where subject like 'Escalation%' and "to" like '%@harbourside.example.com'`)).length).toBeGreaterThan(0);
    const executive = await get<{ compliance: Record<string, { breached: number }>; csat: { responses: number } }>('/api/servicedesk/dashboards/executive');
    expect(executive.compliance.firstResponse!.breached).toBeGreaterThan(0);
    expect(executive.csat.responses).toBeGreaterThanOrEqual(4);
    // The agents answered their own tickets; the requesters wrote back on their channels.
    const authors = await rows<{ name: string }>(sql`select distinct u.name from ticket_replies r join users u on u.id = r.author_user_id where r.author_type = 'agent'`);
    expect(authors.map((a) => a.name)).toEqual(expect.arrayContaining(['Priya Shah', 'Tom Fletcher', 'Grace Okafor', 'Aisha Rahman', 'Marcus Reid']));
    const customer = await rows<{ channel: string }>(sql`select distinct channel from ticket_replies where author_type = 'requester'`);
    expect(customer.map((c) => c.channel).sort()).toEqual(['email', 'sms', 'web', 'whatsapp']);
    expect((await rows(sql`select 1 from tickets where merged_into_id is not null`)).length).toBe(1);
    expect((await rows(sql`select 1 from agent_ratings`)).length).toBeGreaterThanOrEqual(6);
    const setup = await rows<{ teams: number; members: number; canned: number; calendars: number; policies: number }>(sql`
      select (select count(*)::int from sd_teams) as teams, (select count(*)::int from sd_team_members) as members,
        (select count(*)::int from canned_responses) as canned, (select count(*)::int from sla_calendars) as calendars,
        (select count(*)::int from sla_policies) as policies`);
    expect(setup[0]).toMatchObject({ teams: 3, calendars: 2, policies: 3 });
    expect(setup[0]!.canned).toBeGreaterThanOrEqual(4);
  });

  it('every record went through a use case: the audit chain verifies and names the people who acted, from `imsop demo`', async () => {
    const verify = await auditVerify(t.database);
    expect(verify.ok).toBe(true);
    const actors = await rows<{ n: number }>(sql`select count(distinct actor_id)::int as n from audit_logs where user_agent = 'imsop demo' and actor_type = 'user'`);
    expect(actors[0]!.n).toBeGreaterThanOrEqual(8);
  });

  it('a second run refuses and changes nothing', async () => {
    const before = await auditCount();
    await expect(runDemo(t.database, t.config, { password: PASSWORD })).rejects.toThrow(DemoRefused);
    const answer = await demo(t.database, t.config, { password: PASSWORD });
    expect(answer).toEqual({ refused: expect.stringMatching(/already holds data \(users besides the administrator, .*tickets/) });
    expect(await auditCount()).toBe(before);
  });
});

describe('imsop demo on a database that holds other data', () => {
  let other: TestApp;
  beforeAll(async () => {
    other = await createTestApp();
  });
  afterAll(async () => other?.close());

  it('refuses when the first administrator has made as much as one operation, and touches nothing', async () => {
    const op = await other.inject({ method: 'POST', url: '/api/operations', headers: bearer(other.adminToken), payload: { name: 'Real work' } });
    expect(op.statusCode).toBe(201);
    expect(await demo(other.database, other.config, { password: PASSWORD })).toEqual({ refused: 'the database already holds data (operations)' });
    const org = await other.inject({ method: 'GET', url: '/api/organizations/current', headers: bearer(other.adminToken) });
    expect(org.json().name).toBe('Default');
  });
});

describe('imsop demo with a password one demo user may not have', () => {
  let fresh: TestApp;
  beforeAll(async () => {
    fresh = await createTestApp();
  });
  afterAll(async () => fresh?.close());

  it('refuses before writing anything (user creation would refuse it half-way, leaving part of a demo)', async () => {
    // Strong on its own, but it holds Olivia Bennett's address (olivia.bennett@…).
    await expect(runDemo(fresh.database, fresh.config, { password: 'Olivia.Bennett-Harbour-97' })).rejects.toThrow(/must not contain your email address/);
    const users = await fresh.database.db.execute(sql`select count(*)::int as n from users`);
    expect((users as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(1);
    // …so a run with a good password still loads.
    expect(await demo(fresh.database, fresh.config, { password: PASSWORD })).not.toHaveProperty('refused');
  }, 300_000);
});
