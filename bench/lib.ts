import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

/** The same load for every measurement in a run, the baseline included. */
export const LOAD = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
  /** Seconds measured. */
  duration: Number(process.env.BENCH_DURATION ?? 5),
  /** Seconds of discarded load before each measurement (JIT, caches, connection pool). */
  warmup: Number(process.env.BENCH_WARMUP ?? 2),
};

/** What bench/server.ts reports over IPC once it listens. */
export interface ReadyMessage {
  ready: true;
  port: number;
  token?: string;
  users?: number;
  database?: string;
  /** Port of the embedded MQTT broker (BENCH_TARGET=telemetry). */
  mqttPort?: number;
  /** Port of the users list's SQL baseline (BENCH_TARGET=imsop with BENCH_USERS_BASELINE=1). */
  baselinePort?: number;
}

/** A command sent to a bench child over IPC (see `Target.call`), and its answer. */
export interface CallMessage {
  call: number;
  cmd: string;
  args: Record<string, unknown>;
}
export interface ReplyMessage {
  reply: number;
  result?: unknown;
  error?: string;
}

export interface Target extends ReadyMessage {
  url: string;
  stop(): Promise<void>;
  /**
   * Runs a command inside the child (work that must happen next to the database, such as a raw
   * INSERT baseline on in-memory PGlite) and resolves with its result.
   */
  call<T = unknown>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
}

/**
 * Starts bench/server.ts in a child process (its own event loop and V8 heap; the load generator
 * stays in this process). `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of each child on exit.
 */
export function startTarget(env: Record<string, string>, timeoutMs = 120_000): Promise<Target> {
  const profDir = process.env.BENCH_CPU_PROF;
  const child: ChildProcess = fork(path.join(BENCH_DIR, 'server.ts'), [], {
    // --expose-gc: the `memory` command can collect before measuring the heap (overload, soak).
    execArgv: ['--import', 'tsx', '--expose-gc', ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let nextCall = 1;
  const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m) => {
    const r = m as Partial<ReplyMessage>;
    if (typeof r.reply !== 'number') return;
    const c = calls.get(r.reply);
    if (!c) return;
    calls.delete(r.reply);
    if (r.error !== undefined) c.reject(new Error(r.error));
    else c.resolve(r.result);
  });
  child.once('exit', (code) => {
    for (const c of calls.values()) c.reject(new Error(`bench server (${env.BENCH_TARGET}) exited with code ${code} during a command`));
    calls.clear();
  });
  const call = <T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 600_000) =>
    new Promise<T>((resolve, reject) => {
      const id = nextCall++;
      const timer = setTimeout(() => {
        calls.delete(id);
        reject(new Error(`bench server command ${cmd} did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      calls.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v as T)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      child.send({ call: id, cmd, args } satisfies CallMessage);
    });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise<Target>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench server (${env.BENCH_TARGET}) did not start within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench server (${env.BENCH_TARGET}) exited with code ${code} before it was ready`));
    });
    child.once('message', (m) => {
      clearTimeout(timer);
      const ready = m as ReadyMessage;
      resolve({ ...ready, url: `http://127.0.0.1:${ready.port}`, stop, call });
    });
  });
}

export interface Measurement {
  /** Mean of the per-second request counts. */
  reqPerSec: number;
  /** Latency percentiles in milliseconds (autocannon records whole milliseconds). */
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

export function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** Checks the request answers 200 once, warms up, then measures; any non-2xx or error fails it. */
export async function measure(url: string, headers: Record<string, string> = {}): Promise<Measurement> {
  const probe = await fetch(url, { headers });
  if (probe.status !== 200) throw new Error(`GET ${url} answered ${probe.status}: ${(await probe.text()).slice(0, 300)}`);
  await probe.arrayBuffer().catch(() => undefined);
  const base = { url, headers, connections: LOAD.connections, pipelining: 1 };
  if (LOAD.warmup > 0) await cannon({ ...base, duration: LOAD.warmup });
  const r = await cannon({ ...base, duration: LOAD.duration });
  const m: Measurement = {
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
  if (m.non2xx > 0 || m.errors > 0) {
    throw new Error(`GET ${url}: ${m.non2xx} non-2xx responses and ${m.errors} errors/timeouts under load`);
  }
  return m;
}

/** The p-th percentile (nearest rank) of latencies in ms. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export interface LatencyMeasurement extends Measurement {
  p95: number;
  /** Mean response size in bytes. */
  bytes: number;
  /** Requests of the warm-up (answered, not measured). */
  warmupRequests: number;
}

/**
 * Like `measure`, with the latency of every response recorded (autocannon's histogram has no p95
 * and rounds to whole milliseconds): p50/p95/p99 in fractions of a millisecond. A slow route is
 * not an error here: requests time out after `timeoutS` (default 60 s), and non-2xx answers or
 * timeouts are counted, not thrown, so a route that cannot keep up still gets its row.
 */
export async function measureLatencies(
  url: string,
  headers: Record<string, string> = {},
  opts: { duration?: number; warmup?: number; timeoutS?: number } = {},
): Promise<LatencyMeasurement> {
  const base = { url, headers, connections: LOAD.connections, pipelining: 1, timeout: opts.timeoutS ?? 60 };
  const warmup = opts.warmup ?? LOAD.warmup;
  const warm = warmup > 0 ? await cannon({ ...base, duration: warmup }) : undefined;
  const latencies: number[] = [];
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ ...base, duration: opts.duration ?? LOAD.duration }, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  });
  return {
    reqPerSec: r.requests.average,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    bytes: r.requests.total ? r.throughput.total / r.requests.total : 0,
    warmupRequests: warm?.requests.total ?? 0,
  };
}

