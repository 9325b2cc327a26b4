/**
 * CPU profile of the app under load: starts the full app in a child (bench/server.ts,
 * BENCH_TARGET=imsop, 200 seeded users), warms the route up, profiles the child while autocannon
 * loads it, and prints the self time by function and by package (bench/profile-summary.ts). The
 * profile itself goes to .tmp/profiles/ (open it in Chrome DevTools or speedscope).
 *
 *   node --import tsx bench/profile.ts pglite|postgres|bare <path> [seconds=10]
 *
 * (`bare` profiles bench/server.ts's bare Fastify target, e.g. `/hello`, for comparison.) It also
 * prints the server's CPU time per request (process.cpuUsage), which moves less with the load of a
 * shared machine than req/s; PROFILE=0 measures only that, without the profiler's overhead.
 * PROFILE_LISTS=1 seeds the lists of bench/lists.bench.ts instead (10,000 rows of each kind).
 *   e.g. node --import tsx bench/profile.ts postgres '/api/users?limit=50'
 *        node --import tsx bench/profile.ts postgres /baseline   (the list's SQL baseline)
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { BENCH_DIR, cannon, LOAD, startTarget, withThrowawayDatabase } from './lib.ts';
import type { SeededIds } from './lists.child.ts';
import { formatSummary, summarise } from './profile-summary.ts';

const [db, route, secondsArg] = process.argv.slice(2);
if (!['pglite', 'postgres', 'bare'].includes(db ?? '') || !route?.startsWith('/')) {
  process.stderr.write('usage: bench/profile.ts pglite|postgres|bare <path> [seconds]\n');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 10);
const path_ = route!;

/**
 * CPU time (µs) used so far by the PostgreSQL backends of the database (the app's pool and the
 * baseline's), from /proc: on this machine the backends share the two cores with the app.
 */
async function backendsCpu(databaseUrl: string | undefined): Promise<number | null> {
  if (!databaseUrl) return null;
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    let ticks = 0;
    for (const { pid } of rows) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // a backend that ended meanwhile
      }
    }
    return (ticks * 1e6) / 100;
  } finally {
    await c.end();
  }
}

async function run(databaseUrl?: string) {
  const lists = process.env.PROFILE_LISTS === '1';
  const target =
    db === 'bare'
      ? await startTarget({ BENCH_TARGET: 'bare' })
      : lists
        ? await startTarget({ BENCH_TARGET: 'imsop', BENCH_USERS: '0', BENCH_LISTS: '1', DATABASE_URL: databaseUrl ?? '' })
        : await startTarget({ BENCH_TARGET: 'imsop', BENCH_USERS: '200', BENCH_USERS_BASELINE: '1', DATABASE_URL: databaseUrl ?? '' });
  try {
    if (lists) {
      const ids = await target.call<SeededIds>('seedLists', { rows: Number(process.env.BENCH_LISTS_ROWS ?? 10_000) }, 1_800_000);
      process.stdout.write(`seeded the lists of bench/lists.bench.ts in ${ids.seconds.toFixed(0)} s\n`);
    }
    // `/baseline` is the users list's SQL baseline (bench/users.baseline.ts), served beside the app.
    const url = path_ === '/baseline' ? `http://127.0.0.1:${target.baselinePort}/users` : `${target.url}${path_}`;
    const headers = { authorization: `Bearer ${target.token}` };
    const probe = await fetch(url, { headers });
    if (probe.status !== 200) throw new Error(`GET ${path_} answered ${probe.status}: ${await probe.text()}`);
    const base = { url, headers, connections: LOAD.connections, pipelining: 1 };
    await cannon({ ...base, duration: LOAD.warmup || 2 });
    const noProfile = process.env.PROFILE === '0';
    if (!noProfile) await target.call('profileStart');
    const cpu0 = await target.call<number>('cpu');
    const pg0 = await backendsCpu(databaseUrl);
    const r = await cannon({ ...base, duration: seconds });
    const cpuUs = (await target.call<number>('cpu')) - cpu0;
    const pg1 = await backendsCpu(databaseUrl);
    const pgLine = pg0 !== null && pg1 !== null ? `, ${((pg1 - pg0) / r.requests.total).toFixed(0)} µs of PostgreSQL backends' CPU` : '';
    const line =
      `${db} GET ${path_}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${r.non2xx} non-2xx, ` +
      `${(cpuUs / r.requests.total).toFixed(0)} µs of server CPU per request${noProfile ? '' : ' (profiler on)'}${pgLine}\n`;
    if (noProfile) {
      process.stdout.write(line);
      return;
    }
    const profile = await target.call<Parameters<typeof summarise>[0]>('profileStop');
    const dir = path.join(BENCH_DIR, '..', '.tmp', 'profiles');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${db}-${path_.replace(/[^a-z0-9]+/gi, '_')}-${Date.now()}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    // The server's CPU time per request moves less with the machine's load than req/s does.
    process.stdout.write(`${line}profile: ${path.relative(process.cwd(), file)}\n\n${formatSummary(summarise(profile), Number(process.env.TOP ?? 30))}\n`);
  } finally {
    await target.stop();
  }
}

await (db === 'postgres' ? withThrowawayDatabase((url) => run(url)) : run());
