/**
 * Telemetry (issue 3), once on in-memory PGlite and once on PostgreSQL, each on the full app in a
 * child process (BENCH_TARGET=telemetry: buildApp + the embedded MQTT broker) with the load
 * generator here in the parent:
 *
 * 1. HTTP batch ingest in points/s: 4 clients, then 8, posting 5,000-point batches (50 s of a
 *    100-metric device, ThingsBoard shape, X-Device-Key), each against a raw multi-row INSERT of the
 *    same rows into the same telemetry_points table (same database, batch size and concurrency, no
 *    rollups).
 * 2. MQTT ingest in points/s through the embedded broker: 8 devices publishing 500-point messages
 *    at QoS 1, each waiting for its PUBACK (sent only after commit) before the next, against the
 *    same raw INSERT at 500 rows and the same concurrency.
 * 3. Ingest-to-WebSocket latency: 1,000 WebSocket clients subscribed to `device:<id>` of 10 devices
 *    (100 each); every device sends one point per second over HTTP whose value is the send time, and
 *    each client records receive time − send time.
 * 4. Aggregate query latency: one day of one-minute averages of one series through
 *    `GET /api/telemetry?…&interval=1m&agg=avg`, over 1M raw rows (PGlite) or 10M (PostgreSQL)
 *    bulk-loaded with their rollups, against the same aggregate computed by SQL from the raw rows.
 *
 * Settings: BENCH_TELEMETRY_SECONDS (10, measured seconds of the ingest and WebSocket runs),
 * BENCH_TELEMETRY_PARTS (http,mqtt,ws,query), BENCH_TELEMETRY_HTTP_CLIENTS (4,8), BENCH_TELEMETRY_PGLITE_ROWS (1,000,000),
 * BENCH_TELEMETRY_PG_ROWS (10,000,000).
 */
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { startTarget, withThrowawayDatabase, type Row, type Scenario, type Target } from './lib.ts';
import type { LoadResult, RawQueryResult } from './telemetry.child.ts';
import { deviceBatch, METRICS, percentile, sustain, timeline } from './telemetry.shared.ts';

const SECONDS = Number(process.env.BENCH_TELEMETRY_SECONDS ?? 10);
const PARTS = new Set((process.env.BENCH_TELEMETRY_PARTS ?? 'http,mqtt,ws,query').split(','));
const BASELINE_SECONDS = Math.max(2, Math.round(SECONDS / 2));

/** Concurrent HTTP clients: 4 as in the issue's example, and 8, since 4 closed-loop clients measure latency as much as capacity. */
const HTTP = { clients: (process.env.BENCH_TELEMETRY_HTTP_CLIENTS ?? '4,8').split(',').map(Number), batch: 5_000 };
const MQTT = { publishers: 8, batch: 500 };
const WS = { clients: 1_000, devices: 10 };
const QUERY = { count: 50, warmup: 5, days: 2, stepSeconds: 10 };

/** Targets from issue 3 (this 2-core machine). */
export const TARGETS = { ingestPostgres: 50_000, ingestPglite: 20_000, wsP99Ms: 100, queryP95Ms: 50 };

interface Ctx {
  target: Target;
  auth: Record<string, string>;
  kind: 'pglite' | 'postgres';
  log: (line: string) => void;
  notes: string[];
  rows: Row[];
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function createDevice(c: Ctx, name: string): Promise<{ id: string; key: string }> {
  const r = await fetch(`${c.target.url}/api/devices`, {
    method: 'POST',
    headers: { ...c.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name, type: 'bench' }),
  });
  if (r.status !== 201) throw new Error(`POST /api/devices answered ${r.status}: ${(await r.text()).slice(0, 300)}`);
  return (await r.json()) as { id: string; key: string };
}