export interface Row {
  endpoint: string;
  /** Throughput in `unit` (req/s when unset); NaN for a latency-only row. */
  reqPerSec: number;
  /** Unit of reqPerSec, e.g. "points/s" (default "req/s"). */
  unit?: string;
  p50: number;
  p95?: number;
  p99: number;
  /**
   * reqPerSec / the baseline's reqPerSec in the same scenario; 1 for the baseline itself. A
   * latency row may state its own ratio (explained in the scenario's notes), or none.
   */
  ratio?: number;
  /** The ratio this row must reach, when there is a target. */
  target?: number;
  /** An absolute target instead: a floor on the throughput or a ceiling on a latency percentile. */
  goal?: Goal;
  /** Other figures of the row (shed %, memory, …), shown in the table's last column. */
  details?: string;
}

export interface Goal {
  on: 'rate' | 'p95' | 'p99';
  min?: number;
  max?: number;
}

/** Whether a row meets its target or goal; undefined when it has neither. */
export function meetsTarget(r: Row): boolean | undefined {
  if (r.goal) {
    const v = r.goal.on === 'rate' ? r.reqPerSec : r.goal.on === 'p95' ? r.p95 : r.p99;
    if (v === undefined || !Number.isFinite(v)) return false;
    return (r.goal.min === undefined || v >= r.goal.min) && (r.goal.max === undefined || v < r.goal.max);
  }
  if (r.target === undefined) return undefined;
  return r.ratio !== undefined && r.ratio >= r.target;
}

export interface ScenarioResult {
  scenario: string;
  ok: boolean;
  error?: string;
  /** Free-form facts about the set-up (database, seeded rows). */
  notes: string[];
  rows: Row[];
}

/** A benchmark scenario; each `*.bench.ts` file in bench/ exports `scenarios: Scenario[]`. */
export interface Scenario {
  name: string;
  run(log: (line: string) => void): Promise<Omit<ScenarioResult, 'scenario' | 'ok'>>;
}

export const rowOf = (endpoint: string, m: Measurement, baseline: Measurement, target?: number): Row => ({
  endpoint,
  reqPerSec: m.reqPerSec,
  p50: m.p50,
  p99: m.p99,
  ratio: m.reqPerSec / baseline.reqPerSec,
  ...(target !== undefined ? { target } : {}),
});

/** What the bench server's `memory` command answers: process.memoryUsage() in bytes. */
export interface MemoryStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Event-loop delay (ms) of the server process since the previous `memory` command: mean and max. */
  eventLoopDelayMean: number;
  eventLoopDelayMax: number;
}

export const MB = 1024 * 1024;

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const num = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return num / den;
}

export const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A throwaway database on the PostgreSQL server, dropped afterwards whatever happens. */
export async function withThrowawayDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `imsop_bench_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (err) {
    await admin.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL is unreachable at ${PG_URL} (${(err as Error).message}); set BENCH_DATABASE_URL or start PostgreSQL. ` +
        'The PostgreSQL figures were NOT measured.',
    );
  }
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    if (process.env.BENCH_KEEP_DATABASE) {
      console.log(`kept database ${name} (BENCH_KEEP_DATABASE): drop it when done`);
    } else {
      const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5_000 });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    }
  }
}

/** An office's week: the same intervals Monday to Friday (an SLA calendar's `weeklyHours`). */
export const weekdays = (intervals: [string, string][]) =>
  Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday'].map((d) => [d, intervals]));

/**
 * A business-hours calendar and the default SLA policy on it, created through the API (so both are
 * valid documents); benches then write tickets or clones around them by SQL.
 */
export async function createDefaultSla(
  app: { inject: (opts: { method: 'POST'; url: string; headers: Record<string, string>; payload: unknown }) => Promise<{ statusCode: number; body: string; json(): unknown }> },
  token: string,
  calendar: { name: string; timeZone: string; weeklyHours: Record<string, [string, string][]>; holidays: { date: string; name?: string }[] },
  targets: Record<'low' | 'medium' | 'high' | 'urgent', { firstResponse?: number; nextResponse?: number; resolution?: number }>,
): Promise<{ calendarId: string; policyId: string }> {
  const headers = { authorization: `Bearer ${token}` };
  const post = async (url: string, payload: unknown) => {
    const res = await app.inject({ method: 'POST', url, headers, payload });
    if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`);
    return (res.json() as { id: string }).id;
  };
  const calendarId = await post('/api/servicedesk/calendars', calendar);
  const policyId = await post('/api/servicedesk/sla-policies', { name: 'Standard', isDefault: true, calendarId, targets });
  return { calendarId, policyId };
}
