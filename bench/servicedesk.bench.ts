/**
 * Service desk on PostgreSQL (issue 5), in a throwaway database:
 *
 * 1. SLA recalculation: 100,000 open tickets with timelines (created, status changes, replies) under
 *    a business-hours policy; a calendar edit recalculates them all (`recalculateOpen`: chunks of
 *    5,000 tickets read with their timelines, clocks computed while the database writes the previous
 *    chunk and reads the next, one JSON-document upsert per chunk). Phases: Node computing and Node
 *    waiting for the database (what the overlap did not hide).
 *    Baseline, same run: the bare write path — one UPDATE that sets a computed due time on the same
 *    rows, with no timelines read and no clocks computed. Target: under 5 s.
 * 2. Ticket list: 1,000,000 tickets; a filtered page (`status=open,new&priority=high`, sorted by
 *    creation, 50 rows) through the whole HTTP stack (`app.inject`: auth, validation, scope,
 *    serialisation), sequentially, p50/p95. Baseline, same run: the equivalent raw SQL page on the
 *    same pool. Target: p95 under 50 ms.
 *
 * Settings: BENCH_SD_RECALC (100,000), BENCH_SD_LIST (1,000,000), BENCH_SD_SAMPLES (200).
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { buildApp } from '../apps/server/src/app.ts';
import { loadConfig } from '../apps/server/src/config.ts';
import { prepareDatabase } from '../apps/server/src/main.ts';
import { openDatabase, queryRows, type Database } from '../apps/server/src/platform/db/client.ts';
import { inOrg } from '../apps/server/src/platform/db/scope.ts';
import type { Row, Scenario } from './lib.ts';
import { createDefaultSla, weekdays, withThrowawayDatabase } from './lib.ts';
import { servicedeskModule } from '../apps/server/src/modules/servicedesk/index.ts';

const RECALC = Number(process.env.BENCH_SD_RECALC ?? 100_000);
const LIST = Number(process.env.BENCH_SD_LIST ?? 1_000_000);
const SAMPLES = Number(process.env.BENCH_SD_SAMPLES ?? 200);
const PASSWORD = 'Sturdy-Queue-Runner-2026';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function setUp(url: string) {
  const database = await openDatabase({ url, poolSize: 8 });
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: url,
    IMSOP_ADMIN_EMAIL: 'bench@imsop.test',
    IMSOP_ADMIN_PASSWORD: PASSWORD,
    SLA_TICK_SECONDS: '0',
    MQTT_ENABLED: 'false',
    AUTH_RATE_LIMIT: '100000',
    IMSOP_DATA_DIR: '/tmp/imsop-bench',
  });
  await prepareDatabase(database, config, () => undefined);
  const app = await buildApp({ config, database, logger: false });
  await app.ready();
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'bench@imsop.test', password: PASSWORD } });
  const token = (login.json() as { accessToken: string }).accessToken;
  const [org] = await queryRows<{ id: string }>(database.db, sql`select id from organizations where slug = 'default'`);
  return { database, app, token, orgId: org!.id };
}

/** Tickets made in bulk by SQL (the API would take hours for a million): spread over 90 days. */
async function seedTickets(database: Database, orgId: string, n: number, withTimelines: boolean) {
  const t0 = performance.now();
  const CHUNK = 200_000;
  for (let from = 1; from <= n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK - 1);
    await database.db.execute(sql`
      insert into tickets (id, org_id, number, subject, description, status, priority, category, channel, requester_name, requester_email, created_at, updated_at)
      select gen_random_uuid(), ${orgId}::uuid, g,
             'Ticket ' || g, 'Generated for the benchmark',
             (array['new','open','open','pending_customer','on_hold','resolved','closed','closed'])[1 + g % 8],
             (array['low','medium','medium','high','urgent'])[1 + (g / 8) % 5],
             (array['hardware','software','network','access'])[1 + g % 4],
             'web', 'Requester ' || g, 'r' || g || '@example.test',
             now() - ((g % 129600) || ' minutes')::interval, now()
      from generate_series(${from}::int, ${to}::int) g`);
  }
  await database.db.execute(sql`insert into ticket_counters (org_id, last) values (${orgId}::uuid, ${n}) on conflict (org_id) do update set last = ${n}`);
  if (withTimelines) {
    await database.db.execute(sql`
      insert into ticket_timeline (id, org_id, ticket_id, at, kind, data)
      select gen_random_uuid(), org_id, id, created_at, 'created', jsonb_build_object('status', 'new', 'priority', priority) from tickets where org_id = ${orgId}::uuid
      union all
      select gen_random_uuid(), org_id, id, created_at + interval '40 minutes', 'status', jsonb_build_object('from', 'new', 'to', 'open') from tickets where org_id = ${orgId}::uuid and status <> 'new'
      union all
      select gen_random_uuid(), org_id, id, created_at + interval '95 minutes', 'agent_reply', '{}'::jsonb from tickets where org_id = ${orgId}::uuid and number % 3 = 0
      union all
      select gen_random_uuid(), org_id, id, created_at + interval '3 hours', 'status', jsonb_build_object('from', 'open', 'to', 'pending_customer') from tickets where org_id = ${orgId}::uuid and status = 'pending_customer'
      union all
      select gen_random_uuid(), org_id, id, created_at + interval '20 hours', 'customer_reply', '{}'::jsonb from tickets where org_id = ${orgId}::uuid and number % 5 = 0`);
  }
  await database.db.execute(sql`analyze tickets`);
  await database.db.execute(sql`analyze ticket_timeline`);
  return (performance.now() - t0) / 1000;
}

