/**
 * One facility for background work, on PGlite and PostgreSQL alike (docs/adr/0007-jobs.md):
 *
 * - **Jobs**: `defineJob({ name, payload: zodSchema, handler })`, registered on the facility; a row
 *   in `jobs` per piece of work (`enqueue`, optionally in the caller's transaction). An instance
 *   claims due rows with `FOR UPDATE SKIP LOCKED` and a lease (`locked_until`, renewed while the
 *   handler runs): one instance runs a job at a time. Success deletes the row; a failure is retried
 *   with back-off, then kept as `failed`. A process killed mid-job leaves its lease, which expires,
 *   and the job runs again (at least once: handlers are idempotent, as the job's id lets them be).
 * - **Schedules**: `{ every: ms }` or `{ daily: 'HH:MM', timeZone }`, one row each with its next
 *   time. Firing inserts the job (keyed `<schedule>@<instant>`) and moves the time on in one
 *   transaction on a locked row, so a time fires once across instances, and a firing rolled back by
 *   a crash fires on the next pass. After downtime a schedule fires once, then keeps its rhythm.
 *
 * Time comes from an injected clock, never from the database, so tests move it by hand.
 */
import { createPassRunner } from '../db/passes.ts';
import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Registry } from 'prom-client';
import { scrapedMetrics, seriesPer } from '../metrics/metrics.ts';
import type { z } from 'zod';
import type { Bus } from '../bus/bus.ts';
import { systemClock, type Clock } from '../clock.ts';
import { queryRows, type Database, type Executor } from '../db/client.ts';
import { newId } from '../db/ids.ts';
import { inSystem } from '../db/scope.ts';

export interface JobContext {
  readonly jobId: string;
  readonly name: string;
  /** 1 on the first run; a run cut short by a crash counts as one. */
  readonly attempt: number;
  /** The dedupe key it was enqueued with (a schedule's `<schedule>@<instant>`), if any. */
  readonly key: string | null;
  /** When it was due: a schedule's firing time, or the enqueue's runAt. */
  readonly dueAt: Date;
  /** "Now" on the facility's clock as the run starts (ms): what a time-dependent handler should read. */
  readonly now: number;
}

export interface JobDefinition<P = unknown> {
  readonly name: string;
  readonly payload: z.ZodType<P>;
  readonly handler: (payload: P, ctx: JobContext) => Promise<void>;
  /** Runs before it is kept as failed (default 3). */
  readonly maxAttempts: number;
  /** Wait before the next run after `n` failed ones, in ms (default 5 s, doubling, at most 10 min). */
  readonly backoff: (failedAttempts: number) => number;
  /** How long a claim holds without renewal (default 60 s): a crashed instance's job runs again after it. */
  readonly leaseMs: number;
}

const NAME = /^[a-z][a-z0-9_.:-]{0,99}$/;
/** How long a process trusts the next firing time it read (a released hold can bring one forward). */
const RECHECK_MS = 15_000;
export const defaultJobBackoff = (n: number) => Math.min(600_000, 5_000 * 2 ** Math.max(0, n - 1));

/** A job: its name, the Zod schema of its payload (checked when enqueued and when run), and its handler. */
export function defineJob<S extends z.ZodType>(def: {
  name: string;
  payload: S;
  handler: (payload: z.output<S>, ctx: JobContext) => Promise<void>;
  maxAttempts?: number;
  backoff?: (failedAttempts: number) => number;
  leaseMs?: number;
}): JobDefinition<z.output<S>> {
  if (!NAME.test(def.name)) throw new Error(`Job name "${def.name}" must match ${NAME}`);
  const maxAttempts = def.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error(`Job ${def.name}: maxAttempts must be a positive integer`);
  return {
    name: def.name,
    payload: def.payload as z.ZodType<z.output<S>>,
    handler: def.handler,
    maxAttempts,
    backoff: def.backoff ?? defaultJobBackoff,
    leaseMs: def.leaseMs ?? 60_000,
  };
}

export type ScheduleSpec = { every: number; runAtStart?: boolean } | { daily: string; timeZone?: string };

const specText = (s: ScheduleSpec) => ('every' in s ? `every:${s.every}` : `daily:${s.daily}@${s.timeZone ?? 'UTC'}`);

