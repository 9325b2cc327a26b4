/**
 * Overload: far more clients than the server can serve, against the full app (bench/server.ts,
 * BENCH_TARGET=imsop, default settings: MAX_IN_FLIGHT 256 on PostgreSQL, 64 on PGlite). The result must be bounded latency and
 * 503 shedding, not a queue that grows until requests time out, not memory growth, not a crash.
 *
 * 1. Baseline, in the same run: `GET /api/users?limit=50` (a database-bound list, 200 seeded users)
 *    with the usual LOAD.connections (10) clients: the server's capacity for this request.
 * 2. Overload: BENCH_OVERLOAD_CONNECTIONS (1,024, four to sixteen times the in-flight cap) clients, each
 *    sending its next request as soon as it has an answer, for BENCH_OVERLOAD_SECONDS (20 s).
 *    Meanwhile a lone client measures what a newcomer sees, and the server's memory is sampled
 *    every second.
 * 3. Recovery: 5 s idle, then the heap after GC and a normal request.
 *
 * Figures: p50/p99 of every answer (autocannon, 2xx and 503 together), goodput (2xx per second,
 * as a ratio of the baseline's throughput), the share shed with 503, RSS before, at peak and after,
 * and the heap after GC before and after. Goals: p99 under 2 s with no timeouts or socket errors,
 * and less than 16 MB of heap left behind.
 */
import {
  cannon,
  LOAD,
  MB,
  measure,
  startTarget,
  withThrowawayDatabase,
  type MemoryStats,
  type Row,
  type Scenario,
  type Target,
} from './lib.ts';
import { percentile } from './telemetry.shared.ts';

const OVERLOAD = {
  connections: Number(process.env.BENCH_OVERLOAD_CONNECTIONS ?? 1024),
  seconds: Number(process.env.BENCH_OVERLOAD_SECONDS ?? 20),
};
const ENDPOINT = '/api/users?limit=50';
const P99_MAX_MS = 2_000;
const HEAP_GROWTH_MAX_MB = 16;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => (bytes / MB).toFixed(0);
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

