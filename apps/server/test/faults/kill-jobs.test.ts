/**
 * Fault: kill -9 of a process while a scheduled job runs, on a private PostgreSQL. A schedule fires
 * every second; the first process is killed inside its third run (after that run's work). The next
 * process takes the schedule over: the killed run's job runs again once its lease has expired (its
 * work is repeated, as at-least-once promises, and it completes once), every firing happens once
 * (no time fires twice, on either process), and the schedule goes on.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/client.ts';
import { startPostgres, type PrivatePostgres } from './services.ts';
import { eventually } from './server.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

let pgServer: PrivatePostgres;
let db: pg.Client;
beforeAll(async () => {
  pgServer = await startPostgres();
  const database = await openDatabase({ url: pgServer.url, poolSize: 2 });
  await database.migrate();
  await database.close();
  db = new pg.Client({ connectionString: pgServer.url });
  await db.connect();
  await db.query('create table fault_job_runs (key text not null, attempt int not null, pid int not null, at timestamptz not null default clock_timestamp())');
});
afterAll(async () => {
  await db?.end();
  await pgServer?.destroy();
});

function startWorker(env: Record<string, string>) {
  const proc = spawn(process.execPath, [WORKER], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: pgServer.url, WORKER_MODE: 'jobs', JOB_LEASE_MS: '1500', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const lines = () => out.split('\n').filter(Boolean);
  const waitFor = (what: string, check: (lines: string[]) => boolean, ms = 30_000) =>
    eventually(what, async () => lines(), check, ms).catch((err: Error) => {
      throw new Error(`${err.message}\nworker output:\n${out.slice(-3000)}`);
    });
  return { proc, lines, exited, waitFor };
}

describe('kill -9 during a scheduled job', () => {
  it('the killed run completes once on the next process, and no scheduled time fires twice', async () => {
    const first = startWorker({ PAUSE: 'third-run' });
    const paused = (await first.waitFor('the third run', (l) => l.some((x) => x.startsWith('PAUSED ')))).find((x) => x.startsWith('PAUSED '))!.split(' ')[1]!;
    first.proc.kill('SIGKILL');
    await first.exited;

    const second = startWorker({});
    try {
      // The killed run comes back after its lease, and three more firings follow.
      await second.waitFor(`the killed run of ${paused} again`, (l) => l.includes(`DONE ${paused}`));
      await second.waitFor('three more firings', (l) => l.filter((x) => x.startsWith('DONE ')).length >= 4);
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
    const done = [...first.lines(), ...second.lines()].filter((l) => l.startsWith('DONE ')).map((l) => l.split(' ')[1]!);
    // Each firing completed once, on one process or the other.
    expect(done.length).toBe(new Set(done).size);
    expect(done).toContain(paused);
    expect(first.lines()).not.toContain(`DONE ${paused}`);
    const runs = (await db.query('select key, attempt, pid from fault_job_runs order by at')).rows as { key: string; attempt: number; pid: number }[];
    // The killed run: attempt 1 on the first process, attempt 2 on the second (after the lease).
    expect(runs.filter((r) => r.key === paused).map((r) => [r.attempt, r.pid])).toEqual([
      [1, first.proc.pid],
      [2, second.proc.pid],
    ]);
    // No scheduled time fired twice: every key ran as attempt 1 exactly once.
    const firsts = runs.filter((r) => r.attempt === 1).map((r) => r.key);
    expect(firsts.length).toBe(new Set(firsts).size);
    expect(runs.filter((r) => r.attempt > 1).map((r) => r.key)).toEqual([paused]);
    // The keys are the schedule's times, one second apart.
    const times = [...new Set(firsts)].map((k) => Date.parse(k.split('@')[1]!)).sort((a, b) => a - b);
    expect(times.every((t, i) => i === 0 || (t - times[i - 1]!) % 1_000 === 0)).toBe(true);
  });
});
