/**
 * Fault: kill -9 of a process while a durable subscription's handler works on an event, on a private
 * PostgreSQL. The handler's work runs through `ctx.once` (the effect and its receipt in one
 * transaction). Killed inside that transaction, the work is rolled back and the next process does it;
 * killed after it committed, before the position moved, the next process is handed the same event
 * again and the receipt makes that a no-op. Either way: every event's work is done exactly once, none
 * is skipped, and the events after the one in flight are handled too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/client.ts';
import { startPostgres, type PrivatePostgres } from './services.ts';
import { eventually } from './server.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const ORG = '00000000-0000-7000-8000-00000000f00d';

let pgServer: PrivatePostgres;
let db: pg.Client;
beforeAll(async () => {
  pgServer = await startPostgres();
  const database = await openDatabase({ url: pgServer.url, poolSize: 2 });
  await database.migrate();
  await database.close();
  db = new pg.Client({ connectionString: pgServer.url });
  await db.connect();
  await db.query('create table fault_effects (subscription text not null, event_id bigint not null, pid int not null)');
  await db.query('grant insert, select on fault_effects to imsop_app');
});
afterAll(async () => {
  await db?.end();
  await pgServer?.destroy();
});

interface Worker {
  proc: ChildProcess;
  lines: () => string[];
  waitFor: (line: string | RegExp, ms?: number) => Promise<string>;
  exited: Promise<unknown>;
}

function startWorker(env: Record<string, string>): Worker {
  const proc = spawn(process.execPath, [WORKER], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: pgServer.url, WORKER_MODE: 'subscription', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const lines = () => out.split('\n').filter(Boolean);
  return {
    proc,
    lines,
    exited,
    waitFor: (line, ms = 30_000) =>
      eventually(`worker line ${line}`, async () => lines().find((l) => (typeof line === 'string' ? l === line : line.test(l))) ?? '', (l) => l !== '', ms).catch((err: Error) => {
        throw new Error(`${err.message}\nworker output:\n${out.slice(-3000)}`);
      }),
  };
}

async function publish(type: string, count: number, pauseAt: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const r = await db.query(`insert into events (org_id, topic, type, payload) values ($1, 'fault', $2, $3) returning id`, [ORG, type, JSON.stringify({ n: i, pause: i === pauseAt })]);
    ids.push(Number(r.rows[0].id));
  }
  return ids;
}

async function effects(subscription: string) {
  const r = await db.query('select event_id, count(*)::int as n, array_agg(pid) as pids from fault_effects where subscription = $1 group by event_id order by event_id', [subscription]);
  return r.rows.map((x: { event_id: string; n: number; pids: number[] }) => ({ id: Number(x.event_id), n: x.n, pids: x.pids }));
}

describe.each([
  { pause: 'in-transaction', subscription: 'fault.in-transaction', type: 'fault.in_transaction' },
  { pause: 'after-work', subscription: 'fault.after-work', type: 'fault.after_work' },
])('kill -9 while a handler works ($pause)', ({ pause, subscription, type }) => {
  it('the event is handled again after a restart, its work done exactly once, and nothing after it is lost', async () => {
    const first = startWorker({ PAUSE: pause, SUBSCRIPTION: subscription, EVENT_TYPE: type });
    await first.waitFor('READY');
    const ids = await publish(type, 10, 4);
    const paused = ids[4]!;
    await first.waitFor(`PAUSED ${paused}`);
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(first.lines()).toEqual(expect.arrayContaining(ids.slice(0, 4).map((id) => `HANDLED ${id}`)));
    expect(first.lines()).not.toContain(`HANDLED ${paused}`);
    const before = await effects(subscription);
    // In the transaction: its work died with the process. After it: the work is committed.
    expect(before.map((e) => e.id)).toEqual(pause === 'in-transaction' ? ids.slice(0, 4) : ids.slice(0, 5));

    const second = startWorker({ SUBSCRIPTION: subscription, EVENT_TYPE: type });
    try {
      await second.waitFor(`HANDLED ${ids.at(-1)}`);
      // The event in flight came again first; the events after it followed in order.
      const handled = second.lines().filter((l) => l.startsWith('HANDLED ')).map((l) => Number(l.split(' ')[1]));
      expect(handled).toEqual(ids.slice(4));
      expect(second.lines()).toContain(`WORK ${paused} ${pause === 'in-transaction' ? 'ran' : 'skipped'}`);
      const after = await effects(subscription);
      expect(after.map((e) => e.id)).toEqual(ids);
      expect(after.filter((e) => e.n !== 1)).toEqual([]);
      const receipts = await db.query('select count(*)::int as n from event_receipts where subscription = $1', [subscription]);
      expect(receipts.rows[0].n).toBe(10);
      const position = await db.query('select handled, attempts from event_subscriptions where name = $1', [subscription]);
      expect(position.rows[0]).toMatchObject({ attempts: 0 });
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });
});
