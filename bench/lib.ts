import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

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
}

export interface Target extends ReadyMessage {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts bench/server.ts in a child process (its own event loop and V8 heap; the load generator
 * stays in this process). `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of each child on exit.
 */
export function startTarget(env: Record<string, string>, timeoutMs = 120_000): Promise<Target> {
  const profDir = process.env.BENCH_CPU_PROF;
  const child: ChildProcess = fork(path.join(BENCH_DIR, 'server.ts'), [], {
    execArgv: ['--import', 'tsx', ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
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
      resolve({ ...ready, url: `http://127.0.0.1:${ready.port}`, stop });
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

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
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

export interface Row {
  endpoint: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  /** reqPerSec / the baseline's reqPerSec in the same scenario; 1 for the baseline itself. */
  ratio: number;
  /** The ratio this row must reach, when there is a target. */
  target?: number;
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
