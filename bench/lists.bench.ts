/**
 * Every list route of the API (issue 12): "p95 under 50 ms at 10 concurrent clients on 10,000 rows
 * of its kind", once on in-memory PGlite and once in a throwaway PostgreSQL database.
 *
 * The app's child (bench/server.ts, BENCH_LISTS=1) seeds by SQL (bench/lists.child.ts) 10,000 rows
 * of each list kind in the admin's org, 2,000 in a second org (so every statement must filter by
 * org), and 10,000 organizations. Per-parent lists (tasks and allocations of an operation,
 * allocations of a resource, replies and timeline of a ticket, series of a device, sessions of a
 * user) spread their 10,000 rows over parents, with one busy parent of 1,000: the rows measure
 * that parent.
 *
 * Each row is the first page (`limit=50` wherever the route declares `limit` in
 * packages/sdk/openapi.json; a route without it answers its whole list, and the row says so), a
 * page about 5,000 rows deep in the keyset (the cursor followed with limit=200) for the paged lists,
 * and the common filters that change the plan (a status, a text search `q`). Both response shapes
 * are read: an array, or `{ data, nextCursor }`. Load: autocannon, 10 connections, 2 s warm-up and
 * 3 s measured per row (BENCH_WARMUP, BENCH_DURATION); every latency is recorded, so p50/p95/p99
 * are exact to a fraction of a millisecond, and each row states the app process's CPU time per
 * request (on PGlite the database's work included; on PostgreSQL not the backends'), which moves
 * far less than latency when other work shares the machine. Baseline, same run: bare Fastify `GET /hello`, before
 * and after the lists, averaged. Goal: p95 < 50 ms.
 *
 * Settings: BENCH_LISTS_ROWS (10,000), BENCH_LISTS_OTHER (2,000), BENCH_LISTS_ONLY (only the rows
 * whose label contains this text, for iterating on one list).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  BENCH_DIR,
  LOAD,
  measureLatencies,
  percentile,
  startTarget,
  withThrowawayDatabase,
  type LatencyMeasurement,
  type Row,
  type Scenario,
  type Target,
} from './lib.ts';
import type { SeededIds } from './lists.child.ts';

const ROWS = Number(process.env.BENCH_LISTS_ROWS ?? 10_000);
const OTHER = Number(process.env.BENCH_LISTS_OTHER ?? 2_000);
const ONLY = process.env.BENCH_LISTS_ONLY;
const DURATION = Number(process.env.BENCH_DURATION ?? 3);
export const P95_GOAL_MS = 50;
/** How deep the "deep page" rows start, in rows. */
const DEEP = 5_000;

interface OpenApi {
  paths: Record<string, { get?: { parameters?: { in: string; name: string }[] } }>;
}
const openapi = JSON.parse(fs.readFileSync(path.join(BENCH_DIR, '..', 'packages', 'sdk', 'openapi.json'), 'utf8')) as OpenApi;
/** The query parameters a GET route declares in the OpenAPI document. */
const queryOf = (template: string) => new Set((openapi.paths[template]?.get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));

interface ListRoute {
  /** The path template as in the OpenAPI document. */
  template: string;
  /** Its parameters for this run. */
  params?: (ids: SeededIds) => Record<string, string>;
  /** A query that is always sent (a filter the list needs to be a per-parent list). */
  base?: (ids: SeededIds) => Record<string, string>;
  /** What the row measures (kind, parent). */
  what: string;
  /** Filters measured as rows of their own: label → query. Each is skipped when the route does not declare it. */
  filters?: Record<string, Record<string, string>>;
}

