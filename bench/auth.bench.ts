/**
 * Authenticated API against bare Fastify: `GET /api/auth/me` and `GET /api/users?limit=50` (with
 * ~200 seeded users) on the full IMSOP app, against a one-route `fastify()` measured in the same
 * scenario with the same autocannon settings. Once on in-memory PGlite, once on PostgreSQL.
 *
 * The list is compared with its own baseline (issue 12): a bare `fastify()` route that runs the
 * list's SQL through the bare driver (node-postgres, or the same PGlite) and answers the same JSON
 * (bench/users.baseline.ts; the bench checks that both bodies are equal before measuring). Both
 * baselines are measured before and after the app, and averaged.
 *
 * One more row, for diagnosis: a bare `fastify()` that answers /me's exact headers and body as a
 * fixed string. Its ratio is the ceiling that the response's size alone (security headers and a
 * ~1.2 KB body against 17 bytes) puts on /me; the rest of the gap is the app's own work.
 */
import { measure, rowOf, startTarget, withThrowawayDatabase, type Measurement, type Scenario, type Target } from './lib.ts';

/** The ratio /me must reach against bare Fastify (issue 2). */
export const ME_TARGET = 0.5;
/** The ratio the users list must reach against its SQL run by a bare route (issue 12). */
export const LIST_TARGET = 0.5;

const average = (a: Measurement, b: Measurement): Measurement => ({
  reqPerSec: (a.reqPerSec + b.reqPerSec) / 2,
  p50: (a.p50 + b.p50) / 2,
  p99: (a.p99 + b.p99) / 2,
  requests: a.requests + b.requests,
  non2xx: 0,
  errors: 0,
});

/** Roles in name order: the list did not order a user's roles before issue 12. */
const normalised = (body: unknown) => {
  const page = body as { data: { roles: { id: string; name: string }[] }[] };
  for (const u of page.data) u.roles.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return JSON.stringify(page);
};
const USERS = 200;

async function authScenario(log: (line: string) => void, databaseUrl?: string) {
  const notes: string[] = [];
  let bare: Target | undefined;
  let imsop: Target | undefined;
  let mirror: Target | undefined;
  try {
    // Started side by side; each is recorded as soon as it is up, so a failure of one still stops the other.
    const starting = [
      startTarget({ BENCH_TARGET: 'bare' }).then((t) => (bare = t)),
      startTarget({ BENCH_TARGET: 'imsop', BENCH_USERS: String(USERS), BENCH_USERS_BASELINE: '1', DATABASE_URL: databaseUrl ?? '' }).then(
        (t) => (imsop = t),
      ),
    ];
    const settled = await Promise.allSettled(starting);
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    if (!bare || !imsop) throw new Error('bench servers did not start');
    notes.push(`database: ${imsop.database}, ${imsop.users} seeded users + admin`);
    const auth = { authorization: `Bearer ${imsop.token}` };
    const sqlUrl = `http://127.0.0.1:${imsop.baselinePort}/users`;
    const [appList, sqlList] = await Promise.all([
      fetch(`${imsop.url}/api/users?limit=50`, { headers: auth }).then((r) => r.json()),
      fetch(sqlUrl).then((r) => r.json()),
    ]);
    if (normalised(appList) !== normalised(sqlList)) {
      throw new Error(`the SQL baseline does not answer the list's body:\n${JSON.stringify(appList).slice(0, 600)}\n${JSON.stringify(sqlList).slice(0, 600)}`);
    }
    const sample = await fetch(`${imsop.url}/api/auth/me`, { headers: auth });
    if (sample.status !== 200) throw new Error(`GET /api/auth/me answered ${sample.status}: ${(await sample.text()).slice(0, 300)}`);
    const skip = new Set(['date', 'content-length', 'connection', 'keep-alive', 'transfer-encoding']);
    mirror = await startTarget({
      BENCH_TARGET: 'mirror',
      BENCH_MIRROR_BODY: await sample.text(),
      BENCH_MIRROR_HEADERS: JSON.stringify(Object.fromEntries([...sample.headers].filter(([k]) => !skip.has(k)))),
    });

    // The baseline is measured before and after the app, and averaged, so drift from other load
    // on the machine affects both sides alike.
    log('  bare Fastify GET /hello (before)');
    const bareBefore = await measure(`${bare.url}/hello`);
    log('  GET /api/auth/me');
    const me = await measure(`${imsop.url}/api/auth/me`, auth);
    log("  bare Fastify running the list's SQL (before)");
    const sqlBefore = await measure(sqlUrl);
    log('  GET /api/users?limit=50');
    const list = await measure(`${imsop.url}/api/users?limit=50`, auth);
    log("  bare Fastify running the list's SQL (after)");
    const sqlAfter = await measure(sqlUrl);
    log("  bare Fastify answering /me's headers and body");
    const bytes = await measure(`${mirror.url}/mirror`);
    log('  bare Fastify GET /hello (after)');
    const bareAfter = await measure(`${bare.url}/hello`);
    const baseline = average(bareBefore, bareAfter);
    const sqlBaseline = average(sqlBefore, sqlAfter);
    notes.push(`baseline req/s before ${bareBefore.reqPerSec.toFixed(0)}, after ${bareAfter.reqPerSec.toFixed(0)}`);
    notes.push(`list SQL baseline req/s before ${sqlBefore.reqPerSec.toFixed(0)}, after ${sqlAfter.reqPerSec.toFixed(0)}`);
    const listRow = rowOf('GET /api/users?limit=50 (ratio to the SQL baseline)', list, sqlBaseline, LIST_TARGET);
    return {
      notes,
      rows: [
        rowOf('bare Fastify GET /hello (baseline)', baseline, baseline),
        rowOf('GET /api/auth/me', me, baseline, ME_TARGET),
        {
          ...rowOf(`bare Fastify running the list's SQL through ${imsop.database === 'postgres' ? 'node-postgres' : 'PGlite'} (list baseline)`, sqlBaseline, baseline),
          details: 'ratio to bare /hello',
        },
        { ...listRow, details: `ratio to bare /hello ${(list.reqPerSec / baseline.reqPerSec).toFixed(3)}` },
        rowOf("(diagnosis) bare Fastify sending /me's headers and body", bytes, baseline),
      ],
    };
  } finally {
    await Promise.all([bare?.stop(), imsop?.stop(), mirror?.stop()]);
  }
}

export const scenarios: Scenario[] = [
  { name: 'auth on PGlite (in memory)', run: (log) => authScenario(log) },
  { name: 'auth on PostgreSQL', run: (log) => withThrowawayDatabase((url) => authScenario(log, url)) },
];