async function recalcScenario(log: (line: string) => void) {
  return withThrowawayDatabase(async (url) => {
    const { database, app, token, orgId } = await setUp(url);
    try {
      const targets = { firstResponse: 240, nextResponse: 480, resolution: 2400 };
      const { policyId } = await createDefaultSla(
        app,
        token,
        { name: 'Office', timeZone: 'Europe/London', weeklyHours: weekdays([['09:00', '12:30'], ['13:30', '17:30']]), holidays: [{ date: '2026-12-25' }, { date: '2026-12-26' }] },
        { low: targets, medium: targets, high: targets, urgent: targets },
      );
      // Open tickets only: the job recalculates open ones. Every status of the generator is open here but resolved/closed.
      // Five of the generator's eight statuses are open: seed enough for RECALC open tickets.
      const seeded = await seedTickets(database, orgId, Math.round((RECALC * 8) / 5), true);
      const open = (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from tickets where status in ('new','open','pending_customer','on_hold')`))[0]!.n;
      log(`seeded ${open} open tickets with timelines in ${seeded.toFixed(1)} s`);
      const sla = app.platform.module(servicedeskModule).services.sla;

      // Baseline: the write path alone, same rows.
      let t0 = performance.now();
      await inOrg(database.db, orgId, (tx) =>
        tx.execute(sql`
          insert into ticket_sla (ticket_id, org_id, policy_id, state, next_due_at)
          select id, org_id, ${policyId}::uuid, '{}'::jsonb, created_at + interval '4 hours' from tickets where org_id = ${orgId}::uuid and status in ('new','open','pending_customer','on_hold')
          on conflict (ticket_id) do update set next_due_at = excluded.next_due_at, state = excluded.state`),
      );
      const baseline = (performance.now() - t0) / 1000;

      const runs: number[] = [];
      const phases: string[] = [];
      for (let i = 0; i < 2; i++) {
        const stats = { setupMs: 0, computeMs: 0, waitMs: 0, readMs: 0, writeMs: 0 };
        t0 = performance.now();
        const n = await inOrg(database.db, orgId, (tx) => sla.recalculateOpen(tx, orgId, { stats }));
        phases.push(Object.entries(stats).map(([k, v]) => `${k.replace('Ms', '')} ${(v / 1000).toFixed(2)} s`).join(', '));
        runs.push((performance.now() - t0) / 1000);
        if (n !== open) throw new Error(`recalculated ${n}, expected ${open}`);
      }
      const withSla = (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from tickets t join ticket_sla s on s.ticket_id = t.id where s.state ? 'targets' and t.status in ('new','open','pending_customer','on_hold')`))[0]!.n;
      if (withSla !== open) throw new Error(`${open - withSla} open tickets have no SLA state after recalculation`);
      const best = Math.min(...runs);
      const rows: Row[] = [
        { endpoint: `baseline: bare upsert of ${open} SLA rows`, reqPerSec: open / baseline, unit: 'tickets/s', p50: baseline * 1000, p99: baseline * 1000, ratio: 1 },
        {
          endpoint: `recalculate ${open} open tickets after a calendar change`,
          reqPerSec: open / best,
          unit: 'tickets/s',
          p50: best * 1000,
          p99: Math.max(...runs) * 1000,
          ratio: baseline / best,
          goal: { on: 'rate', min: open / 5 },
        },
      ];
      return {
        notes: [
          `PostgreSQL, ${open} open tickets with timelines; best of ${runs.length} runs: ${runs.map((r) => r.toFixed(2)).join(' s, ')} s`,
          ...phases.map((p, i) => `run ${i + 1}: ${p}`),
        ],
        rows,
      };
    } finally {
      await app.close();
      await database.close();
    }
  });
}