/** Every GET route whose answer is a list (packages/sdk/openapi.json), in the order of the API. */
const ROUTES: ListRoute[] = [
  { template: '/api/users', what: '10,000 users', filters: { 'q=smith': { q: 'smith' }, 'isActive=false': { isActive: 'false' }, 'department=network': { department: 'network' } } },
  { template: '/api/users/{id}/roles', params: (i) => ({ id: i.userId }), what: "one user's roles" },
  { template: '/api/roles', what: '10,000 roles + 5 system roles' },
  { template: '/api/permissions', what: 'the permission catalogue' },
  { template: '/api/organizations', what: '10,000 organizations' },
  { template: '/api/api-keys', what: '10,000 API keys' },
  { template: '/api/auth/sessions', what: "1,000 sessions of the admin (10,000 in the org)" },
  { template: '/api/audit-logs', what: '10,000 audit records', filters: { 'action=ticket.update': { action: 'ticket.update' }, 'entityType=device': { entityType: 'device' } } },
  { template: '/api/activity-logs', what: '10,000 activity records', filters: { 'action=logout': { action: 'logout' } } },
  { template: '/api/operations', what: '10,000 operations', filters: { 'status=in_progress': { status: 'in_progress' }, 'q=pump': { q: 'pump' } } },
  { template: '/api/operations/{id}/tasks', params: (i) => ({ id: i.busyOperationId }), what: '1,000 tasks of 10,000' },
  { template: '/api/operations/{id}/allocations', params: (i) => ({ id: i.busyOperationId }), what: '1,000 allocations of 10,000' },
  { template: '/api/resources', what: '10,000 resources', filters: { 'kind=vehicle': { kind: 'vehicle' } } },
  { template: '/api/resources/{id}/allocations', params: (i) => ({ id: i.busyResourceId }), what: '1,000 allocations of 10,000' },
  { template: '/api/devices', what: '10,000 devices' },
  { template: '/api/alert-rules', what: '10,000 alert rules' },
  { template: '/api/alarms', what: '10,000 alarms', filters: { 'active=true': { active: 'true' }, 'severity=critical': { severity: 'critical' } } },
  { template: '/api/telemetry/latest', base: (i) => ({ deviceId: i.busyDeviceId }), what: '1,000 series of one device (10,000 in all)' },
  { template: '/api/telemetry/latest', what: 'every series of the org (the route stops at 1,000 of the 10,000)' },
  { template: '/api/tickets', what: '10,000 tickets', filters: { 'status=open,new': { status: 'open,new' }, 'q=printer': { q: 'printer' } } },
  { template: '/api/tickets/{id}/replies', params: (i) => ({ id: i.busyTicketId }), what: '1,000 replies of 10,000' },
  { template: '/api/tickets/{id}/timeline', params: (i) => ({ id: i.busyTicketId }), what: '1,000 timeline entries of 10,000' },
  { template: '/api/servicedesk/teams', what: '10,000 teams (3,000 members)' },
  { template: '/api/servicedesk/canned-responses', what: '10,000 canned responses' },
  { template: '/api/servicedesk/calendars', what: '10,000 calendars' },
  { template: '/api/servicedesk/sla-policies', what: '10,000 SLA policies' },
  { template: '/api/servicedesk/ratings', what: '10,000 ratings (the route caps at 500)', filters: { 'period=2026-03': { period: '2026-03' } } },
  { template: '/api/event-subscriptions', what: 'the registered subscriptions, with counts' },
  { template: '/api/event-subscriptions/dead-letters', what: '10,000 dead letters', filters: { 'status=dead': { status: 'dead' } } },
];

const pathOf = (r: ListRoute, ids: SeededIds) => {
  let p = r.template;
  for (const [k, v] of Object.entries(r.params?.(ids) ?? {})) p = p.replace(`{${k}}`, v);
  return p;
};
const withQuery = (p: string, q: Record<string, string>) => (Object.keys(q).length ? `${p}?${new URLSearchParams(q).toString().replace(/%2C/g, ',')}` : p);

/** The rows of a list answer, whichever shape: an array, or `{ data, nextCursor }`. */
function pageOf(body: unknown): { rows: number; nextCursor: string | null; paged: boolean } {
  if (Array.isArray(body)) return { rows: body.length, nextCursor: null, paged: false };
  const b = body as { data?: unknown[]; nextCursor?: string | null };
  if (!Array.isArray(b.data)) throw new Error(`not a list: ${JSON.stringify(body).slice(0, 200)}`);
  return { rows: b.data.length, nextCursor: b.nextCursor ?? null, paged: 'nextCursor' in b };
}

async function getJson(url: string, headers: Record<string, string>) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** Follows the keyset ~DEEP rows in (pages of 200) and answers that page's cursor, or null when the list is shorter. */
async function deepCursor(url: string, query: Record<string, string>, headers: Record<string, string>): Promise<{ cursor: string; skipped: number } | null> {
  let skipped = 0;
  let cursor: string | null = null;
  while (skipped < DEEP) {
    const page = pageOf(await getJson(`${url}${withQuery('', { ...query, limit: '200', ...(cursor ? { cursor } : {}) })}`, headers));
    skipped += page.rows;
    cursor = page.nextCursor;
    if (!cursor) return null;
  }
  return { cursor: cursor!, skipped };
}

/** Statements running in the database now, other than this one. */
async function activeBackends(databaseUrl: string): Promise<number> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid()",
    );
    return rows[0]!.n;
  } finally {
    await c.end();
  }
}

/** A request slower than this alone is measured sequentially, not under load. */
const SLOW_MS = 1_000;

