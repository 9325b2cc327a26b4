/**
 * The commands that bench/telemetry.bench.ts runs inside the telemetry bench child
 * (BENCH_TARGET=telemetry in bench/server.ts), next to the database: in-memory PGlite lives in that
 * process, so the baselines that talk to the database directly must run there too. Both databases
 * are driven through their own client (`pg.Pool` or `PGlite`), without drizzle, as the database
 * owner (no row-level security), which is what "raw SQL" means here.
 */
import type { Database } from '../apps/server/src/platform/db/client.ts';
import type { IngestWriter } from '../apps/server/src/modules/telemetry/ingest/writer.ts';
import { METRIC_NAMES, METRICS, STEP_MS, sustain, timeline, valueOf } from './telemetry.shared.ts';

interface RawClient {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export type Commands = Record<string, (args: Record<string, unknown>) => Promise<unknown>>;

export interface RawInsertArgs {
  deviceId: string;
  /** Points per INSERT statement. */
  batch: number;
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
  /** Where the baseline's own timeline starts, in hours before now. */
  hoursAgo: number;
}

export interface LoadArgs {
  deviceId: string;
  rows: number;
  days: number;
  stepSeconds: number;
  /** Concurrent loading statements (PostgreSQL runs each on its own backend, so 2 uses both cores). */
  parallel: number;
}

export interface LoadResult {
  series: number;
  rawRows: number;
  rollup1m: number;
  rollup1h: number;
  loadSeconds: number;
  /** Of which VACUUM (ANALYZE) and CHECKPOINT after the load. */
  settleSeconds: number;
  metrics: string[];
  /** The last full day of the loaded data: the window that is queried. */
  from: string;
  to: string;
}

export interface RawQueryArgs {
  deviceId: string;
  metrics: string[];
  from: string;
  to: string;
}

export interface RawQueryResult {
  /** Milliseconds per query: the aggregate computed from telemetry_points. */
  raw: number[];
  /** Milliseconds per query: the same aggregate read from telemetry_rollup_1m (for diagnosis). */
  rollup: number[];
  /** The raw aggregate of metrics[0], to check the API's answer against. */
  check: { t: string; value: number; count: number }[];
}

export function telemetryCommands(database: Database, writer: IngestWriter): Commands {
  const client = (database.db as unknown as { $client: RawClient }).$client;

  async function seriesOf(deviceId: string) {
    const r = await client.query('select id, org_id, metric from telemetry_series where device_id = $1', [deviceId]);
    const byMetric = new Map(r.rows.map((row) => [String(row.metric), Number(row.id)]));
    const orgId = String(r.rows[0]?.org_id ?? '');
    const ids = METRIC_NAMES.map((m) => byMetric.get(m));
    if (!orgId || ids.some((id) => id === undefined)) throw new Error(`device ${deviceId} does not have the ${METRICS} bench series yet`);
    return { orgId, ids: ids as number[] };
  }

  /**
   * The baseline for ingestion: plain multi-row `INSERT … VALUES ($1,$2,$3,$4), …` statements
   * (autocommit, one per batch) of the same rows as a device batch into telemetry_points, with no
   * rollups, latest values, anomaly scores, rules or events, at the same concurrency.
   */
  async function rawInsert(a: RawInsertArgs) {
    const { orgId, ids } = await seriesOf(a.deviceId);
    const timestamps = a.batch / METRICS;
    if (!Number.isInteger(timestamps)) throw new Error(`batch must be a multiple of ${METRICS}`);
    const text = `insert into telemetry_points (series_id, org_id, ts, value) values ${Array.from(
      { length: a.batch },
      (_, i) => `($${4 * i + 1}, $${4 * i + 2}, $${4 * i + 3}, $${4 * i + 4})`,
    ).join(', ')}`;
    const next = timeline(a.hoursAgo);
    return sustain({
      concurrency: a.concurrency,
      warmupSeconds: a.warmupSeconds,
      seconds: a.seconds,
      once: async () => {
        const ts0 = next(timestamps);
        const params: unknown[] = [];
        for (let j = 0; j < timestamps; j++) {
          const ts = ts0 + j * STEP_MS;
          const iso = new Date(ts).toISOString();
          for (let k = 0; k < METRICS; k++) params.push(ids[k], orgId, iso, valueOf(k, ts));
        }
        await client.query(text, params);
        return a.batch;
      },
    }).then(({ latencies: _l, ...r }) => r);
  }

  /**
   * Bulk-loads `rows` raw points (one every stepSeconds, `days` days ending at today's midnight UTC)
   * across as many series of the device as it takes, with generate_series, and the minute and hour
   * rollups and latest values computed from exactly those rows in the same statements, so that all
   * three agree as if the points had been ingested, in the same physical order.
   */
  async function loadQueryData(a: LoadArgs): Promise<LoadResult> {
    const started = performance.now();
    const org = await client.query('select org_id from devices where id = $1', [a.deviceId]);
    const orgId = org.rows[0]?.org_id;
    if (!orgId) throw new Error(`no device ${a.deviceId}`);
    const perSeries = Math.round((a.days * 86_400) / a.stepSeconds);
    const seriesCount = Math.ceil(a.rows / perSeries);
    const end = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    const start = end - a.days * 86_400_000;
    const created = await client.query(
      `insert into telemetry_series (org_id, device_id, metric, unit)
       select $1, $2, 'load_' || lpad(g::text, 5, '0'), 'kW' from generate_series(0, $3::int - 1) g
       returning id, metric`,
      [orgId, a.deviceId, seriesCount],
    );
    const ids = created.rows.map((r) => Number(r.id)).sort((x, y) => x - y);
    // Time-major, as live ingestion lays rows out: each statement writes a window of whole hours
    // for every series, ordered by time then series, so that one series' points and rollup rows are
    // spread over the pages as they would be (neither the raw baseline nor the rollups get a
    // series clustered on a few pages). About 100k rows per statement.
    const perHour = 3_600 / a.stepSeconds;
    const windowHours = Math.max(1, Math.floor(100_000 / (seriesCount * perHour)));
    const windows: [number, number][] = [];
    for (let i = 0; i < perSeries; i += windowHours * perHour) windows.push([i, Math.min(perSeries, i + windowHours * perHour)]);
    const idList = `{${ids.join(',')}}`;
    const totals = { raw: 0, m: 0, h: 0 };
    const worker = async () => {
      for (let w = windows.shift(); w; w = windows.shift()) {
        const r = await client.query(
          `with raw as (
             insert into telemetry_points (series_id, org_id, ts, value)
             select s.id, $2::uuid, $3::timestamptz + make_interval(secs => i * $6::int), 20 + 5 * sin(i / 360.0 + s.id) + random()
             from generate_series($4::int, $5::int - 1) as i cross join unnest($1::bigint[]) as s(id)
             order by i, s.id
             returning series_id, org_id, ts, value
           ), m as (
             insert into telemetry_rollup_1m (series_id, org_id, bucket, count, sum, min, max, sum_sq)
             select series_id, org_id, date_trunc('minute', ts), count(*), sum(value), min(value), max(value), sum(value * value)
             from raw group by 1, 2, 3 order by 3, 1 returning 1
           ), h as (
             insert into telemetry_rollup_1h (series_id, org_id, bucket, count, sum, min, max, sum_sq)
             select series_id, org_id, date_trunc('hour', ts), count(*), sum(value), min(value), max(value), sum(value * value)
             from raw group by 1, 2, 3 order by 3, 1 returning 1
           )
           select (select count(*) from raw)::int as raw, (select count(*) from m)::int as m, (select count(*) from h)::int as h`,
          [idList, orgId, new Date(start).toISOString(), w[0], w[1], a.stepSeconds],
        );
        totals.raw += Number(r.rows[0]!.raw);
        totals.m += Number(r.rows[0]!.m);
        totals.h += Number(r.rows[0]!.h);
      }
    };
    await Promise.all(Array.from({ length: a.parallel }, worker));
    const lastTs = new Date(start + (perSeries - 1) * a.stepSeconds * 1000).toISOString();
    await client.query(
      `update telemetry_series s set last_ts = $2::timestamptz,
         last_value = (select value from telemetry_points p where p.series_id = s.id and p.ts = $2::timestamptz limit 1)
       where s.id = any($1::bigint[])`,
      [idList, lastTs],
    );
    // As after any bulk load: statistics, hint bits and the visibility map set, and the dirty pages
    // written out, so that neither autovacuum nor a checkpoint runs in the middle of the queries.
    const settle = performance.now();
    await client.query('vacuum (analyze) telemetry_points, telemetry_rollup_1m, telemetry_rollup_1h, telemetry_series');
    if (database.kind === 'postgres') await client.query('checkpoint');
    const settleSeconds = (performance.now() - settle) / 1000;
    return {
      series: seriesCount,
      rawRows: totals.raw,
      rollup1m: totals.m,
      rollup1h: totals.h,
      loadSeconds: (performance.now() - started) / 1000,
      settleSeconds,
      metrics: created.rows.map((r) => String(r.metric)).sort(),
      from: new Date(end - 86_400_000).toISOString(),
      to: new Date(end).toISOString(),
    };
  }

  /** The baseline for the aggregate query: the same one-minute averages computed from the raw rows. */
  async function rawQuery(a: RawQueryArgs): Promise<RawQueryResult> {
    const rawSql = `select date_trunc('minute', p.ts) as t, avg(p.value) as value, count(*)::int as count
      from telemetry_points p join telemetry_series s on s.id = p.series_id
      where s.device_id = $1 and s.metric = $2 and p.ts >= $3::timestamptz and p.ts < $4::timestamptz
      group by 1 order by 1`;
    const rollupSql = `select r.bucket as t, sum(r.sum) / nullif(sum(r.count), 0) as value, sum(r.count)::int as count
      from telemetry_rollup_1m r join telemetry_series s on s.id = r.series_id
      where s.device_id = $1 and s.metric = $2 and r.bucket >= $3::timestamptz and r.bucket < $4::timestamptz
      group by 1 order by 1`;
    const time = async (text: string, metric: string) => {
      const t0 = performance.now();
      const r = await client.query(text, [a.deviceId, metric, a.from, a.to]);
      return { ms: performance.now() - t0, rows: r.rows };
    };
    const out: RawQueryResult = { raw: [], rollup: [], check: [] };
    for (const [i, metric] of a.metrics.entries()) {
      const r = await time(rawSql, metric);
      out.raw.push(r.ms);
      if (i === 0) {
        out.check = r.rows.map((row) => ({ t: new Date(row.t as string).toISOString(), value: Number(row.value), count: Number(row.count) }));
      }
      out.rollup.push((await time(rollupSql, metric)).ms);
    }
    return out;
  }

  return {
    rawInsert: (a) => rawInsert(a as unknown as RawInsertArgs),
    loadQueryData: (a) => loadQueryData(a as unknown as LoadArgs),
    rawQuery: (a) => rawQuery(a as unknown as RawQueryArgs),
    /** Raw points stored for these devices: every acknowledged point must be there. */
    countPoints: async (a) => {
      const r = await client.query(
        'select count(*)::int as n from telemetry_points where series_id in (select id from telemetry_series where device_id = any($1::uuid[]))',
        [`{${(a.deviceIds as string[]).join(',')}}`],
      );
      return Number(r.rows[0]!.n);
    },
    stats: async () => {
      const r = await client.query('select count(*)::int as n from telemetry_points');
      return { written: writer.written, pending: writer.pending, rawRows: Number(r.rows[0]!.n) };
    },
  };
}