/**
 * The first firing time strictly after `after` (ms). `every` keeps the grid of `anchor` (the
 * previous firing), so a schedule's rhythm survives downtime; `daily` is the next wall-clock time
 * in its zone (a time skipped by a DST change fires at the jump, a repeated one at its first pass).
 */
export function nextFiring(spec: ScheduleSpec, after: number, anchor?: number): number {
  if ('every' in spec) {
    const from = anchor ?? after;
    if (from > after) return from;
    return from + spec.every * (Math.floor((after - from) / spec.every) + 1);
  }
  const [h, m] = spec.daily.split(':').map(Number) as [number, number];
  const zone = spec.timeZone ?? 'UTC';
  const base = DateTime.fromMillis(after, { zone });
  for (let day = 0; day < 3; day++) {
    let at = base.plus({ days: day }).set({ hour: h, minute: m, second: 0, millisecond: 0 });
    // A wall time that happens twice (the clocks go back) fires at its first pass.
    for (const back of [{ minutes: 30 }, { hours: 1 }]) {
      const earlier = at.minus(back);
      if (earlier.hour === h && earlier.minute === m) at = earlier;
    }
    if (at.toMillis() > after) return at.toMillis();
  }
  throw new Error(`no next firing for ${specText(spec)}`);
}

function checkSpec(name: string, spec: ScheduleSpec) {
  if ('every' in spec) {
    if (!Number.isInteger(spec.every) || spec.every < 1_000) throw new Error(`Schedule ${name}: every must be a whole number of ms, at least 1000`);
    return;
  }
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(spec.daily)) throw new Error(`Schedule ${name}: daily must be HH:MM`);
  if (!DateTime.now().setZone(spec.timeZone ?? 'UTC').isValid) throw new Error(`Schedule ${name}: unknown time zone ${spec.timeZone}`);
}

export interface JobsOptions {
  database: Database;
  bus: Bus;
  clock?: Clock;
  log: { info(obj: unknown, msg?: string): void; warn(obj: unknown, msg?: string): void };
  /** How often due work is looked for when no wake-up arrives (default 1 s). */
  pollMs?: number;
  /** A pass failed (the database is down); throttled by the caller (outageReporter). */
  report?: { failed(err: unknown): void; ok(): void };
}

export const CHANNEL_JOBS = 'jobs.wake';

interface JobRow {
  id: string;
  name: string;
  payload: Record<string, unknown>;
  key: string | null;
  run_at: string | Date;
  attempts: number;
  max_attempts: number;
}

const errorText = (err: unknown) => String((err as Error)?.message ?? err).slice(0, 1000) || 'Error';
const iso = (ms: number) => new Date(ms).toISOString();
const inList = (names: string[]) => sql`(select jsonb_array_elements_text(${JSON.stringify(names)}::jsonb))`;

/**
 * Writes a job's row, in the caller's transaction when `tx` is one: for a platform part that queues
 * work where it has no facility at hand (a notification, written with the message). The job's kind
 * must be registered on the facility of whichever instance is to run it. False: a job of that name
 * and key exists already.
 */
export async function insertJob(
  tx: Executor,
  job: { name: string; payload: unknown; key?: string | undefined; runAt: Date; maxAttempts: number; createdAt: Date },
): Promise<boolean> {
  const r = (await tx.execute(sql`
    insert into jobs (id, name, payload, key, run_at, max_attempts, created_at)
    values (${newId()}, ${job.name}, ${JSON.stringify(job.payload ?? {})}::jsonb, ${job.key ?? null}, ${job.runAt.toISOString()}::timestamptz,
            ${job.maxAttempts}, ${job.createdAt.toISOString()}::timestamptz)
    on conflict (name, key) do nothing`)) as unknown as { rowCount?: number | null; affectedRows?: number };
  return (r.rowCount ?? r.affectedRows ?? 1) > 0;
}