/** `n` requests one after the other (no load): for lists too slow to load with ten clients. */
async function sequential(url: string, headers: Record<string, string>, n: number): Promise<LatencyMeasurement & { sequential: true }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    bytes += (await (await fetch(url, { headers })).arrayBuffer()).byteLength;
    times.push(performance.now() - t);
  }
  const mean = times.reduce((a, b) => a + b, 0) / n;
  const [p50, p95, p99] = [50, 95, 99].map((q) => percentile(times, q)) as [number, number, number];
  return { reqPerSec: 1000 / mean, p50, p95, p99, requests: n, non2xx: 0, errors: 0, bytes: bytes / n, warmupRequests: 0, sequential: true };
}

interface Planned {
  label: string;
  url: string;
  what: string;
  paged: boolean;
}

function rowOf(p: Planned, m: LatencyMeasurement, baseline: number, rows: number, cpuMs: number): Row {
  const details = [
    `${p.what}; ${rows} rows answered, ${(m.bytes / 1024).toFixed(1)} kB; app CPU ${Number.isFinite(cpuMs) ? `${cpuMs.toFixed(2)} ms/request` : 'n/a (no answer within the run)'}`,
    ...(p.paged ? [] : ['no `limit` parameter yet: the whole list']),
    ...('sequential' in m ? [`one request alone takes over ${SLOW_MS / 1000} s: ${m.requests} sequential requests, not 10 clients`] : []),
    ...(m.non2xx || m.errors ? [`**${m.non2xx} non-2xx, ${m.errors} errors/timeouts**`] : []),
  ].join('; ');
  return {
    endpoint: p.label,
    reqPerSec: m.reqPerSec,
    p50: m.p50,
    p95: m.p95,
    p99: m.p99,
    ratio: m.reqPerSec / baseline,
    goal: { on: 'p95', max: P95_GOAL_MS },
    details,
  };
}

