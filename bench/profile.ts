/**
 * CPU profile of the app under load: starts the full app in a child (bench/server.ts,
 * BENCH_TARGET=imsop, 200 seeded users), warms the route up, profiles the child while autocannon
 * loads it, and prints the self time by function and by package (bench/profile-summary.ts). The
 * profile itself goes to .tmp/profiles/ (open it in Chrome DevTools or speedscope).
 *
 *   node --import tsx bench/profile.ts pglite|postgres|bare <path> [seconds=10]
 *
 * (`bare` profiles bench/server.ts's bare Fastify target, e.g. `/hello`, for comparison.)
 *   e.g. node --import tsx bench/profile.ts postgres '/api/users?limit=50'
 */
import fs from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, cannon, LOAD, startTarget, withThrowawayDatabase } from './lib.ts';
import { formatSummary, summarise } from './profile-summary.ts';

const [db, route, secondsArg] = process.argv.slice(2);
if (!['pglite', 'postgres', 'bare'].includes(db ?? '') || !route?.startsWith('/')) {
  process.stderr.write('usage: bench/profile.ts pglite|postgres|bare <path> [seconds]\n');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 10);
const path_ = route!;

async function run(databaseUrl?: string) {
  const target =
    db === 'bare'
      ? await startTarget({ BENCH_TARGET: 'bare' })
      : await startTarget({ BENCH_TARGET: 'imsop', BENCH_USERS: '200', DATABASE_URL: databaseUrl ?? '' });
  try {
    const url = `${target.url}${path_}`;
    const headers = { authorization: `Bearer ${target.token}` };
    const probe = await fetch(url, { headers });
    if (probe.status !== 200) throw new Error(`GET ${path_} answered ${probe.status}: ${await probe.text()}`);
    const base = { url, headers, connections: LOAD.connections, pipelining: 1 };
    await cannon({ ...base, duration: LOAD.warmup || 2 });
    await target.call('profileStart');
    const r = await cannon({ ...base, duration: seconds });
    const profile = await target.call<Parameters<typeof summarise>[0]>('profileStop');
    const dir = path.join(BENCH_DIR, '..', '.tmp', 'profiles');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${db}-${path_.replace(/[^a-z0-9]+/gi, '_')}-${Date.now()}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    process.stdout.write(
      `${db} GET ${path_}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${r.non2xx} non-2xx\n` +
        `profile: ${path.relative(process.cwd(), file)}\n\n${formatSummary(summarise(profile), Number(process.env.TOP ?? 30))}\n`,
    );
  } finally {
    await target.stop();
  }
}

await (db === 'postgres' ? withThrowawayDatabase((url) => run(url)) : run());