async function overloadScenario(log: (line: string) => void, databaseUrl?: string) {
  let target: Target | undefined;
  try {
    target = await startTarget({ BENCH_TARGET: 'imsop', BENCH_USERS: '200', DATABASE_URL: databaseUrl ?? '' });
    const t = target;
    const url = `${t.url}${ENDPOINT}`;
    const headers = { authorization: `Bearer ${t.token}` };
    const memory = (gc = false) => t.call<MemoryStats>('memory', { gc });

    log(`  baseline: GET ${ENDPOINT}, ${LOAD.connections} clients`);
    const base = await measure(url, headers);
    const before = await memory(true);

    log(`  overload: ${fmt(OVERLOAD.connections)} clients for ${OVERLOAD.seconds} s`);
    let running = true;
    let peakRss = before.rss;
    const sampler = (async () => {
      while (running) {
        await sleep(1_000);
        peakRss = Math.max(peakRss, (await memory()).rss);
      }
    })();
    // A newcomer's view: one request at a time, each timed, through its own connection.
    const lone = { ok: [] as number[], shed: [] as number[], other: 0 };
    const prober = (async () => {
      await sleep(2_000); // once the overload is established
      while (running) {
        const t0 = performance.now();
        try {
          const r = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
          await r.arrayBuffer();
          const ms = performance.now() - t0;
          if (r.status === 200) lone.ok.push(ms);
          else if (r.status === 503 || r.status === 429) lone.shed.push(ms);
          else lone.other++;
        } catch {
          lone.other++;
        }
        await sleep(50);
      }
    })();
    const r = await cannon({ url, headers, connections: OVERLOAD.connections, duration: OVERLOAD.seconds, pipelining: 1, timeout: 30 });
    running = false;
    await Promise.all([sampler, prober]);

    await sleep(5_000);
    const after = await memory(true);
    const check = await fetch(url, { headers });
    if (check.status !== 200) throw new Error(`after the overload GET ${ENDPOINT} answered ${check.status}`);
    await check.arrayBuffer();
    const shedMetric = Number(/^imsop_http_requests_shed_total (\S+)$/m.exec(await (await fetch(`${t.url}/metrics`)).text())?.[1] ?? Number.NaN);

    const counts = Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [Number(code), s.count ?? 0] as const);
    const total = counts.reduce((a, [, n]) => a + n, 0);
    const ok = counts.filter(([c]) => c >= 200 && c < 300).reduce((a, [, n]) => a + n, 0);
    const shed = counts.filter(([c]) => c === 503 || c === 429).reduce((a, [, n]) => a + n, 0);
    const other = total - ok - shed;
    const failures = r.errors + r.timeouts;
    const byStatus = counts.map(([c, n]) => `${c}: ${fmt(n)}`).join(', ');
    log(`    answers by status ${byStatus}; ${failures} socket errors/timeouts; server counted ${fmt(shedMetric)} shed`);
    if (other > 0) throw new Error(`under overload the server answered ${other} requests with neither 2xx nor 503/429 (${byStatus})`);
    // A timeout or a dropped connection means a client was left waiting: the latency was not bounded.
    if (failures > 0) throw new Error(`under overload ${failures} requests timed out (30 s) or lost their connection (${byStatus})`);

    const shedPct = (100 * shed) / Math.max(1, total);
    const goodput = ok / OVERLOAD.seconds;
    const heapGrowth = (after.heapUsed - before.heapUsed) / MB;
    const rows: Row[] = [
      {
        endpoint: `GET ${ENDPOINT}, ${LOAD.connections} clients (baseline, unloaded)`,
        reqPerSec: base.reqPerSec,
        p50: base.p50,
        p99: base.p99,
        ratio: 1,
        details: `RSS ${mb(before.rss)} MB, heap after GC ${mb(before.heapUsed)} MB`,
      },
      {
        endpoint: `GET ${ENDPOINT}, ${fmt(OVERLOAD.connections)} clients: every answer (2xx and 503)`,
        reqPerSec: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        ratio: r.requests.average / base.reqPerSec,
        goal: { on: 'p99', max: P99_MAX_MS },
        details:
          `${shedPct.toFixed(1)}% shed with 503 (${fmt(shed)} of ${fmt(total)}), no timeouts or socket errors; ` +
          `p99 ${(r.latency.p99 / Math.max(1, base.p99)).toFixed(1)}× the baseline's; RSS ${mb(before.rss)} → peak ${mb(peakRss)} → ${mb(after.rss)} MB after`,
      },
      {
        endpoint: `GET ${ENDPOINT}, ${fmt(OVERLOAD.connections)} clients: 2xx only (goodput); latency of a lone client's 2xx answers`,
        reqPerSec: goodput,
        p50: percentile(lone.ok, 50),
        p95: percentile(lone.ok, 95),
        p99: percentile(lone.ok, 99),
        ratio: goodput / base.reqPerSec,
        details:
          `lone client: ${lone.ok.length} answered 2xx, ${lone.shed.length} shed (p50 ${fmt(percentile(lone.shed, 50), 1)} ms), ${lone.other} other`,
      },
      {
        endpoint: 'heap after GC, after the overload minus before (MB)',
        reqPerSec: heapGrowth,
        unit: 'MB',
        p50: Number.NaN,
        p99: Number.NaN,
        goal: { on: 'rate', max: HEAP_GROWTH_MAX_MB },
        details: `${mb(before.heapUsed)} → ${mb(after.heapUsed)} MB; the server kept serving (GET after the overload: 200)`,
      },
    ];
    return {
      notes: [
        `database: ${t.database}; MAX_IN_FLIGHT ${process.env.MAX_IN_FLIGHT ?? (t.database === 'postgres' ? '256' : '64')} (${process.env.MAX_IN_FLIGHT ? 'set' : 'default'}); ${fmt(OVERLOAD.connections)} autocannon connections for ${OVERLOAD.seconds} s; answers by status ${byStatus}`,
      ],
      rows,
    };
  } finally {
    await target?.stop();
  }
}

export const scenarios: Scenario[] = [
  { name: 'overload on PGlite (in memory)', run: (log) => overloadScenario(log) },
  { name: 'overload on PostgreSQL', run: (log) => withThrowawayDatabase((url) => overloadScenario(log, url)) },
];