async function listsScenario(log: (line: string) => void, databaseUrl?: string) {
  const notes: string[] = [];
  let bare: Target | undefined;
  let app: Target | undefined;
  try {
    const starting = [
      startTarget({ BENCH_TARGET: 'bare' }).then((t) => (bare = t)),
      startTarget({ BENCH_TARGET: 'imsop', BENCH_USERS: '0', BENCH_LISTS: '1', DATABASE_URL: databaseUrl ?? '' }).then((t) => (app = t)),
    ];
    const settled = await Promise.allSettled(starting);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    if (!bare || !app) throw new Error('bench servers did not start');
    log(`  seeding ${ROWS.toLocaleString('en-US')} rows of each list kind (+ ${OTHER.toLocaleString('en-US')} in a second org)`);
    const ids = await app.call<SeededIds>('seedLists', { rows: ROWS, otherRows: OTHER }, 1_800_000);
    log(`  seeded in ${ids.seconds.toFixed(0)} s`);
    notes.push(
      `database: ${app.database}; seeded by SQL in ${ids.seconds.toFixed(0)} s: ${ROWS.toLocaleString('en-US')} rows of each list kind in the admin's org, ` +
        `${OTHER.toLocaleString('en-US')} in a second org, ${ROWS.toLocaleString('en-US')} organizations; per-parent lists measure a parent with 10 % of the rows`,
    );
    notes.push(`load: ${LOAD.connections} connections, ${LOAD.warmup} s warm-up + ${DURATION} s measured per row; latency of every response recorded`);
    const auth = { authorization: `Bearer ${app.token}` };

    // What to measure: the first page of every list, its filters, and a deep page of the paged ones.
    const planned: Planned[] = [];
    for (const r of ROUTES) {
      const declared = queryOf(r.template);
      const paged = declared.has('limit');
      const p = pathOf(r, ids);
      const base = { ...(r.base?.(ids) ?? {}), ...(paged ? { limit: '50' } : {}) };
      const label = (q: Record<string, string>) => `GET ${withQuery(r.template, q).replace(/=[0-9a-f-]{36}/g, '={id}')}`;
      planned.push({ label: label(base), url: `${app.url}${withQuery(p, base)}`, what: r.what, paged });
      for (const [name, q] of Object.entries(r.filters ?? {})) {
        if (!Object.keys(q).every((k) => declared.has(k))) continue;
        planned.push({ label: label({ ...base, ...q }), url: `${app.url}${withQuery(p, { ...base, ...q })}`, what: `${r.what}, filtered (${name})`, paged });
      }
      if (paged && declared.has('cursor')) {
        log(`  following ${r.template}'s cursor ${DEEP.toLocaleString('en-US')} rows in`);
        const deep = await deepCursor(`${app.url}${p}`, r.base?.(ids) ?? {}, auth);
        if (deep) {
          planned.push({
            label: `${label(base)}&cursor=… (${deep.skipped.toLocaleString('en-US')} rows in)`,
            url: `${app.url}${withQuery(p, { ...base, cursor: deep.cursor })}`,
            what: `${r.what}, a page ${deep.skipped.toLocaleString('en-US')} rows deep`,
            paged,
          });
        }
      }
    }
    const chosen = ONLY ? planned.filter((p) => p.label.includes(ONLY)) : planned;

    // Requests that autocannon abandoned at the end of a row are still served after it: wait until
    // the app's process (and, on PostgreSQL, the database's backends) are quiet before the next row.
    const settle = async () => {
      for (let i = 0; i < 60; i++) {
        const waited = await app!.call<number>('idle');
        const busy = databaseUrl ? await activeBackends(databaseUrl) : 0;
        if (waited < 500 && busy === 0) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const loadBefore = os.loadavg()[0]!;
    const measureBare = () => measureLatencies(`${bare!.url}/hello`, {}, { duration: DURATION });
    log('  bare Fastify GET /hello (before)');
    const before = await measureBare();
    const measured: { p: Planned; m: LatencyMeasurement; rows: number; cpuMs: number }[] = [];
    for (const p of chosen) {
      const t = performance.now();
      const rows = pageOf(await getJson(p.url, auth)).rows;
      const probeMs = performance.now() - t;
      log(`  ${p.label}`);
      // A list that takes more than a second alone would keep ten clients queued for minutes: it gets three sequential requests instead.
      const cpu0 = await app.call<number>('cpu');
      const m = probeMs > SLOW_MS ? await sequential(p.url, auth, 3) : await measureLatencies(p.url, auth, { duration: DURATION });
      await settle();
      // The app process's CPU per request (abandoned requests finish within settle()): it moves far less than latency with other load on the machine.
      const answered = m.requests + m.warmupRequests;
      const cpuMs = answered > 0 ? ((await app.call<number>('cpu')) - cpu0) / 1000 / answered : Number.NaN;
      log(`    p50 ${m.p50.toFixed(1)} ms, p95 ${m.p95.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms, ${m.reqPerSec.toFixed(0)} req/s, ${rows} rows, ${cpuMs.toFixed(2)} ms CPU/request`);
      measured.push({ p, m, rows, cpuMs });
    }
    log('  (diagnosis) result shapes on the database client');
    const shapes = await app.call<Record<string, { p50: number; p95: number }>>('rowShapes', { times: 200 });
    log('  bare Fastify GET /hello (after)');
    const after = await measureBare();
    const baseline = (before.reqPerSec + after.reqPerSec) / 2;
    notes.push(`load average of the machine (1 min) at the start ${loadBefore.toFixed(1)}, at the end ${os.loadavg()[0]!.toFixed(1)} (2 cores; other work was running)`);
    notes.push(`baseline req/s before ${before.reqPerSec.toFixed(0)}, after ${after.reqPerSec.toFixed(0)}`);
    const missed = measured.filter(({ m }) => !(m.p95 < P95_GOAL_MS));
    notes.push(
      `${measured.length - missed.length} of ${measured.length} rows meet p95 < ${P95_GOAL_MS} ms` +
        (missed.some(({ p }) => !p.paged) ? `; ${missed.filter(({ p }) => !p.paged).length} of the misses are lists without a \`limit\` parameter (whole list answered)` : ''),
    );
    return {
      notes,
      rows: [
        {
          endpoint: 'bare Fastify GET /hello (baseline)',
          reqPerSec: baseline,
          p50: (before.p50 + after.p50) / 2,
          p95: (before.p95 + after.p95) / 2,
          p99: (before.p99 + after.p99) / 2,
          ratio: 1,
        },
        ...measured.map(({ p, m, rows, cpuMs }) => rowOf(p, m, baseline, rows, cpuMs)),
        ...Object.entries(shapes).map(([name, v]) => ({
          endpoint: `(diagnosis) ${name}`,
          reqPerSec: Number.NaN,
          p50: v.p50,
          p95: v.p95,
          p99: Number.NaN,
          details: `ms per statement through the app's ${app!.database === 'postgres' ? 'node-postgres pool' : 'PGlite client'}, 200 runs in turn, no HTTP`,
        })),
      ],
    };
  } finally {
    await Promise.all([bare?.stop(), app?.stop()]);
  }
}

export const scenarios: Scenario[] = [
  { name: 'lists on PGlite (in memory)', run: (log) => listsScenario(log) },
  { name: 'lists on PostgreSQL', run: (log) => withThrowawayDatabase((url) => listsScenario(log, url)) },
];
