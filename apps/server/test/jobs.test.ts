import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { localBus } from '../src/platform/bus/bus.ts';
import { openDatabase, queryRows, type Database } from '../src/platform/db/client.ts';
import { inOrg } from '../src/platform/db/scope.ts';
import { createJobs, defineJob, type Jobs } from '../src/platform/jobs/jobs.ts';
import { freshDatabase, PG_URL, type TestDatabase } from './helpers.ts';

const silent = { info: () => undefined, warn: () => undefined };

function manualClock(start = Date.parse('2030-01-07T10:00:00Z')) {
  let now = start;
  const clock = () => now;
  clock.advance = (ms: number) => (now += ms);
  clock.set = (ms: number) => (now = ms);
  return clock;
}

describe('background jobs', () => {
  let fresh: TestDatabase;
  let database: Database;
  const started: Jobs[] = [];
  beforeAll(async () => {
    fresh = await freshDatabase();
    database = fresh.database;
    await database.migrate();
  });
  afterEach(async () => {
    for (const j of started.splice(0)) await j.stop();
  });
  afterAll(async () => fresh?.drop());

  async function facility(clock = manualClock(), db = database) {
    const jobs = createJobs({ database: db, bus: localBus(), clock, log: silent, pollMs: 60_000 });
    started.push(jobs);
    return jobs;
  }
  const rows = (q: ReturnType<typeof sql>) => queryRows<Record<string, unknown>>(database.db, q);

  it('runs an enqueued job once with its checked payload, and removes it', async () => {
    const seen: { n: number; attempt: number }[] = [];
    const job = defineJob({ name: 'test.echo', payload: z.object({ n: z.number().int() }), handler: async (p, ctx) => void seen.push({ n: p.n, attempt: ctx.attempt }) });
    const jobs = await facility();
    jobs.register(job);
    await jobs.start();
    await jobs.enqueue(job, { n: 1 });
    await jobs.enqueue(job, { n: 2 });
    await expect(jobs.enqueue(job, { n: 1.5 })).rejects.toThrow();
    await jobs.runDue();
    expect(seen).toEqual([
      { n: 1, attempt: 1 },
      { n: 2, attempt: 1 },
    ]);
    expect(await rows(sql`select * from jobs where name = 'test.echo'`)).toEqual([]);
  });

  it('waits for runAt on its clock; a key keeps a second copy out while the first exists', async () => {
    const clock = manualClock();
    const seen: string[] = [];
    const job = defineJob({ name: 'test.later', payload: z.object({ id: z.string() }), handler: async (p) => void seen.push(p.id) });
    const jobs = await facility(clock);
    jobs.register(job);
    await jobs.start();
    expect(await jobs.enqueue(job, { id: 'a' }, { runAt: new Date(clock() + 60_000), key: 'reminder:a' })).toBe(true);
    expect(await jobs.enqueue(job, { id: 'a' }, { runAt: new Date(clock() + 60_000), key: 'reminder:a' })).toBe(false);
    await jobs.runDue();
    expect(seen).toEqual([]);
    clock.advance(60_000);
    await jobs.runDue();
    expect(seen).toEqual(['a']);
    // Done and gone: the key is free again.
    expect(await jobs.enqueue(job, { id: 'a' }, { key: 'reminder:a' })).toBe(true);
  });

  it('an org-scoped use case adds a job in its own transaction: committed with it, or not at all', async () => {
    const seen: string[] = [];
    const job = defineJob({ name: 'test.in_tx', payload: z.object({ what: z.string() }), handler: async (p) => void seen.push(p.what) });
    const jobs = await facility();
    jobs.register(job);
    await jobs.start();
    const org = crypto.randomUUID();
    await inOrg(database.db, org, (tx) => jobs.enqueue(job, { what: 'committed' }, { tx }));
    await inOrg(database.db, org, async (tx) => {
      await jobs.enqueue(job, { what: 'rolled back' }, { tx });
      throw new Error('the use case failed');
    }).catch(() => undefined);
    // The app role may add a job but not read one.
    const denied = await inOrg(database.db, org, (tx) => tx.execute(sql`select payload from jobs`)).catch((err: Error & { cause?: Error }) => err.cause?.message ?? err.message);
    expect(denied).toMatch(/permission denied/);
    await jobs.runDue();
    expect(seen).toEqual(['committed']);
  });

  it('retries a failing job with back-off on its clock, then keeps it as failed', async () => {
    const clock = manualClock();
    const attempts: number[] = [];
    const job = defineJob({
      name: 'test.flaky',
      payload: z.object({}),
      maxAttempts: 3,
      backoff: (n) => n * 10_000,
      handler: async (_p, ctx) => {
        attempts.push(ctx.attempt);
        throw new Error(`down (attempt ${ctx.attempt})`);
      },
    });
    const jobs = await facility(clock);
    jobs.register(job);
    await jobs.start();
    await jobs.enqueue(job, {});
    await jobs.runDue();
    expect(attempts).toEqual([1]);
    clock.advance(9_999);
    await jobs.runDue();
    expect(attempts).toEqual([1]);
    clock.advance(1);
    await jobs.runDue();
    expect(attempts).toEqual([1, 2]);
    clock.advance(20_000);
    await jobs.runDue();
    clock.advance(3_600_000);
    await jobs.runDue();
    expect(attempts).toEqual([1, 2, 3]);
    const [row] = await rows(sql`select status, attempts, last_error from jobs where name = 'test.flaky'`);
    expect(row).toMatchObject({ status: 'failed', attempts: 3, last_error: 'down (attempt 3)' });
    expect((await jobs.stats()).find((s) => s.name === 'test.flaky')).toMatchObject({ failed: 1, pending: 0, failedRuns: 3 });
  });

  it('a job claimed by a process that died runs again once its lease has expired', async () => {
    const clock = manualClock();
    const seen: number[] = [];
    const job = defineJob({ name: 'test.orphan', payload: z.object({}), leaseMs: 30_000, handler: async (_p, ctx) => void seen.push(ctx.attempt) });
    const jobs = await facility(clock);
    jobs.register(job);
    await jobs.start();
    // As a crashed instance leaves it: claimed (attempt 1), leased, never finished.
    await database.db.execute(sql`
      insert into jobs (id, name, payload, run_at, attempts, max_attempts, locked_by, locked_until, created_at)
      values (${crypto.randomUUID()}, 'test.orphan', '{}', ${new Date(clock()).toISOString()}::timestamptz, 1, 3, 'dead-instance',
              ${new Date(clock() + 30_000).toISOString()}::timestamptz, ${new Date(clock()).toISOString()}::timestamptz)`);
    await jobs.runDue();
    expect(seen).toEqual([]);
    clock.advance(30_000);
    await jobs.runDue();
    expect(seen).toEqual([2]);
  });

  it('a schedule fires once per slot as its clock moves, and once after downtime, keeping its rhythm', async () => {
    const clock = manualClock(Date.parse('2030-01-07T10:00:03Z'));
    const fired: string[] = [];
    const job = defineJob({ name: 'test.tick', payload: z.object({ what: z.string() }), handler: async (p, ctx) => void fired.push(`${p.what} ${ctx.dueAt.toISOString()}`) });
    const jobs = await facility(clock);
    jobs.schedule('test.every-10s', job, { every: 10_000 }, { what: 'tick' });
    await jobs.start();
    await jobs.runDue();
    clock.advance(7_000); // 10:00:10
    await jobs.runDue();
    expect(fired).toEqual([]);
    clock.advance(10_000); // 10:00:20
    await jobs.runDue();
    await jobs.runDue();
    expect(fired).toEqual(['tick 2030-01-07T10:00:13.000Z']);
    // Down for an hour: one firing for the slots missed, then the same grid.
    clock.advance(3_600_000 + 5_000); // 11:00:25
    await jobs.runDue();
    expect(fired.slice(1)).toEqual(['tick 2030-01-07T10:00:23.000Z']);
    clock.advance(5_000); // 11:00:30
    await jobs.runDue();
    expect(fired).toHaveLength(2);
    clock.advance(3_000); // 11:00:33
    await jobs.runDue();
    expect(fired.slice(2)).toEqual(['tick 2030-01-07T11:00:33.000Z']);
    const [state] = await jobs.scheduleStates();
    expect(state).toMatchObject({ name: 'test.every-10s' });
    expect(Number(state!.fired)).toBe(3);
  });

  it('a held schedule fires on no instance until it is released (or its hold ends), then keeps its rhythm', async () => {
    const clock = manualClock(Date.parse('2030-03-04T09:00:00Z'));
    const fired: string[] = [];
    const job = defineJob({ name: 'test.held', payload: z.object({}), handler: async (_p, ctx) => void fired.push(ctx.dueAt.toISOString()) });
    const running = await facility(clock);
    running.schedule('test.held-every-minute', job, { every: 60_000 });
    await running.start();
    // Another process (no schedules of its own, not started) holds it for an hour.
    const writer = await facility(manualClock(Date.parse('2020-01-01T00:00:00Z')));
    await writer.hold('test.held-every-minute', clock() + 3_600_000);
    for (let m = 0; m < 5; m++) {
      clock.advance(60_000);
      await running.runDue();
    }
    expect(fired).toEqual([]);
    await writer.release('test.held-every-minute', clock());
    // Seen within 15 s by a process that read the held time.
    clock.advance(15_000);
    await running.runDue();
    expect(fired).toEqual(['2030-03-04T09:05:00.000Z']);
    clock.advance(60_000);
    await running.runDue();
    expect(fired).toEqual(['2030-03-04T09:05:00.000Z', '2030-03-04T09:06:00.000Z']);
    // A hold never released ends by itself.
    await writer.hold('test.held-every-minute', clock() + 120_000);
    clock.advance(60_000);
    await running.runDue();
    expect(fired).toHaveLength(2);
    clock.advance(60_000);
    await running.runDue();
    expect(fired).toHaveLength(3);
  });

  it('a daily schedule fires at its local time, once a day', async () => {
    const clock = manualClock(Date.parse('2030-06-01T12:00:00Z'));
    const fired: string[] = [];
    const job = defineJob({ name: 'test.report', payload: z.object({}), handler: async (_p, ctx) => void fired.push(ctx.dueAt.toISOString()) });
    const jobs = await facility(clock);
    jobs.schedule('test.daily-report', job, { daily: '07:30', timeZone: 'Europe/Paris' });
    await jobs.start();
    for (let h = 0; h < 48; h++) {
      clock.advance(3_600_000);
      await jobs.runDue();
    }
    expect(fired).toEqual(['2030-06-02T05:30:00.000Z', '2030-06-03T05:30:00.000Z']);
  });

  it('a changed schedule starts afresh from now; an unchanged one keeps its next time across restarts', async () => {
    const clock = manualClock(Date.parse('2030-02-01T00:00:00Z'));
    const job = defineJob({ name: 'test.restart', payload: z.object({}), handler: async () => undefined });
    const first = await facility(clock);
    first.schedule('test.restart-schedule', job, { every: 60_000 });
    await first.start();
    await first.stop();
    clock.advance(30_000);
    const second = await facility(clock);
    second.schedule('test.restart-schedule', job, { every: 60_000 });
    await second.start();
    expect(new Date((await second.scheduleStates())[0]!.next_run_at).toISOString()).toBe('2030-02-01T00:01:00.000Z');
    await second.stop();
    const third = await facility(clock);
    third.schedule('test.restart-schedule', job, { every: 120_000 });
    await third.start();
    expect(new Date((await third.scheduleStates())[0]!.next_run_at).toISOString()).toBe('2030-02-01T00:02:30.000Z');
  });
});

