/**
 * Soak: steady mixed traffic against the full app on PostgreSQL for SOAK_MINUTES (default 10),
 * sampling the server's memory every 10 s; memory must stay flat.
 *
 * Traffic (paced closed loops in this process, the server in its own child process):
 * - reads: /api/auth/me, operations, users, KPIs, latest telemetry (3 loops);
 * - writes: an operation with a task, the task ticked off, the operation started then completed
 *   (2 loops), each with its audit record and outbox events;
 * - sign-ins: login as a seeded user, /me with the new token, logout (1 loop; argon2id each time);
 * - ingest: 200-point batches from 5 devices, timestamps advancing (2 loops);
 * - WebSockets: 50 subscribers on `operations` and `telemetry`; every 5 s five of them leave and
 *   five new ones join with `since` (replay), so connection set-up and tear-down are soaked too.
 *
 * Memory: every 10 s the server collects garbage (the bench child runs with --expose-gc) and
 * reports process.memoryUsage(). After a warm-up (the first 2 minutes, or a quarter of a short
 * run: JIT, pools and the bounded caches filling), the least-squares slope of the heap used after
 * GC must stay under 1 MB/min and that of the RSS under 4 MB/min. For scale: a leak of one
 * kilobyte per request at this load (~200 requests/s) would grow the heap by about 12 MB/min.
 */
import WebSocket from 'ws';
import { MB, slope, startTarget, withThrowawayDatabase, type MemoryStats, type Row, type Scenario, type Target } from './lib.ts';
import { percentile } from './telemetry.shared.ts';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const SAMPLE_MS = 10_000;
const HEAP_SLOPE_MAX = 1;
const RSS_SLOPE_MAX = 4;
const WS_CLIENTS = 50;
const USER_PASSWORD = 'Sturdy-Bench-Password-42'; // bench/server.ts seeds its users with it

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

interface Stats {
  latencies: number[];
  byKind: Map<string, number>;
  /** The first failures in full, and how many there were by status. */
  failures: string[];
  failedByStatus: Map<number, number>;
}