async function listScenario(log: (line: string) => void) {
  return withThrowawayDatabase(async (url) => {
    const { database, app, token, orgId } = await setUp(url);
    try {
      const seeded = await seedTickets(database, orgId, LIST, false);
      log(`seeded ${LIST} tickets in ${seeded.toFixed(1)} s`);
      const h = { authorization: `Bearer ${token}` };
      const pageUrl = '/api/tickets?status=open,new&priority=high&limit=50';
      const first = await app.inject({ method: 'GET', url: pageUrl, headers: h });
      if (first.statusCode !== 200 || (first.json() as { data: unknown[] }).data.length !== 50) throw new Error(`list answered ${first.statusCode}: ${first.body.slice(0, 200)}`);
      const raw = () =>
        inOrg(database.db, orgId, (tx) =>
          tx.execute(sql`select * from tickets where org_id = ${orgId}::uuid and status in ('open','new') and priority = 'high' order by created_at desc, id desc limit 51`),
        );
      const time = async (fn: () => Promise<unknown>) => {
        for (let i = 0; i < 20; i++) await fn();
        const xs: number[] = [];
        for (let i = 0; i < SAMPLES; i++) {
          const t0 = performance.now();
          await fn();
          xs.push(performance.now() - t0);
        }
        return xs;
      };
      const api = await time(() => app.inject({ method: 'GET', url: pageUrl, headers: h }));
      const base = await time(raw);
      // A later page through the cursor, and a full-text search, for the record.
      const next = (first.json() as { nextCursor: string }).nextCursor;
      const paged = await time(() => app.inject({ method: 'GET', url: `${pageUrl}&cursor=${next}`, headers: h }));
      const search = await time(() => app.inject({ method: 'GET', url: '/api/tickets?q=network&status=open&limit=50', headers: h }));
      const row = (endpoint: string, xs: number[], b: number[], goal?: boolean): Row => ({
        endpoint,
        reqPerSec: 1000 / (xs.reduce((a, x) => a + x, 0) / xs.length),
        p50: pct(xs, 50),
        p95: pct(xs, 95),
        p99: pct(xs, 99),
        ratio: pct(b, 50) / pct(xs, 50),
        ...(goal ? { goal: { on: 'p95' as const, max: 50 } } : {}),
      });
      return {
        notes: [`PostgreSQL, ${LIST.toLocaleString('en-US')} tickets; ${SAMPLES} sequential requests per row; ratio = raw SQL p50 / row p50`],
        rows: [
          row('baseline: the same page as raw SQL', base, base),
          row(`GET ${pageUrl}`, api, base, true),
          row('the next page (cursor)', paged, base, true),
          row('full-text search q=network, status=open', search, base),
        ],
      };
    } finally {
      await app.close();
      await database.close();
    }
  });
}

export const scenarios: Scenario[] = [
  { name: 'SLA recalculation on PostgreSQL', run: (log) => recalcScenario(log) },
  { name: 'Ticket list on PostgreSQL', run: (log) => listScenario(log) },
];