export function createJobs(opts: JobsOptions) {
  const { database, bus } = opts;
  const db = database.db;
  const clock = opts.clock ?? systemClock;
  const pollMs = opts.pollMs ?? 1_000;
  /** This process, as written in the leases it holds. */
  const instance = `${process.pid}:${crypto.randomUUID()}`;
  const defs = new Map<string, JobDefinition<never>>();
  const schedules = new Map<string, { job: string; spec: ScheduleSpec; payload: Record<string, unknown> }>();
  let schedulesReady = false;
  /**
   * The earliest next firing of this process's schedules, as last read at `nextDueRead`: nothing is
   * due before it (firing only moves times later, here or on another instance), so passes skip the
   * query until then; but a released hold moves a time earlier, so it is read again at least every
   * RECHECK_MS.
   */
  let nextDue = 0;
  let nextDueRead = 0;
  const counts = { ran: new Map<string, number>(), failedRuns: new Map<string, number>() };
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  function register<P>(def: JobDefinition<P>) {
    if (defs.has(def.name) && defs.get(def.name) !== (def as unknown)) throw new Error(`Job ${def.name} is registered twice`);
    defs.set(def.name, def as unknown as JobDefinition<never>);
  }

  /** A recurring firing of `job` (registered here too). */
  function schedule<P>(name: string, job: JobDefinition<P>, spec: ScheduleSpec, payload?: P) {
    if (!NAME.test(name)) throw new Error(`Schedule name "${name}" must match ${NAME}`);
    if (schedules.has(name)) throw new Error(`Schedule ${name} is registered twice`);
    checkSpec(name, spec);
    register(job);
    const parsed = job.payload.parse(payload ?? {}) as Record<string, unknown>;
    schedules.set(name, { job: job.name, spec, payload: parsed });
    schedulesReady = false;
    if (runner.started) void kick();
  }

  /**
   * Adds a job. With `tx` it commits with the caller's transaction (call `wake()` after the commit
   * for it to start at once); with a `key`, a second job of the same name and key is not added while
   * the first exists (answers false).
   */
  async function enqueue<P>(job: JobDefinition<P>, payload: P, o: { tx?: Executor; runAt?: Date; key?: string } = {}): Promise<boolean> {
    if (!defs.has(job.name)) register(job);
    const parsed = job.payload.parse(payload);
    const at = o.runAt?.getTime() ?? clock();
    const added = await insertJob(o.tx ?? db, {
      name: job.name,
      payload: parsed ?? {},
      key: o.key,
      runAt: new Date(at),
      maxAttempts: job.maxAttempts,
      createdAt: new Date(clock()),
    });
    if (!o.tx) wake();
    return added;
  }

  /** Creates or updates the rows of this process's schedules; a changed spec starts afresh from now. */
  async function ensureSchedules() {
    const now = clock();
    for (const [name, s] of schedules) {
      const spec = specText(s.spec);
      const first = 'every' in s.spec && s.spec.runAtStart ? now : nextFiring(s.spec, now);
      await db.execute(sql`
        insert into job_schedules (name, job, spec, payload, next_run_at, updated_at)
        values (${name}, ${s.job}, ${spec}, ${JSON.stringify(s.payload)}::jsonb, ${iso(first)}::timestamptz, ${iso(now)}::timestamptz)
        on conflict (name) do update set job = excluded.job, payload = excluded.payload, spec = excluded.spec, updated_at = excluded.updated_at,
          next_run_at = case when job_schedules.spec is distinct from excluded.spec then excluded.next_run_at else job_schedules.next_run_at end
        where job_schedules.spec is distinct from excluded.spec or job_schedules.job is distinct from excluded.job or job_schedules.payload is distinct from excluded.payload`);
    }
  }

  /** Fires the schedules that are due: the job and the next time, in one transaction per pass. */
  async function fireDue(): Promise<number> {
    if (schedules.size === 0) return 0;
    if (!schedulesReady) {
      await ensureSchedules();
      schedulesReady = true;
      nextDue = 0;
    }
    const now = clock();
    if (now < nextDue && now - nextDueRead < RECHECK_MS) return 0;
    const fired = await inSystem(db, async (tx) => {
      const due = await queryRows<{ name: string; job: string; payload: Record<string, unknown>; next_run_at: string | Date }>(
        tx,
        sql`select name, job, payload, next_run_at from job_schedules
            where name in ${inList([...schedules.keys()])} and next_run_at <= ${iso(now)}::timestamptz
            order by next_run_at for update skip locked`,
      );
      for (const row of due) {
        const s = schedules.get(row.name)!;
        const job = defs.get(s.job)!;
        const at = new Date(row.next_run_at).getTime();
        const next = nextFiring(s.spec, now, 'every' in s.spec ? at : undefined);
        await tx.execute(sql`
          insert into jobs (id, name, payload, key, run_at, max_attempts, created_at)
          values (${newId()}, ${s.job}, ${JSON.stringify(row.payload)}::jsonb, ${`${row.name}@${iso(at)}`}, ${iso(at)}::timestamptz, ${job.maxAttempts}, ${iso(now)}::timestamptz)
          on conflict (name, key) do nothing`);
        await tx.execute(sql`
          update job_schedules set next_run_at = ${iso(next)}::timestamptz, last_run_at = ${iso(at)}::timestamptz, fired = fired + 1, updated_at = ${iso(now)}::timestamptz
          where name = ${row.name}`);
      }
      return due.length;
    });
    const [earliest] = await queryRows<{ at: string | Date | null }>(
      db,
      sql`select min(next_run_at) as at from job_schedules where name in ${inList([...schedules.keys()])}`,
    );
    nextDue = earliest?.at ? new Date(earliest.at).getTime() : 0;
    nextDueRead = now;
    return fired;
  }

  /** Claims one due job of this process's kinds (SKIP LOCKED, then a lease). */
  async function claim(): Promise<JobRow | null> {
    if (defs.size === 0) return null;
    const now = clock();
    const leases = JSON.stringify(Object.fromEntries([...defs.values()].map((d) => [d.name, d.leaseMs])));
    // One statement (its own transaction): the row lock lasts only while it runs.
    const [row] = await queryRows<JobRow>(
      db,
      sql`update jobs set attempts = attempts + 1, locked_by = ${instance},
            locked_until = ${iso(now)}::timestamptz + ((${leases}::jsonb ->> name)::bigint * interval '1 millisecond')
          where id = (select id from jobs
                      where status = 'pending' and run_at <= ${iso(now)}::timestamptz
                        and (locked_until is null or locked_until <= ${iso(now)}::timestamptz)
                        and name in ${inList([...defs.keys()])}
                      order by run_at, id limit 1 for update skip locked)
          returning id, name, payload, key, run_at, attempts, max_attempts`,
    );
    return row ?? null;
  }

  async function run(row: JobRow) {
    const def = defs.get(row.name)!;
    const ctx: JobContext = { jobId: row.id, name: row.name, attempt: row.attempts, key: row.key, dueAt: new Date(row.run_at), now: clock() };
    // The lease is renewed while the handler runs, so a long job is not taken for a crashed one.
    const renew = setInterval(() => {
      void db
        .execute(sql`update jobs set locked_until = ${iso(clock() + def.leaseMs)}::timestamptz where id = ${row.id} and locked_by = ${instance}`)
        .catch(() => undefined);
    }, Math.max(250, Math.floor(def.leaseMs / 3)));
    renew.unref();
    let failure: unknown = null;
    try {
      const parsed = def.payload.safeParse(row.payload);
      if (!parsed.success) throw new Error(`payload does not match the job's schema: ${parsed.error.message.slice(0, 300)}`);
      await def.handler(parsed.data as never, ctx);
    } catch (err) {
      failure = err ?? new Error('job failed');
    } finally {
      clearInterval(renew);
    }
    const now = clock();
    if (failure === null) {
      bump(counts.ran, row.name);
      await db.execute(sql`delete from jobs where id = ${row.id} and locked_by = ${instance}`);
      return;
    }
    bump(counts.failedRuns, row.name);
    const message = errorText(failure);
    if (row.attempts >= row.max_attempts) {
      await db.execute(sql`update jobs set status = 'failed', last_error = ${message}, locked_until = null, locked_by = null where id = ${row.id} and locked_by = ${instance}`);
      opts.log.warn({ job: row.name, jobId: row.id, attempts: row.attempts, err: message }, 'job failed for good');
    } else {
      const retryAt = now + def.backoff(row.attempts);
      await db.execute(sql`update jobs set run_at = ${iso(retryAt)}::timestamptz, last_error = ${message}, locked_until = null, locked_by = null where id = ${row.id} and locked_by = ${instance}`);
      opts.log.warn({ job: row.name, jobId: row.id, attempt: row.attempts, retryAt: iso(retryAt), err: message }, 'job failed; will retry');
    }
  }

  async function pass(): Promise<void> {
    await fireDue();
    for (let n = 0; n < 100 && !runner.stopped; n++) {
      const row = await claim();
      if (!row) return;
      await run(row);
    }
    runner.again(); // more than 100 due: go on after the others had a turn
  }

  const runner = createPassRunner(() => pass(), {
    report: opts.report,
    onError: (err) => opts.log.warn({ err: errorText(err) }, 'jobs pass failed'),
  });
  const kick = runner.kick;

  function wake() {
    bus.publish(CHANNEL_JOBS, {});
  }

  bus.subscribe(CHANNEL_JOBS, () => void kick());

  return {
    register,
    schedule,
    enqueue,
    wake,
    async start() {
      if (runner.started) return;
      await ensureSchedules();
      schedulesReady = true;
      runner.start(pollMs);
    },
    /** Waits for the job in progress; nothing starts after. */
    stop: () => runner.stop(),
    /**
     * Holds a schedule on every instance (it is a row of the shared table): it fires on no instance
     * before `until` (ms). A process that writes the past on a clock of its own (`imsop demo`)
     * holds the schedules that would act on that past at the present time (the SLA scheduler would
     * breach a ticket between its creation and its first reply). A hold that is never released
     * ends by itself at `until`. No row (no instance ever ran the schedule): nothing to hold.
     */
    async hold(name: string, until: number) {
      await db.execute(sql`update job_schedules set next_run_at = greatest(next_run_at, ${iso(until)}::timestamptz) where name = ${name}`);
    },
    /** Ends a hold: the schedule fires on the next pass of an instance whose clock has reached `at`, then keeps its rhythm. */
    async release(name: string, at: number) {
      await db.execute(sql`update job_schedules set next_run_at = least(next_run_at, ${iso(at)}::timestamptz) where name = ${name}`);
    },
    /** Fires what is due and runs every due job, to the end (tests). */
    async runDue() {
      await runner.drain();
    },
    /** Per job kind: rows waiting (pending, due or not) and failed; runs since start in this process. */
    async stats() {
      const rows = await queryRows<{ name: string; pending: number; failed: number }>(
        db,
        sql`select name, count(*) filter (where status = 'pending')::int as pending, count(*) filter (where status = 'failed')::int as failed from jobs group by name`,
      );
      const names = new Set([...defs.keys(), ...rows.map((r) => r.name)]);
      return [...names].sort().map((name) => {
        const r = rows.find((x) => x.name === name);
        return { name, pending: r?.pending ?? 0, failed: r?.failed ?? 0, ran: counts.ran.get(name) ?? 0, failedRuns: counts.failedRuns.get(name) ?? 0 };
      });
    },
    /** The schedules of this process with their next and last firing. */
    async scheduleStates() {
      if (schedules.size === 0) return [];
      return queryRows<{ name: string; job: string; spec: string; next_run_at: string | Date; last_run_at: string | Date | null; fired: string | number }>(
        db,
        sql`select name, job, spec, next_run_at, last_run_at, fired from job_schedules where name in ${inList([...schedules.keys()])} order by name`,
      );
    },
  };
}

export type Jobs = ReturnType<typeof createJobs>;

/**
 * On /metrics, per job kind (label `job_name`: not `job`, which Prometheus gives every series of a
 * target and would rename ours to `exported_job`): jobs waiting and failed (from the database),
 * runs and failed runs of this instance.
 */
export function registerJobMetrics(registry: Registry, jobs: Jobs) {
  type Stat = Awaited<ReturnType<Jobs['stats']>>[number];
  const per = seriesPer<Stat>('job_name', (s) => s.name);
  const labelNames = ['job_name'];
  scrapedMetrics(registry, () => jobs.stats(), [
    { name: 'imsop_jobs_pending', help: 'Jobs waiting to run (due or not)', labelNames, series: per((s) => s.pending) },
    { name: 'imsop_jobs_failed', help: 'Jobs kept as failed after their last attempt', labelNames, series: per((s) => s.failed) },
    { kind: 'counter', name: 'imsop_jobs_runs_total', help: 'Job runs that succeeded on this instance', labelNames, series: per((s) => s.ran) },
    { kind: 'counter', name: 'imsop_jobs_failed_runs_total', help: 'Job runs that failed on this instance', labelNames, series: per((s) => s.failedRuns) },
  ]);
}
