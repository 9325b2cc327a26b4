import { sql } from 'drizzle-orm';
import type { AppDb, Tx } from '../../../platform/db/client.ts';
import { inSystem } from '../../../platform/db/scope.ts';
import { AppError } from '../../../platform/http/errors.ts';

export interface SeriesPoint {
  seriesId: number;
  orgId: string;
  tsMs: number;
  value: number;
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
  /** Runs inside the write transaction, after the raw rows (rules, anomaly state, events). */
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

/**
 * Writes raw points, the minute and hour rollups and the latest value per series in one
 * transaction per batch. Concurrent callers are coalesced into multi-row writes (group commit);
 * each caller's promise resolves only after its points are committed, so an acknowledged point is
 * durable. The queue is bounded: past `maxPending` a write is refused with 503 and Retry-After.
 */
export function createIngestWriter(db: AppDb, opts: WriterOptions = {}) {
  const maxPending = opts.maxPending ?? 200_000;
  const maxBatch = opts.maxBatch ?? 20_000;
  const queue: Pending[] = [];
  let pendingPoints = 0;
  let flushing: Promise<void> | null = null;
  let written = 0;

  async function writeBatch(points: SeriesPoint[]) {
    const ids = arrayLiteral(points.map((p) => p.seriesId));
    const orgs = arrayLiteral(points.map((p) => p.orgId));
    const tss = arrayLiteral(points.map((p) => `"${new Date(p.tsMs).toISOString()}"`));
    const vals = arrayLiteral(points.map((p) => p.value));
    const src = sql`unnest(${ids}::bigint[], ${orgs}::uuid[], ${tss}::timestamptz[], ${vals}::float8[]) as p(series_id, org_id, ts, value)`;
    await inSystem(db, async (tx) => {
      await tx.execute(sql`insert into telemetry_points (series_id, org_id, ts, value) select series_id, org_id, ts, value from ${src}`);
      for (const [table, unit] of [
        ['telemetry_rollup_1m', 'minute'],
        ['telemetry_rollup_1h', 'hour'],
      ] as const) {
        await tx.execute(sql`
          insert into ${sql.identifier(table)} as r (series_id, org_id, bucket, count, sum, min, max, sum_sq)
          select series_id, org_id, date_trunc(${unit}, ts), count(*), sum(value), min(value), max(value), sum(value * value)
          from ${src} group by 1, 2, 3
          on conflict (series_id, bucket) do update set
            count = r.count + excluded.count, sum = r.sum + excluded.sum,
            min = least(r.min, excluded.min), max = greatest(r.max, excluded.max), sum_sq = r.sum_sq + excluded.sum_sq`);
      }
      await tx.execute(sql`
        update telemetry_series s set last_ts = l.ts, last_value = l.value
        from (select distinct on (series_id) series_id, ts, value from ${src} order by series_id, ts desc) l
        where s.id = l.series_id and (s.last_ts is null or l.ts >= s.last_ts)`);
      await opts.inTransaction?.(tx, points);
    });
  }

  async function flushLoop() {
    while (queue.length) {
      const batch: Pending[] = [];
      let n = 0;
      while (queue.length && (n === 0 || n + queue[0]!.points.length <= maxBatch)) {
        const p = queue.shift()!;
        batch.push(p);
        n += p.points.length;
      }
      const points = batch.flatMap((b) => b.points);
      try {
        await writeBatch(points);
        written += points.length;
        pendingPoints -= n;
        for (const b of batch) b.resolve();
        opts.afterCommit?.(points);
      } catch (err) {
        pendingPoints -= n;
        for (const b of batch) b.reject(err);
      }
    }
  }

  function kick() {
    if (flushing) return;
    flushing = flushLoop().finally(() => {
      flushing = null;
      // A write may have queued between the loop's last check and this callback.
      if (queue.length) kick();
    });
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
      while (flushing) await flushing;
    },
    get pending() {
      return pendingPoints;
    },
    get written() {
      return written;
    },
  };
}

export type IngestWriter = ReturnType<typeof createIngestWriter>;