describe.skipIf(!PG_URL)('background jobs on PostgreSQL, two instances', () => {
  let fresh: TestDatabase;
  let other: Database;
  beforeAll(async () => {
    fresh = await freshDatabase();
    await fresh.database.migrate();
    other = await openDatabase({ url: fresh.url!, poolSize: 5 });
  });
  afterAll(async () => {
    await other?.close();
    await fresh?.drop();
  });

  it('a scheduled time fires once between them, and each job runs once, on one of them', async () => {
    const clock = manualClock(Date.parse('2030-01-07T10:00:00Z'));
    const runs: { key: string | null; who: string }[] = [];
    const make = (database: Database, who: string) => {
      const jobs = createJobs({ database, bus: localBus(), clock, log: silent, pollMs: 10 });
      const job = defineJob({
        name: 'two.tick',
        payload: z.object({}),
        handler: async (_p, ctx) => {
          runs.push({ key: ctx.key, who });
          await new Promise((r) => setTimeout(r, Math.random() * 5));
        },
      });
      jobs.schedule('two.every-second', job, { every: 1_000 });
      return { jobs, job };
    };
    const a = make(fresh.database, 'a');
    const b = make(other, 'b');
    await Promise.all([a.jobs.start(), b.jobs.start()]);
    try {
      // Plain jobs too, enqueued on both sides.
      for (let i = 0; i < 20; i++) await (i % 2 ? a : b).jobs.enqueue(a.job, {}, { key: `plain:${i}` });
      for (let s = 0; s < 30; s++) {
        clock.advance(1_000);
        await Promise.all([a.jobs.runDue(), b.jobs.runDue()]);
      }
      await Promise.all([a.jobs.runDue(), b.jobs.runDue()]);
      const keys = runs.map((r) => r.key!);
      const fired = keys.filter((k) => k.startsWith('two.every-second@')).sort();
      expect(fired).toHaveLength(30);
      expect(new Set(fired).size).toBe(30);
      expect(fired[0]).toBe('two.every-second@2030-01-07T10:00:01.000Z');
      expect(fired.at(-1)).toBe('two.every-second@2030-01-07T10:00:30.000Z');
      expect(keys.filter((k) => k.startsWith('plain:')).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `plain:${i}`).sort());
      // Both took part (the lock is per job, not per instance).
      expect(new Set(runs.map((r) => r.who)).size).toBe(2);
    } finally {
      await Promise.all([a.jobs.stop(), b.jobs.stop()]);
    }
  });
});
