/**
 * The real server process for the fault tests: `bin/imsop.js start` with a given environment, as an
 * operator runs it, plus small HTTP helpers that time each answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const BIN = fileURLToPath(new URL('../../bin/imsop.js', import.meta.url));
export const ADMIN_EMAIL = 'admin@faults.test';
export const ADMIN_PASSWORD = 'Fault-Tolerant-Pass-61';

export interface ServerProcess {
  base: string;
  pid: number;
  /** Everything the process wrote (stdout and stderr). */
  output(): string;
  /** The JSON log records (pino, one per line). */
  records(): { level: number; msg: string; [k: string]: unknown }[];
  alive(): boolean;
  /** It exited without being told to (a crash). */
  crashed(): boolean;
  /** Sends the signal and resolves with the exit code (null when killed by a signal). */
  kill(signal: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
  dataDir: string;
  /** Stops the server (SIGTERM) if it runs, and removes the data dir it was given here. */
  dispose(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** Starts the server and resolves once it prints its address (after migrations and /api/ready). */
export async function startServer(env: Record<string, string>, timeoutMs = 90_000): Promise<ServerProcess> {
  const madeDir = env.IMSOP_DATA_DIR ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-fault-data-'));
  const dataDir = env.IMSOP_DATA_DIR ?? madeDir!;
  const proc = spawn(process.execPath, [BIN, 'start'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      MQTT_ENABLED: 'false',
      IMSOP_ADMIN_EMAIL: ADMIN_EMAIL,
      IMSOP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      AUTH_RATE_LIMIT: '10000',
      IMSOP_DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  let out = '';
  let told = false;
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      running.delete(proc);
      resolve(code);
    }),
  );
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within ${timeoutMs} ms:\n${out.slice(-4000)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /IMSOP is running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before it started:\n${out.slice(-4000)}`));
    });
  });
  return {
    base,
    pid: proc.pid!,
    dataDir,
    output: () => out,
    records: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as { level: number; msg: string }];
          } catch {
            return [];
          }
        }),
    alive: () => proc.exitCode === null && proc.signalCode === null,
    crashed: () => !told && (proc.exitCode !== null || proc.signalCode !== null),
    async kill(signal) {
      told = true;
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    exited,
    async dispose() {
      told = true;
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      if (madeDir) fs.rmSync(madeDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  ms: number;
  headers: Headers;
  body: Record<string, unknown> & { code?: string };
  text: string;
}

/** One HTTP call with its duration; network errors reject. */
export async function call(base: string, method: string, url: string, opts: { token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<Answer> {
  const t0 = performance.now();
  const res = await fetch(base + url, {
    method,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let body: Answer['body'] = {};
  try {
    body = text ? (JSON.parse(text) as Answer['body']) : {};
  } catch {
    // not JSON
  }
  return { status: res.status, ms: performance.now() - t0, headers: res.headers, body, text };
}

export async function login(base: string, email = ADMIN_EMAIL, password = ADMIN_PASSWORD): Promise<string> {
  const r = await call(base, 'POST', '/api/auth/login', { body: { email, password } });
  if (r.status !== 200) throw new Error(`login answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r.body.accessToken as string;
}

/** Polls until `check` holds, or fails with the last value after `timeoutMs`. */
export async function eventually<T>(what: string, fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  for (;;) {
    try {
      last = await fn();
      if (check(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} did not happen within ${timeoutMs} ms (last: ${(JSON.stringify(last) ?? String(lastErr)).slice(0, 500)})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The value of a Prometheus counter or gauge (without labels) from /metrics. */
export async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no metric ${name} in /metrics`);
  return Number(m[1]);
}

/** A WebSocket subscriber on `operations` that collects the names of the operations it hears about. */
export async function operationsSubscriber(base: string, token: string): Promise<{ ws: WebSocket; heard: string[] }> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/realtime?access_token=${token}`);
  const heard: string[] = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw)) as { type: string; data?: { operation?: { name: string } } };
    if (m.type === 'event' && m.data?.operation?.name) heard.push(m.data.operation.name);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (raw) => {
      if ((JSON.parse(String(raw)) as { type: string }).type === 'subscribed') resolve();
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', topic: 'operations' })));
  });
  return { ws, heard };
}