/** Posts a batch with the device key; anything but 201 with every point accepted fails the run. */
async function postBatch(c: Ctx, key: string, body: unknown, expected: number) {
  const r = await fetch(`${c.target.url}/api/telemetry/batch`, {
    method: 'POST',
    headers: { 'x-device-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await r.text();
  if (r.status !== 201) throw new Error(`POST /api/telemetry/batch answered ${r.status}: ${text.slice(0, 300)}`);
  const accepted = (JSON.parse(text) as { accepted: number }).accepted;
  if (accepted !== expected) throw new Error(`POST /api/telemetry/batch accepted ${accepted} of ${expected} points`);
}

interface RawInsert {
  pointsPerSec: number;
  points: number;
  seconds: number;
}

async function checkStored(c: Ctx, deviceIds: string[], acked: number, what: string) {
  const stored = await c.target.call<number>('countPoints', { deviceIds });
  if (stored < acked) throw new Error(`${what}: ${acked} points were acknowledged but only ${stored} are stored`);
  c.notes.push(`${what}: ${fmt(acked)} points acknowledged, ${fmt(stored)} stored`);
}

async function httpIngest(c: Ctx, clients: number) {
  const device = await createDevice(c, `bench http device (${clients} clients)`);
  const timestamps = HTTP.batch / METRICS;
  const next = timeline(8);
  let acked = 0;
  const once = async () => {
    await postBatch(c, device.key, deviceBatch(next(timestamps), timestamps), HTTP.batch);
    acked += HTTP.batch;
    return HTTP.batch;
  };
  await once(); // creates the 100 series
  c.log(`  HTTP batch ingest: ${clients} clients × ${fmt(HTTP.batch)} points, 2 s warm-up + ${SECONDS} s`);
  const app = await sustain({ concurrency: clients, warmupSeconds: 2, seconds: SECONDS, once });
  await checkStored(c, [device.id], acked, `HTTP ingest (${clients} clients)`);
  c.log(`  raw multi-row INSERT baseline: ${clients} × ${fmt(HTTP.batch)} rows, 1 s warm-up + ${BASELINE_SECONDS} s`);
  const raw = await c.target.call<RawInsert>('rawInsert', {
    deviceId: device.id,
    batch: HTTP.batch,
    concurrency: clients,
    warmupSeconds: 1,
    seconds: BASELINE_SECONDS,
    hoursAgo: 20,
  });
  c.rows.push(
    {
      endpoint: `raw multi-row INSERT into telemetry_points (baseline; ${clients} × ${fmt(HTTP.batch)} rows)`,
      reqPerSec: raw.pointsPerSec,
      unit: 'points/s',
      p50: Number.NaN,
      p99: Number.NaN,
      ratio: 1,
    },
    {
      endpoint: `HTTP POST /api/telemetry/batch (${clients} clients × ${fmt(HTTP.batch)} points; latency per batch)`,
      reqPerSec: app.pointsPerSec,
      unit: 'points/s',
      p50: percentile(app.latencies, 50),
      p95: percentile(app.latencies, 95),
      p99: percentile(app.latencies, 99),
      ratio: app.pointsPerSec / raw.pointsPerSec,
      goal: { on: 'rate', min: c.kind === 'postgres' ? TARGETS.ingestPostgres : TARGETS.ingestPglite },
    },
  );
  c.log(`    app ${fmt(app.pointsPerSec)} points/s, raw INSERT ${fmt(raw.pointsPerSec)} points/s, ratio ${(app.pointsPerSec / raw.pointsPerSec).toFixed(2)}`);
}

async function mqttIngest(c: Ctx) {
  if (!c.target.mqttPort) throw new Error('the bench server did not report its MQTT port');
  const devices = await Promise.all(Array.from({ length: MQTT.publishers }, (_, i) => createDevice(c, `bench mqtt device ${i}`)));
  const clients = await Promise.all(
    devices.map((d) =>
      mqtt.connectAsync(`mqtt://127.0.0.1:${c.target.mqttPort}`, { username: d.id, password: d.key, reconnectPeriod: 0, clientId: `bench-${d.id}` }),
    ),
  );
  try {
    const timestamps = MQTT.batch / METRICS;
    const timelines = devices.map(() => timeline(8));
    let acked = 0;
    const once = async (w: number) => {
      const d = devices[w]!;
      // QoS 1: resolves on PUBACK, which the embedded broker sends after the commit. The broker
      // drops a client whose message fails, which would leave the promise pending: hence the timeout.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        clients[w]!.publishAsync(`imsop/devices/${d.id}/telemetry`, JSON.stringify(deviceBatch(timelines[w]!(timestamps), timestamps)), { qos: 1 }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`MQTT publish of device ${w} not acknowledged within 60 s`)), 60_000);
        }),
      ]).finally(() => clearTimeout(timer));
      acked += MQTT.batch;
      return MQTT.batch;
    };
    await Promise.all(devices.map((_, w) => once(w))); // creates the series
    c.log(`  MQTT ingest: ${MQTT.publishers} publishers × ${MQTT.batch} points per message, QoS 1, 2 s warm-up + ${SECONDS} s`);
    const app = await sustain({ concurrency: MQTT.publishers, warmupSeconds: 2, seconds: SECONDS, once });
    await checkStored(
      c,
      devices.map((d) => d.id),
      acked,
      'MQTT ingest',
    );
    c.log(`  raw multi-row INSERT baseline: ${MQTT.publishers} × ${MQTT.batch} rows, 1 s warm-up + ${BASELINE_SECONDS} s`);
    const raw = await c.target.call<RawInsert>('rawInsert', {
      deviceId: devices[0]!.id,
      batch: MQTT.batch,
      concurrency: MQTT.publishers,
      warmupSeconds: 1,
      seconds: BASELINE_SECONDS,
      hoursAgo: 20,
    });
    c.rows.push(
      {
        endpoint: `raw multi-row INSERT into telemetry_points (baseline; ${MQTT.publishers} × ${MQTT.batch} rows)`,
        reqPerSec: raw.pointsPerSec,
        unit: 'points/s',
        p50: Number.NaN,
        p99: Number.NaN,
        ratio: 1,
      },
      {
        endpoint: `MQTT QoS 1 publish, embedded broker (${MQTT.publishers} devices × ${MQTT.batch} points per message; latency to PUBACK)`,
        reqPerSec: app.pointsPerSec,
        unit: 'points/s',
        p50: percentile(app.latencies, 50),
        p95: percentile(app.latencies, 95),
        p99: percentile(app.latencies, 99),
        ratio: app.pointsPerSec / raw.pointsPerSec,
      },
    );
    c.log(`    app ${fmt(app.pointsPerSec)} points/s, raw INSERT ${fmt(raw.pointsPerSec)} points/s, ratio ${(app.pointsPerSec / raw.pointsPerSec).toFixed(2)}`);
  } finally {
    await Promise.all(clients.map((cl) => cl.endAsync().catch(() => undefined)));
  }
}

