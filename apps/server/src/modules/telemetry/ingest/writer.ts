import { sql } from 'drizzle-orm';
import type { AppDb, Tx } from '../../../platform/db/client.ts';
import { inSystem } from '../../../platform/db/scope.ts';
import { AppError } from '../../../platform/errors/app-error.ts';

export interface SeriesPoint {
  seriesId: number;
  orgId: string;
  tsMs: number;
  value: number;
  /**
   * The sender gave the timestamp, so (series, timestamp) identifies the point: a repeat (an MQTT
   * QoS 1 redelivery, a device or client retrying after a lost answer) is acknowledged but not
   * stored twice. Points stamped by the server on arrival are never taken for repeats.
   */
  keyed?: boolean;
}

interface Pending {
  points: SeriesPoint[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface WriterOptions {
  /** Points waiting to be written before new writes are refused with 503. */
  maxPending?: number;
  /** Points per transaction. */
  maxBatch?: number;
  /**
   * Transactions in flight (default 2). Only their raw inserts overlap: everything after them runs
   * one batch at a time, in the order the batches were formed, as with a single transaction.
   */
  concurrency?: number;
  /**
   * Runs inside the write transaction after the raw rows and before the rollups and latest values
   * (rules, anomaly state, events); locks the batch's series.
   */
  inTransaction?: (tx: Tx, points: SeriesPoint[]) => Promise<void>;
  /** Runs after commit. */
  afterCommit?: (points: SeriesPoint[]) => void;
}

export class Overloaded extends AppError {
  constructor(retryAfter: number) {
    super(503, 'ingest_overloaded', 'Ingestion is saturated; retry shortly.', { retryAfter }, { 'retry-after': String(retryAfter) });
  }
}

/** A PostgreSQL array literal of numbers or plain tokens; every value here is validated or server-made. */
const arrayLiteral = (values: (string | number)[]) => `{${values.join(',')}}`;

const MINUTE_MS = 60_000;

/** One (series, minute) of a batch: the minute rollup's columns. */
interface MinuteAgg {
  seriesId: number;
  org: number;
  minuteMs: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  sumSq: number;
}

/**
 * A batch as column arrays for `unnest`, with its minute aggregates and latest value per series
 * computed here in one pass. Times travel as epoch milliseconds (float8, converted with
 * `to_timestamp(ms / 1000)`, exact to the microsecond), which PostgreSQL parses several times faster
 * than timestamp strings; orgs travel once each, referenced by index.
 */
function columns(points: SeriesPoint[]) {
  const orgIndex = new Map<string, number>();
  const ids: number[] = [];
  const orgOf: number[] = [];
  const ms: number[] = [];
  const vals: number[] = [];
  const minutes = new Map<number, Map<number, MinuteAgg>>();
  const minuteList: MinuteAgg[] = [];
  const latest = new Map<number, SeriesPoint>();
  for (const p of points) {
    let org = orgIndex.get(p.orgId);
    if (org === undefined) orgIndex.set(p.orgId, (org = orgIndex.size + 1));
    ids.push(p.seriesId);
    orgOf.push(org);
    ms.push(p.tsMs);
    vals.push(p.value);
    // Minute buckets in UTC equal date_trunc('minute') in every zone of the tz database since 1972.
    const minuteMs = Math.floor(p.tsMs / MINUTE_MS) * MINUTE_MS;
    let bySeries = minutes.get(p.seriesId);
    if (!bySeries) minutes.set(p.seriesId, (bySeries = new Map()));
    const m = bySeries.get(minuteMs);
    if (!m) {
      const agg = { seriesId: p.seriesId, org, minuteMs, count: 1, sum: p.value, min: p.value, max: p.value, sumSq: p.value * p.value };
      bySeries.set(minuteMs, agg);
      minuteList.push(agg);
    } else {
      m.count++;
      m.sum += p.value;
      m.sumSq += p.value * p.value;
      if (p.value < m.min) m.min = p.value;
      if (p.value > m.max) m.max = p.value;
    }
    const cur = latest.get(p.seriesId);
    if (!cur || p.tsMs >= cur.tsMs) latest.set(p.seriesId, p);
  }
  for (const m of minuteList) {
    // As PostgreSQL's float8 arithmetic would have refused it (the batch fails, nothing is stored).
    if (!Number.isFinite(m.sum) || !Number.isFinite(m.sumSq)) throw new Error('value out of range: overflow');
  }
  return { orgs: [...orgIndex.keys()], ids, orgOf, ms, vals, minuteList, latest: [...latest.values()] };
}

/**
 * One statement: the minute rollups (aggregated in `columns`), the hour rollups (from the minutes)
 * and the latest values. Each conflict target is hit at most once, the rows being grouped by
 * (series, bucket) first.
 */
function rollupsOf(c: ReturnType<typeof columns>) {
  const orgs = arrayLiteral(c.orgs);
  const m = c.minuteList;
  return sql`
    with minute as materialized (
      select m.series_id, (${orgs}::uuid[])[m.o] as org_id, to_timestamp(m.ms / 1000) as bucket, m.count, m.sum, m.min, m.max, m.sum_sq
      from unnest(
        ${arrayLiteral(m.map((x) => x.seriesId))}::bigint[], ${arrayLiteral(m.map((x) => x.org))}::int[], ${arrayLiteral(m.map((x) => x.minuteMs))}::float8[],
        ${arrayLiteral(m.map((x) => x.count))}::bigint[], ${arrayLiteral(m.map((x) => x.sum))}::float8[], ${arrayLiteral(m.map((x) => x.min))}::float8[],
        ${arrayLiteral(m.map((x) => x.max))}::float8[], ${arrayLiteral(m.map((x) => x.sumSq))}::float8[]
      ) as m(series_id, o, ms, count, sum, min, max, sum_sq)
    ), rollup_1m as (
      insert into telemetry_rollup_1m as r (series_id, org_id, bucket, count, sum, min, max, sum_sq)
      select series_id, org_id, bucket, count, sum, min, max, sum_sq from minute
      on conflict (series_id, bucket) do update set
        count = r.count + excluded.count, sum = r.sum + excluded.sum,
        min = least(r.min, excluded.min), max = greatest(r.max, excluded.max), sum_sq = r.sum_sq + excluded.sum_sq
    ), rollup_1h as (
      insert into telemetry_rollup_1h as r (series_id, org_id, bucket, count, sum, min, max, sum_sq)
      select series_id, org_id, date_trunc('hour', bucket), sum(count), sum(sum), min(min), max(max), sum(sum_sq)
      from minute group by 1, 2, 3
      on conflict (series_id, bucket) do update set
        count = r.count + excluded.count, sum = r.sum + excluded.sum,
        min = least(r.min, excluded.min), max = greatest(r.max, excluded.max), sum_sq = r.sum_sq + excluded.sum_sq
    )
    update telemetry_series s set last_ts = to_timestamp(l.ms / 1000), last_value = l.value
    from unnest(
      ${arrayLiteral(c.latest.map((p) => p.seriesId))}::bigint[], ${arrayLiteral(c.latest.map((p) => p.tsMs))}::float8[], ${arrayLiteral(c.latest.map((p) => p.value))}::float8[]
    ) as l(id, ms, value)
    where s.id = l.id and (s.last_ts is null or to_timestamp(l.ms / 1000) >= s.last_ts)`;
}

/**
 * Repeats among a batch's keyed points (see SeriesPoint.keyed): they are deleted from the raw rows
 * this transaction just inserted, and their indexes returned, so that rollups, rules and events
 * see each point once. Runs after the batch's raw insert and before anything else touches its
 * series: it locks the batch's series rows in id order (as the ingest pipeline does next, so the
 * lock order is unchanged), and a concurrent transaction writing the same points, on this instance
 * or another, either committed before this lock (and is seen here) or checks after this one commits.
 * Only points at or before a series' latest stored timestamp can be repeats, so an in-order stream
 * costs one lock query and no lookups.
 */
async function dropRepeats(tx: Tx, points: SeriesPoint[]): Promise<Set<number>> {
  const repeats = new Set<number>();
  if (!points.some((p) => p.keyed)) return repeats;
  const ids = [...new Set(points.map((p) => p.seriesId))].sort((a, b) => a - b);
  const locked = (await tx.execute(sql`
    select id, (extract(epoch from last_ts) * 1000)::float8 as last_ms from telemetry_series
    where id = any(${arrayLiteral(ids)}::bigint[]) order by id for update`)) as unknown as { rows: { id: string | number; last_ms: number | null }[] };
  const lastMs = new Map(locked.rows.map((r) => [Number(r.id), r.last_ms === null ? null : Number(r.last_ms)]));
  const candidates: number[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const last = lastMs.get(p.seriesId);
    if (p.keyed && last !== null && last !== undefined && p.tsMs <= last) candidates.push(i);
  }
  if (candidates.length === 0) return repeats;
  const found = (await tx.execute(sql`
    with d as (
      select * from unnest(
        ${arrayLiteral(candidates.map((i) => points[i]!.seriesId))}::bigint[],
        ${arrayLiteral(candidates.map((i) => points[i]!.tsMs))}::float8[],
        ${arrayLiteral(candidates)}::int[]
      ) as d(series_id, ms, i)
    ), dup as (
      select d.* from d where exists (
        select 1 from telemetry_points t
        where t.series_id = d.series_id and t.ts = to_timestamp(d.ms / 1000) and t.xmin <> pg_current_xact_id()::xid
      )
    ), removed as (
      delete from telemetry_points t using dup
      where t.series_id = dup.series_id and t.ts = to_timestamp(dup.ms / 1000) and t.xmin = pg_current_xact_id()::xid
    )
    select i from dup`)) as unknown as { rows: { i: number }[] };
  for (const r of found.rows) repeats.add(Number(r.i));
  return repeats;
}

/** Keyed points repeated within a batch (a retry coalesced with its original): the first one stays. */
function firstOfEachKey(points: SeriesPoint[]): SeriesPoint[] {
  let seen: Map<number, Set<number>> | null = null;
  let out: SeriesPoint[] | null = null;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (p.keyed) {
      seen ??= new Map();
      let s = seen.get(p.seriesId);
      if (!s) seen.set(p.seriesId, (s = new Set()));
      if (s.has(p.tsMs)) {
        out ??= points.slice(0, i);
        continue;
      }
      s.add(p.tsMs);
    }
    out?.push(p);
  }
  return out ?? points;
}

/**
 * Writes raw points, the minute and hour rollups and the latest value per series in one
 * transaction per batch. Concurrent callers are coalesced into multi-row writes (group commit);
 * each caller's promise resolves only after its points are committed, so an acknowledged point is
 * durable. The queue is bounded: past `maxPending` a write is refused with 503 and Retry-After.
 *
 * Up to `concurrency` batches are in flight: the next batch inserts its raw rows (which lock
 * nothing another batch needs) while the previous one scores, rolls up and commits, then waits its
 * turn. Rules, anomaly state, rollups, latest values and events are thus handled one batch at a
 * time in batch order, with the same locks in the same order as a single writer, and a batch
 * starts them only once the previous batch has committed or rolled back. On PostgreSQL the raw
 * insert of one batch runs on another backend while this process works on the previous batch;
 * on PGlite (one connection) the second transaction simply waits.
 */
export function createIngestWriter(db: AppDb, opts: WriterOptions = {}) {
  const maxPending = opts.maxPending ?? 200_000;
  const maxBatch = opts.maxBatch ?? 20_000;
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const queue: Pending[] = [];
  let pendingPoints = 0;
  const running = new Set<Promise<void>>();
  /** Settles when the batch formed last has committed or rolled back. */
  let previous: Promise<void> = Promise.resolve();
  let written = 0;
  /** Repeats acknowledged without being stored again. */
  let repeated = 0;

  /** Returns the points actually stored: the batch less the repeats of points stored before. */
  async function writeBatch(points: SeriesPoint[], turn: Promise<void>): Promise<SeriesPoint[]> {
    let c = columns(points);
    const orgs = arrayLiteral(c.orgs);
    const raw = sql`
      insert into telemetry_points (series_id, org_id, ts, value)
      select p.series_id, (${orgs}::uuid[])[p.o], to_timestamp(p.ms / 1000), p.value
      from unnest(${arrayLiteral(c.ids)}::bigint[], ${arrayLiteral(c.orgOf)}::int[], ${arrayLiteral(c.ms)}::float8[], ${arrayLiteral(c.vals)}::float8[])
        as p(series_id, o, ms, value)`;
    let stored = points;
    await inSystem(db, async (tx) => {
      await tx.execute(raw);
      // Everything below runs one batch at a time, in batch order (see createIngestWriter).
      await turn;
      const repeats = await dropRepeats(tx, points);
      if (repeats.size) {
        stored = points.filter((_, i) => !repeats.has(i));
        if (stored.length === 0) return;
        c = columns(stored);
      }
      await opts.inTransaction?.(tx, stored);
      await tx.execute(rollupsOf(c));
    });
    return stored;
  }

  async function flushOne() {
    // One turn of the event loop first, so that requests which arrived during the previous
    // transaction are parsed and join this one. Needed for group commit on PGlite, whose queries
    // run on this thread and settle without any I/O turn in between.
    await new Promise((resolve) => setImmediate(resolve));
    if (queue.length === 0) return;
    const batch: Pending[] = [];
    let n = 0;
    while (queue.length && (n === 0 || n + queue[0]!.points.length <= maxBatch)) {
      const p = queue.shift()!;
      batch.push(p);
      n += p.points.length;
    }
    const points = firstOfEachKey(batch.flatMap((b) => b.points));
    const turn = previous;
    let done!: () => void;
    previous = new Promise<void>((resolve) => (done = resolve));
    try {
      const stored = await writeBatch(points, turn);
      written += stored.length;
      repeated += n - stored.length;
      pendingPoints -= n;
      for (const b of batch) b.resolve();
      if (stored.length) opts.afterCommit?.(stored);
    } catch (err) {
      pendingPoints -= n;
      for (const b of batch) b.reject(err);
    } finally {
      // Never before the previous batch: a batch that failed early must not let the next one overtake it.
      void turn.then(done);
    }
  }

  function kick() {
    while (running.size < concurrency && queue.length) {
      const run: Promise<void> = flushOne().finally(() => {
        running.delete(run);
        // Writes may have queued while every slot was busy.
        if (queue.length) kick();
      });
      running.add(run);
    }
  }

  return {
    write(points: SeriesPoint[]): Promise<void> {
      if (points.length === 0) return Promise.resolve();
      if (pendingPoints + points.length > maxPending) return Promise.reject(new Overloaded(1));
      pendingPoints += points.length;
      const done = new Promise<void>((resolve, reject) => queue.push({ points, resolve, reject }));
      kick();
      return done;
    },
    /** Waits until everything queued so far is committed (shutdown). */
    async drain() {
      while (running.size) await Promise.all([...running]);
    },
    get pending() {
      return pendingPoints;
    },
    get written() {
      return written;
    },
    get repeated() {
      return repeated;
    },
  };
}

export type IngestWriter = ReturnType<typeof createIngestWriter>;