async function soakScenario(log: (line: string) => void, databaseUrl: string) {
  let target: Target | undefined;
  const sockets = new Set<WebSocket>();
  try {
    target = await startTarget({ BENCH_TARGET: 'imsop', BENCH_USERS: '50', DATABASE_URL: databaseUrl });
    const t = target;
    const admin = { authorization: `Bearer ${t.token}` };
    const stats: Stats = { latencies: [], byKind: new Map(), failures: [], failedByStatus: new Map() };
    let running = true;

    /** One timed request; anything but the expected status is recorded as a failure. */
    const req = async (kind: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: unknown; expect?: number } = {}) => {
      const t0 = performance.now();
      const r = await fetch(`${t.url}${path}`, {
        method,
        headers: { ...opts.headers, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await r.text();
      stats.latencies.push(performance.now() - t0);
      stats.byKind.set(kind, (stats.byKind.get(kind) ?? 0) + 1);
      if (r.status !== (opts.expect ?? 200)) {
        stats.failedByStatus.set(r.status, (stats.failedByStatus.get(r.status) ?? 0) + 1);
        if (stats.failures.length < 20) stats.failures.push(`${method} ${path} → ${r.status}: ${text.slice(0, 200)}`);
        throw new Error(`${method} ${path} answered ${r.status}`);
      }
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    };
    const loop = async (pauseMs: number, body: () => Promise<void>) => {
      while (running) {
        try {
          await body();
        } catch {
          // recorded in stats.failures; keep soaking
        }
        await sleep(pauseMs);
      }
    };

    // Set-up: devices for ingest.
    const devices: { id: string; key: string }[] = [];
    for (let i = 0; i < 5; i++) devices.push((await req('setup', 'POST', '/api/devices', { headers: admin, body: { name: `soak device ${i}` }, expect: 201 })) as { id: string; key: string });
    // 20 s of device time per second of soak: starting a day back leaves room for 70 minutes.
    let nextTs = Date.now() - 24 * 3_600_000;
    const nextRange = (n: number) => {
      const ts = nextTs;
      nextTs += n * 100;
      return ts;
    };

    // WebSocket subscribers, with churn.
    let events = 0;
    let lastId = 0;
    const openSocket = (since?: number) =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/realtime?access_token=${t.token}${since ? `&since=${since}` : ''}`);
        sockets.add(ws);
        ws.on('message', (raw) => {
          const m = JSON.parse(String(raw)) as { type: string; id?: number };
          if (m.type === 'event') {
            events++;
            if (m.id && m.id > lastId) lastId = m.id;
          }
          if (m.type === 'ready') {
            ws.send(JSON.stringify({ type: 'subscribe', topic: 'operations' }));
            ws.send(JSON.stringify({ type: 'subscribe', topic: 'telemetry' }));
            resolve();
          }
        });
        ws.on('close', () => sockets.delete(ws));
        ws.on('error', () => resolve());
      });
    for (let i = 0; i < WS_CLIENTS; i++) await openSocket();
    let churned = 0;
    const churn = loop(5_000, async () => {
      const leaving = [...sockets].slice(0, 5);
      for (const ws of leaving) ws.close();
      for (let i = 0; i < leaving.length; i++) await openSocket(lastId);
      churned += leaving.length;
    });

    const reads = ['/api/auth/me', '/api/operations?limit=20', '/api/users?limit=20', '/api/operations/kpis', `/api/telemetry/latest?deviceId=${devices[0]!.id}`];
    let readIndex = 0;
    const loops = [
      ...Array.from({ length: 3 }, () => loop(20, async () => void (await req('read', 'GET', reads[readIndex++ % reads.length]!, { headers: admin })))),
      ...Array.from({ length: 2 }, (_, w) =>
        loop(50, async () => {
          const op = (await req('write', 'POST', '/api/operations', { headers: admin, body: { name: `soak ${w}`, tags: ['soak'] }, expect: 201 })) as { id: string };
          const task = (await req('write', 'POST', `/api/operations/${op.id}/tasks`, { headers: admin, body: { title: 'check' }, expect: 201 })) as { id: string };
          await req('write', 'PATCH', `/api/operations/${op.id}/tasks/${task.id}`, { headers: admin, body: { status: 'done' } });
          await req('write', 'PATCH', `/api/operations/${op.id}`, { headers: admin, body: { status: 'in_progress' } });
          await req('write', 'PATCH', `/api/operations/${op.id}`, { headers: admin, body: { status: 'completed' } });
        }),
      ),
      loop(500, async () => {
        const n = Math.floor(Math.random() * 50);
        const login = (await req('login', 'POST', '/api/auth/login', { body: { email: `user${String(n).padStart(4, '0')}@bench.test`, password: USER_PASSWORD } })) as {
          accessToken: string;
        };
        const auth = { authorization: `Bearer ${login.accessToken}` };
        await req('login', 'GET', '/api/auth/me', { headers: auth });
        await req('login', 'POST', '/api/auth/logout', { headers: auth, expect: 204 });
      }),
      ...Array.from({ length: 2 }, (_, w) =>
        loop(100, async () => {
          const d = devices[(w + Math.floor(Math.random() * devices.length)) % devices.length]!;
          const from = nextRange(10);
          const body = Array.from({ length: 10 }, (_, j) => ({
            ts: from + j * 100,
            values: Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`m${k}`, Math.round(Math.sin((from + j) / 1e5 + k) * 1000) / 10])),
          }));
          await req('ingest', 'POST', '/api/telemetry/batch', { headers: { 'x-device-key': d.key }, body, expect: 201 });
        }),
      ),
    ];

    // Memory samples.
    const samples: { minute: number; heap: number; rss: number; lag: number }[] = [];
    const started = Date.now();
    const deadline = started + MINUTES * 60_000;
    log(`  soaking for ${MINUTES} min: 3 read, 2 write, 1 sign-in and 2 ingest loops, ${WS_CLIENTS} WebSocket subscribers with churn`);
    while (Date.now() < deadline) {
      await sleep(Math.min(SAMPLE_MS, deadline - Date.now()));
      const m = await t.call<MemoryStats>('memory', { gc: true });
      const minute = (Date.now() - started) / 60_000;
      samples.push({ minute, heap: m.heapUsed / MB, rss: m.rss / MB, lag: m.eventLoopDelayMax });
      if (samples.length % 6 === 0) {
        log(
          `    ${minute.toFixed(1)} min: heap ${(m.heapUsed / MB) | 0} MB, RSS ${(m.rss / MB) | 0} MB, event-loop delay mean ${fmt(m.eventLoopDelayMean, 1)} / max ${fmt(m.eventLoopDelayMax, 0)} ms, ` +
            `${fmt(stats.latencies.length)} requests, ${fmt(events)} events`,
        );
      }
    }
    running = false;
    await Promise.all([...loops, churn]);
    const elapsedMin = (Date.now() - started) / 60_000;

    if (stats.failures.length) {
      const counts = [...stats.failedByStatus].map(([status, n]) => `${fmt(n)} × ${status}`).join(', ');
      throw new Error(`requests failed during the soak (${counts} of ${fmt(stats.latencies.length)}), first: ${stats.failures.slice(0, 3).join(' | ')}`);
    }
    const warmup = Math.min(2, MINUTES / 4);
    const steady = samples.filter((s) => s.minute >= warmup);
    const heapSlope = slope(steady.map((s) => ({ x: s.minute, y: s.heap })));
    const rssSlope = slope(steady.map((s) => ({ x: s.minute, y: s.rss })));
    const range = (k: 'heap' | 'rss') => {
      const v = steady.map((s) => s[k]);
      return `${fmt(v[0] ?? Number.NaN, 1)} → ${fmt(v.at(-1) ?? Number.NaN, 1)} MB (min ${fmt(Math.min(...v), 1)}, max ${fmt(Math.max(...v), 1)}) over ${steady.length} samples after ${fmt(warmup, 1)} min of warm-up`;
    };
    const kinds = [...stats.byKind].map(([k, n]) => `${k} ${fmt(n)}`).join(', ');
    const rows: Row[] = [
      {
        endpoint: `mixed traffic for ${fmt(elapsedMin, 1)} min: every HTTP request`,
        reqPerSec: stats.latencies.length / (elapsedMin * 60),
        p50: percentile(stats.latencies, 50),
        p95: percentile(stats.latencies, 95),
        p99: percentile(stats.latencies, 99),
        details: `${kinds}; ${fmt(events)} WebSocket events to ${WS_CLIENTS} subscribers, ${fmt(churned)} reconnections with since; 0 failures`,
      },
      {
        endpoint: 'heap used after GC: slope (least squares)',
        reqPerSec: heapSlope,
        unit: 'MB/min',
        p50: Number.NaN,
        p99: Number.NaN,
        goal: { on: 'rate', max: HEAP_SLOPE_MAX },
        details: range('heap'),
      },
      {
        endpoint: 'RSS: slope (least squares)',
        reqPerSec: rssSlope,
        unit: 'MB/min',
        p50: Number.NaN,
        p99: Number.NaN,
        goal: { on: 'rate', max: RSS_SLOPE_MAX },
        details: range('rss'),
      },
    ];
    const perMinute = samples.filter((_, i) => i % 6 === 5).map((s) => `${fmt(s.minute, 0)} min ${fmt(s.heap, 1)}/${fmt(s.rss, 0)}/${fmt(s.lag, 0)}`);
    const lags = samples.map((s) => s.lag).filter(Number.isFinite);
    return {
      notes: [
        `database: ${t.database}; ${MINUTES} min (SOAK_MINUTES); memory sampled every ${SAMPLE_MS / 1000} s after a forced GC`,
        `heap MB / RSS MB / longest event-loop delay in the last 10 s (ms), each minute: ${perMinute.join(', ')}; longest event-loop delay of the run ${fmt(Math.max(...lags), 0)} ms`,
      ],
      rows,
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    await target?.stop();
  }
}

export const scenarios: Scenario[] = [{ name: 'soak on PostgreSQL', run: (log) => withThrowawayDatabase((url) => soakScenario(log, url)) }];