interface WsEvent {
  type: string;
  event?: string;
  topic?: string;
  data?: { metric?: string; value?: number };
}

async function wsLatency(c: Ctx) {
  const devices = await Promise.all(Array.from({ length: WS.devices }, (_, i) => createDevice(c, `bench ws device ${i}`)));
  const token = c.target.token!;
  const base = c.target.url.replace('http', 'ws');
  const latencies: number[] = [];
  /** Per point: when its first and its last subscriber got it (the fan-out spread). */
  const perPoint = new Map<number, { first: number; last: number }>();
  let measureFrom = Number.POSITIVE_INFINITY;
  let early = 0;
  const sockets: WebSocket[] = [];
  const open = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const topic = `device:${devices[i % WS.devices]!.id}`;
      const ws = new WebSocket(`${base}/api/realtime?access_token=${encodeURIComponent(token)}`);
      sockets.push(ws);
      const timer = setTimeout(() => reject(new Error(`WebSocket client ${i} was not subscribed within 30 s`)), 30_000);
      ws.on('error', (err) => reject(err));
      ws.on('message', (raw) => {
        const now = performance.now();
        const m = JSON.parse(String(raw)) as WsEvent;
        if (m.type === 'ready') ws.send(JSON.stringify({ type: 'subscribe', topic }));
        else if (m.type === 'subscribed') {
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'error') reject(new Error(`WebSocket client ${i}: ${JSON.stringify(m)}`));
        else if (m.type === 'event' && m.event === 'telemetry' && m.topic === topic && m.data?.metric?.startsWith('lat_')) {
          const sent = m.data.value!;
          if (sent >= measureFrom) {
            latencies.push(now - sent);
            const e = perPoint.get(sent);
            if (e) {
              e.first = Math.min(e.first, now - sent);
              e.last = Math.max(e.last, now - sent);
            } else perPoint.set(sent, { first: now - sent, last: now - sent });
          } else early++;
        }
      });
    });
  try {
    c.log(`  WebSocket: connecting ${fmt(WS.clients)} clients (${WS.clients / WS.devices} per device topic)`);
    const t0 = performance.now();
    for (let i = 0; i < WS.clients; i += 50) await Promise.all(Array.from({ length: Math.min(50, WS.clients - i) }, (_, j) => open(i + j)));
    c.notes.push(`WebSocket: ${fmt(WS.clients)} clients connected and subscribed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // One point per device per second, alternating two metrics so that each series gets a point
    // every 2 s: the pipeline publishes at most one event per series per second, and this keeps
    // every point above that sampling. The value is the send time on this process's clock.
    let sent = 0;
    const send = (d: number, metric: string) => {
      const body = { ts: Date.now(), values: { [metric]: performance.now() } };
      return postBatch(c, devices[d]!.key, body, 1);
    };
    await Promise.all(devices.flatMap((_, d) => [send(d, 'lat_a'), send(d, 'lat_b')])); // creates the series
    await new Promise((r) => setTimeout(r, 1_500));
    c.log(`  WebSocket: one point per device per second for ${SECONDS} s`);
    measureFrom = performance.now();
    const failures: unknown[] = [];
    // Device d sends at measureFrom + d/10 s + tick s: devices are spread evenly over each second.
    const tickers = devices.map(
      (_, d) =>
        new Promise<void>((resolve) => {
          let tick = 0;
          const fire = () => {
            if (tick >= SECONDS) return resolve();
            const metric = tick % 2 === 0 ? 'lat_a' : 'lat_b';
            tick++;
            sent++;
            send(d, metric).catch((err: unknown) => failures.push(err));
            setTimeout(fire, Math.max(0, measureFrom + (d * 1_000) / WS.devices + tick * 1_000 - performance.now()));
          };
          setTimeout(fire, (d * 1_000) / WS.devices);
        }),
    );
    await Promise.all(tickers);
    await new Promise((r) => setTimeout(r, 2_000));
    if (failures.length) throw failures[0];
    const expected = sent * (WS.clients / WS.devices);
    const measuredSeconds = (performance.now() - measureFrom - 2_000) / 1000;
    c.notes.push(
      `WebSocket: ${sent} points sent, ${fmt(latencies.length)} of ${fmt(expected)} expected events received (${((100 * latencies.length) / expected).toFixed(1)}%)` +
        `${early ? `, ${early} from the warm-up ignored` : ''}`,
    );
    const points = [...perPoint.values()];
    const worst = points.reduce((a, b) => (b.last > a.last ? b : a), points[0] ?? { first: Number.NaN, last: Number.NaN });
    c.notes.push(
      `WebSocket: first subscriber of each point p50 ${percentile(points.map((p) => p.first), 50).toFixed(1)} ms, p99 ${percentile(points.map((p) => p.first), 99).toFixed(1)} ms; ` +
        `spread to its last subscriber p50 ${percentile(points.map((p) => p.last - p.first), 50).toFixed(1)} ms; slowest point: first after ${worst.first.toFixed(0)} ms, last after ${worst.last.toFixed(0)} ms`,
    );
    if (latencies.length < expected * 0.99) throw new Error(`WebSocket: only ${latencies.length} of ${expected} expected events arrived`);
    c.rows.push({
      endpoint: `ingest → WebSocket event (${fmt(WS.clients)} clients on ${WS.devices} device topics; 1 point/device/s; rate = events delivered)`,
      reqPerSec: latencies.length / measuredSeconds,
      unit: 'events/s',
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      goal: { on: 'p99', max: TARGETS.wsP99Ms },
    });
    c.log(`    p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
  } finally {
    for (const ws of sockets) ws.terminate();
  }
}

