/**
 * Private instances of the real backing services for the fault tests: each test starts its own
 * PostgreSQL, Redis or Mosquitto on a free port in a temp dir, so it can stop, kill and restart it
 * without touching the machine's shared services (5432, 6379, 1883) that other suites use.
 *
 * PostgreSQL refuses to run as root. When the tests run as root (CI on a node-svc machine), the
 * cluster directory is handed to the `postgres` system user and initdb/pg_ctl run through
 * `runuser -u postgres --`; as any other user they run directly. A missing binary fails loudly.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** A free TCP port on 127.0.0.1 (the kernel picks it; it is released before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port (or rejects after `timeoutMs`). */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), resolve(true)));
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The absolute path of a binary, or a clear error naming what to install. */
export function requireBinary(name: string, candidates: string[] = []): string {
  for (const c of candidates) if (fs.existsSync(c)) return c;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    if (dir && fs.existsSync(p)) return p;
  }
  throw new Error(
    `The fault tests need the "${name}" binary (PostgreSQL 15+ server binaries, redis-server, mosquitto), and it is not installed ` +
      `(looked in ${[...candidates, '$PATH'].join(', ')}). Install it; these tests refuse to skip.`,
  );
}

/** PostgreSQL's server binaries: $IMSOP_PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else $PATH. */
function pgBin(name: string): string {
  const dirs: string[] = [];
  if (process.env.IMSOP_PG_BIN) dirs.push(process.env.IMSOP_PG_BIN);
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    for (const v of fs.readdirSync(root).sort((a, b) => Number(b) - Number(a))) dirs.push(path.join(root, v, 'bin'));
  }
  return requireBinary(name, dirs.map((d) => path.join(d, name)));
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `imsop-fault-${prefix}-`));
}

/** A process we started, with its output kept for diagnosis. */
interface Child {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function spawnChild(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Child {
  const proc = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    // Bounded: a long test keeps the last 2 MB of output.
    if (out.length > 4_000_000) out = out.slice(-2_000_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  live.add(proc);
  void exited.then(() => live.delete(proc));
  return { proc, output: () => out, exited };
}

/** Every child still running is killed when the test process exits, whatever happened. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

async function killChild(c: Child | null, signal: NodeJS.Signals): Promise<void> {
  if (!c || c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill(signal);
  const t = setTimeout(() => c.proc.kill('SIGKILL'), 10_000);
  await c.exited;
  clearTimeout(t);
}

/** A service binary run in the foreground, that can be stopped and started again on the same port. */
function restartable(name: string, cmd: string, args: string[], port: number) {
  let child: Child | null = null;
  let earlier = '';
  return {
    async start() {
      child = spawnChild(cmd, args);
      await waitForPort(port).catch((err: Error) => {
        throw new Error(`${err.message}\n${name} output:\n${child?.output()}`);
      });
    },
    async stop(signal: NodeJS.Signals) {
      const c = child;
      child = null;
      await killChild(c, signal);
      earlier += c?.output() ?? '';
    },
    output: () => earlier + (child?.output() ?? ''),
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  url: string;
  /** pg_ctl start; resolves when the server accepts connections. */
  start(): Promise<void>;
  /** pg_ctl stop -m <mode>; resolves when the server is down. */
  stop(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  /** The server log. */
  log(): string;
  destroy(): Promise<void>;
}

export async function startPostgres(): Promise<PrivatePostgres> {
  const initdb = pgBin('initdb');
  const pgCtl = pgBin('pg_ctl');
  const dir = tempDir('pg');
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  const port = await freePort();
  // As root: everything runs as the postgres system user, which must own the directory.
  const asPostgres = async (cmd: string, args: string[]) => {
    if (!isRoot()) return run(cmd, args, { timeout: 60_000 });
    const runuser = requireBinary('runuser', ['/usr/sbin/runuser', '/sbin/runuser']);
    return run(runuser, ['-u', 'postgres', '--', cmd, ...args], { timeout: 60_000, cwd: '/' });
  };
  if (isRoot()) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
      throw new Error('Running as root, and there is no "postgres" system user to run PostgreSQL as (it refuses to run as root).');
    });
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    fs.chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  await asPostgres(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  // fsync off: these tests kill the IMSOP server, never the machine, so commit durability is what
  // PostgreSQL guarantees to its clients either way; the socket goes to the temp dir, not /var/run.
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c max_connections=60`;
  const pg = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await asPostgres(pgCtl, ['-D', data, '-l', logFile, '-w', '-t', '30', '-o', options, 'start']);
    },
    async stop(mode: 'smart' | 'fast' | 'immediate' = 'fast') {
      await asPostgres(pgCtl, ['-D', data, '-m', mode, '-w', '-t', '30', 'stop']);
    },
    async restart(mode: 'fast' | 'immediate' = 'fast') {
      await asPostgres(pgCtl, ['-D', data, '-l', logFile, '-m', mode, '-w', '-t', '30', '-o', options, 'restart']);
    },
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
    async destroy() {
      await pg.stop('immediate').catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}

// ---------------------------------------------------------------------------------------------
// Redis

export interface PrivateRedis {
  port: number;
  url: string;
  start(): Promise<void>;
  /** kill -9: the server vanishes without a goodbye, as in a crash or a partition. */
  kill(): Promise<void>;
  /** Runs redis-cli against this instance and returns its output. */
  cli(...args: string[]): Promise<string>;
  destroy(): Promise<void>;
}

export async function startRedis(): Promise<PrivateRedis> {
  const server = requireBinary('redis-server');
  const cli = requireBinary('redis-cli');
  const dir = tempDir('redis');
  const port = await freePort();
  const proc = restartable('redis-server', server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], port);
  const r: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    start: () => proc.start(),
    kill: () => proc.stop('SIGKILL'),
    async cli(...args: string[]) {
      const { stdout } = await run(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
      return stdout;
    },
    async destroy() {
      await r.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await r.start();
  return r;
}

// ---------------------------------------------------------------------------------------------
// Mosquitto

export interface PrivateMosquitto {
  port: number;
  url: string;
  start(): Promise<void>;
  /** SIGTERM: a clean broker restart, which saves the persistent sessions and queued messages. */
  stop(): Promise<void>;
  log(): string;
  destroy(): Promise<void>;
}

export async function startMosquitto(): Promise<PrivateMosquitto> {
  const bin = requireBinary('mosquitto', ['/usr/sbin/mosquitto']);
  const dir = tempDir('mqtt');
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  // Persistent sessions survive the restart (as on any production broker); as root the broker
  // would otherwise drop to the `mosquitto` user, which cannot write this temp dir.
  fs.writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      'max_queued_messages 100000',
      ...(isRoot() ? ['user root'] : []),
      'log_dest stdout',
      '',
    ].join('\n'),
  );
  const proc = restartable('mosquitto', bin, ['-c', conf], port);
  const m: PrivateMosquitto = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    start: () => proc.start(),
    stop: () => proc.stop('SIGTERM'),
    log: () => proc.output(),
    async destroy() {
      await m.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await m.start();
  return m;
}