async function queryLatency(c: Ctx, rows: number) {
  const device = await createDevice(c, 'bench query device');
  c.log(`  loading ${fmt(rows)} raw rows and their rollups (generate_series)`);
  const load = await c.target.call<LoadResult>('loadQueryData', {
    deviceId: device.id,
    rows,
    days: QUERY.days,
    stepSeconds: QUERY.stepSeconds,
    parallel: c.kind === 'postgres' ? 2 : 1,
  });
  c.notes.push(
    `query data: ${fmt(load.rawRows)} raw rows (${load.series} series × ${QUERY.days} days, one point every ${QUERY.stepSeconds} s), ` +
      `${fmt(load.rollup1m)} minute and ${fmt(load.rollup1h)} hour rollup rows, loaded in ${load.loadSeconds.toFixed(0)} s ` +
      `(of which ${load.settleSeconds.toFixed(0)} s VACUUM (ANALYZE)${c.kind === 'postgres' ? ' and CHECKPOINT' : ''})`,
  );
  c.log(`    loaded in ${load.loadSeconds.toFixed(1)} s (${load.settleSeconds.toFixed(1)} s of it VACUUM (ANALYZE) and CHECKPOINT)`);
  // A fixed, spread-out choice of series, the same for the API and the baseline.
  const metrics = Array.from({ length: QUERY.count }, (_, i) => load.metrics[(i * 7919) % load.metrics.length]!);
  const query = async (metric: string) => {
    const qs = new URLSearchParams({ deviceId: device.id, metric, from: load.from, to: load.to, interval: '1m', agg: 'avg' });
    const t0 = performance.now();
    const r = await fetch(`${c.target.url}/api/telemetry?${qs}`, { headers: c.auth, signal: AbortSignal.timeout(60_000) });
    const text = await r.text();
    const ms = performance.now() - t0;
    if (r.status !== 200) throw new Error(`GET /api/telemetry answered ${r.status}: ${text.slice(0, 300)}`);
    return { ms, body: JSON.parse(text) as { buckets: { t: string; value: number | null; count: number }[] } };
  };
  for (let i = 0; i < QUERY.warmup; i++) await query(metrics[metrics.length - 1 - i]!);
  c.log(`  GET /api/telemetry ×${QUERY.count} (1 day, interval=1m, agg=avg)`);
  const app: number[] = [];
  let first: { t: string; value: number | null; count: number }[] = [];
  for (const [i, m] of metrics.entries()) {
    const r = await query(m);
    app.push(r.ms);
    if (i === 0) first = r.body.buckets;
  }
  c.log(`  raw SQL aggregate over telemetry_points ×${QUERY.count}`);
  const raw = await c.target.call<RawQueryResult>('rawQuery', { deviceId: device.id, metrics, from: load.from, to: load.to });
  // The API's answer (from the rollups) must equal the direct computation over the raw rows.
  if (first.length !== 1440 || raw.check.length !== 1440) throw new Error(`expected 1,440 minute buckets, got ${first.length} (API) and ${raw.check.length} (raw SQL)`);
  for (const [i, b] of first.entries()) {
    const r = raw.check[i]!;
    if (b.t !== r.t || b.count !== r.count || Math.abs((b.value ?? Number.NaN) - r.value) > 1e-9 * Math.max(1, Math.abs(r.value))) {
      throw new Error(`bucket ${i} differs: API ${JSON.stringify(b)}, raw SQL ${JSON.stringify(r)}`);
    }
  }
  c.notes.push('query: the API answer (from telemetry_rollup_1m) equals the raw-SQL aggregate, 1,440 buckets');
  c.notes.push('query: for latency rows the ratio is the baseline p95 ÷ the row p95 (higher is faster, like the throughput rows)');
  const rawP95 = percentile(raw.raw, 95);
  const lat = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99) });
  c.rows.push(
    {
      endpoint: `raw SQL: 1-minute avg of 1 series over 1 day from telemetry_points (baseline; ${fmt(load.rawRows)} rows)`,
      reqPerSec: Number.NaN,
      ...lat(raw.raw),
      ratio: 1,
    },
    {
      endpoint: 'GET /api/telemetry?deviceId&metric&from&to (1 day)&interval=1m&agg=avg (from the rollups)',
      reqPerSec: Number.NaN,
      ...lat(app),
      ratio: rawP95 / percentile(app, 95),
      goal: { on: 'p95', max: TARGETS.queryP95Ms },
    },
    {
      endpoint: '(diagnosis) the same aggregate by SQL from telemetry_rollup_1m',
      reqPerSec: Number.NaN,
      ...lat(raw.rollup),
      ratio: rawP95 / percentile(raw.rollup, 95),
    },
  );
  c.log(`    API p50 ${percentile(app, 50).toFixed(1)} ms, p95 ${percentile(app, 95).toFixed(1)} ms; raw SQL p95 ${rawP95.toFixed(1)} ms`);
}

async function telemetryScenario(log: (line: string) => void, queryRows: number, databaseUrl?: string) {
  const target = await startTarget({ BENCH_TARGET: 'telemetry', DATABASE_URL: databaseUrl ?? '' }, 180_000);
  try {
    const c: Ctx = {
      target,
      auth: { authorization: `Bearer ${target.token}` },
      kind: target.database === 'postgres' ? 'postgres' : 'pglite',
      log,
      notes: [`database: ${target.database}`],
      rows: [],
    };
    if (PARTS.has('http')) for (const clients of HTTP.clients) await httpIngest(c, clients);
    if (PARTS.has('mqtt')) await mqttIngest(c);
    if (PARTS.has('ws')) await wsLatency(c);
    if (PARTS.has('query')) await queryLatency(c, queryRows);
    return { notes: c.notes, rows: c.rows };
  } finally {
    await target.stop();
  }
}

export const scenarios: Scenario[] = [
  {
    name: 'telemetry on PGlite (in memory)',
    run: (log) => telemetryScenario(log, Number(process.env.BENCH_TELEMETRY_PGLITE_ROWS ?? 1_000_000)),
  },
  {
    name: 'telemetry on PostgreSQL',
    run: (log) => withThrowawayDatabase((url) => telemetryScenario(log, Number(process.env.BENCH_TELEMETRY_PG_ROWS ?? 10_000_000), url)),
  },
];
