import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { can } from '../../platform/access/ability.ts';
import type { Actor } from '../../platform/access/actor.ts';
import type { AppDb, Executor } from '../../platform/db/client.ts';
import { inOrg, inSystem } from '../../platform/db/scope.ts';
import { AppError, badRequest, forbidden, notFound } from '../../platform/errors/app-error.ts';
import { validTimeZone } from '../../platform/time/zone.ts';
import type { DeviceIdentity, DevicesService } from './devices.service.ts';
import type { OperationExists } from '../operations/index.ts';
import { itemsOf, MAX_POINTS_PER_REQUEST, normalise, type PointError, type RawPoint } from './ingest/shapes.ts';
import type { IngestWriter, SeriesPoint } from './ingest/writer.ts';
import { RETENTION_DEFAULTS, retentionOf } from './retention.ts';
import type { OrgTelemetrySettings } from '../identity/index.ts';
import { telemetrySeries } from './telemetry.schema.ts';

export type Interval = '1m' | '5m' | '1h' | '1d' | '1w' | '1mo';
export type Agg = 'avg' | 'min' | 'max' | 'sum' | 'count' | 'none';

export interface IngestSource {
  actor?: Actor;
  device?: DeviceIdentity;
}

export interface IngestResult {
  accepted: number;
  rejected: PointError[];
}

/** A point as stored, the answer to the single-point form. */
export interface StoredPoint {
  seriesId: number;
  operationId: string | null;
  deviceId: string | null;
  metricName: string;
  value: number;
  unit: string | null;
  timestamp: string;
}

export interface IngestOptions {
  partial: boolean;
  deviceId?: string | undefined;
  operationId?: string | undefined;
}

const UNKNOWN_DEVICE = 'unknown deviceId';
const UNKNOWN_OPERATION = 'unknown operationId';

const invalidPoints = (errors: PointError[]) =>
  new AppError(400, 'invalid_points', `${errors.length} point(s) are invalid; nothing was stored. Fix them or send ?partial=true.`, {
    errors: errors.slice(0, 100).map((e) => ({ path: `points.${e.index}`, message: e.reason })),
    rejected: errors.slice(0, 1000),
  });

const NIL = '00000000-0000-0000-0000-000000000000';

/** Whether the zone's UTC offset is a whole number of hours throughout [from, to] (then hourly rollups align with local days). */
export function wholeHourOffsets(tz: string, from: Date, to: Date): boolean {
  const fmt = new Intl.DateTimeFormat('en', { timeZone: tz, timeZoneName: 'longOffset' });
  const step = Math.max(3_600_000, Math.floor((to.getTime() - from.getTime()) / 500));
  for (let t = from.getTime(); t <= to.getTime() + step; t += step) {
    const name = fmt.formatToParts(new Date(Math.min(t, to.getTime()))).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
    if (m && m[3] !== '00') return false;
  }
  return true;
}

export function createTelemetryService(deps: {
  db: AppDb;
  devices: DevicesService;
  operationExists: OperationExists;
  writer: IngestWriter;
  orgSettings: OrgTelemetrySettings;
}) {
  const { db } = deps;
  const seriesCache = new LRUCache<string, number>({ max: 200_000 });
  const known = new LRUCache<string, boolean>({ max: 50_000, ttl: 60_000 });

  async function exists(kind: 'device' | 'operation', orgId: string, id: string) {
    const key = `${kind}:${orgId}:${id}`;
    const hit = known.get(key);
    if (hit !== undefined) return hit;
    const ok = kind === 'device' ? await deps.devices.exists(orgId, id) : await deps.operationExists(orgId, id);
    known.set(key, ok);
    return ok;
  }

  async function resolveSeries(orgId: string, points: RawPoint[]): Promise<number[]> {
    const keyOf = (p: RawPoint) => `${orgId}|${p.deviceId ?? ''}|${p.operationId ?? ''}|${p.metric}`;
    const missing = new Map<string, RawPoint>();
    for (const p of points) {
      const k = keyOf(p);
      if (!seriesCache.has(k) && !missing.has(k)) missing.set(k, p);
    }
    if (missing.size) {
      await inOrg(db, orgId, async (tx) => {
        for (const [k, p] of missing) {
          const rows = (await tx.execute(sql`
            insert into telemetry_series (org_id, device_id, operation_id, metric, unit)
            values (${orgId}, ${p.deviceId}, ${p.operationId}, ${p.metric}, ${p.unit})
            on conflict (org_id, coalesce(device_id, ${NIL}::uuid), coalesce(operation_id, ${NIL}::uuid), metric)
            do update set unit = coalesce(excluded.unit, telemetry_series.unit)
            returning id`)) as unknown as { rows: { id: string | number }[] };
          seriesCache.set(k, Number(rows.rows[0]!.id));
        }
      });
    }
    return points.map((p) => seriesCache.get(keyOf(p))!);
  }

  /** The org a source speaks for, if it may send at all. */
  function orgOf(source: IngestSource): string {
    const orgId = source.device?.orgId ?? source.actor?.orgId;
    if (!orgId) throw forbidden();
    if (source.actor && !can(source.actor, 'telemetry:ingest')) throw forbidden();
    return orgId;
  }

  /** Validates a request's items: every id must belong to the org, and a device key speaks only for its own device. */
  async function prepare(orgId: string, source: IngestSource, items: unknown[], opts: Omit<IngestOptions, 'partial'>) {
    const defaults = {
      deviceId: source.device?.id ?? opts.deviceId ?? null,
      operationId: opts.operationId ?? source.device?.operationId ?? null,
      now: Date.now(),
    };
    const { points, errors, pointIndex } = normalise(items, defaults);
    const badIdx = new Set(errors.map((e) => e.index));
    const checks = new Map<string, Promise<boolean>>();
    const check = (kind: 'device' | 'operation', id: string) => {
      const k = `${kind}:${id}`;
      if (!checks.has(k)) checks.set(k, exists(kind, orgId, id));
      return checks.get(k)!;
    };
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      const idx = pointIndex[i]!;
      if (badIdx.has(idx)) continue;
      let reason: string | null = null;
      if (source.device && p.deviceId !== source.device.id) reason = 'a device key may only send for its own device';
      else if (p.deviceId && !(await check('device', p.deviceId))) reason = UNKNOWN_DEVICE;
      else if (p.operationId && !(await check('operation', p.operationId))) reason = UNKNOWN_OPERATION;
      if (reason) {
        errors.push({ index: idx, reason });
        badIdx.add(idx);
      }
    }
    errors.sort((a, b) => a.index - b.index);
    return { good: points.filter((_, i) => !badIdx.has(pointIndex[i]!)), errors };
  }

  /** Writes valid points; resolves once they are committed. Returns each point's series id. */
  async function store(orgId: string, good: RawPoint[]): Promise<number[]> {
    const ids = await resolveSeries(orgId, good);
    const rows: SeriesPoint[] = good.map((p, i) => ({ seriesId: ids[i]!, orgId, tsMs: p.tsMs, value: p.value, keyed: p.timestamped }));
    await deps.writer.write(rows);
    const deviceIds = good.map((p) => p.deviceId).filter((x): x is string => !!x);
    if (deviceIds.length) void deps.devices.touch(orgId, deviceIds).catch(() => undefined);
    return ids;
  }

  return {
    /**
     * Validates, attributes and writes a request's points. All-or-nothing unless `partial`, in
     * which case the valid points are kept and the rest reported by index.
     */
    async ingest(source: IngestSource, body: unknown, opts: IngestOptions): Promise<IngestResult> {
      const orgId = orgOf(source);
      const items = itemsOf(body);
      if (!items) throw badRequest('invalid_body', 'Send a point, an array of points, or { points: [...] }.');
      if (items.length === 0) throw badRequest('empty_batch', 'The batch holds no points.');
      if (items.length > MAX_POINTS_PER_REQUEST) {
        throw new AppError(413, 'batch_too_large', `At most ${MAX_POINTS_PER_REQUEST} points per request; split the batch.`);
      }
      const { good, errors } = await prepare(orgId, source, items, opts);
      if (errors.length && !opts.partial) throw invalidPoints(errors);
      if (good.length) await store(orgId, good);
      return { accepted: good.length, rejected: errors };
    },

    /**
     * One point in IMSOP's own shape, answered with the point as stored. An operation or device
     * the org does not have is not found (404), whether it exists elsewhere or nowhere; any other
     * fault is a 400 as in a batch. There is nothing partial about one point.
     */
    async ingestPoint(source: IngestSource, body: Record<string, unknown>, opts: Omit<IngestOptions, 'partial'>): Promise<StoredPoint> {
      const orgId = orgOf(source);
      const { good, errors } = await prepare(orgId, source, [body], opts);
      const reason = errors[0]?.reason;
      if (reason === UNKNOWN_OPERATION) throw notFound('Operation');
      if (reason === UNKNOWN_DEVICE) throw notFound('Device');
      if (errors.length) throw invalidPoints(errors);
      const p = good[0]!;
      const [seriesId] = await store(orgId, [p]);
      return {
        seriesId: seriesId!,
        operationId: p.operationId,
        deviceId: p.deviceId,
        metricName: p.metric,
        value: p.value,
        unit: p.unit,
        timestamp: new Date(p.tsMs).toISOString(),
      };
    },

    async series(
      actor: Actor,
      filter: { deviceId?: string | undefined; operationId?: string | undefined; metric?: string | undefined },
      inTx?: Executor,
    ) {
      if (!can(actor, 'telemetry:read')) throw forbidden();
      const run = <T>(fn: (tx: Executor) => Promise<T>) => (inTx ? fn(inTx) : inOrg(db, actor.orgId, fn));
      return run((tx) =>
        tx
          .select({
            id: telemetrySeries.id,
            deviceId: telemetrySeries.deviceId,
            operationId: telemetrySeries.operationId,
            metric: telemetrySeries.metric,
            unit: telemetrySeries.unit,
            lastTs: telemetrySeries.lastTs,
            lastValue: telemetrySeries.lastValue,
          })
          .from(telemetrySeries)
          .where(
            and(
              eq(telemetrySeries.orgId, actor.orgId),
              filter.deviceId ? eq(telemetrySeries.deviceId, filter.deviceId) : undefined,
              filter.operationId ? eq(telemetrySeries.operationId, filter.operationId) : undefined,
              filter.metric ? eq(telemetrySeries.metric, filter.metric) : undefined,
            ),
          )
          .orderBy(asc(telemetrySeries.metric), asc(telemetrySeries.id))
          .limit(1000),
      ).then((rows) =>
        rows.map((r) => ({ ...r, lastTs: r.lastTs?.toISOString() ?? null })),
      );
    },

    /**
     * Buckets from the rollups (raw points only for agg=none). Day, week and month buckets are
     * local to `tz`, so they follow DST; zones with half-hour offsets use the minute rollup.
     */
    async query(
      actor: Actor,
      q: { deviceId?: string | undefined; operationId?: string | undefined; metric: string; from: Date; to: Date; interval: Interval; agg: Agg; tz: string },
    ) {
      if (!can(actor, 'telemetry:read')) throw forbidden();
      if (!validTimeZone(q.tz)) throw badRequest('invalid_time_zone', `Unknown time zone "${q.tz}".`, { errors: [{ path: 'tz', message: 'Use an IANA name such as Europe/Paris' }] });
      if (!(q.to > q.from)) throw badRequest('invalid_range', '"to" must be after "from".', { errors: [{ path: 'to', message: 'Must be after from' }] });
      // One transaction: the series and their buckets come from the same snapshot.
      const out = await inOrg(db, actor.orgId, async (tx) => {
        const series = await this.series(actor, { deviceId: q.deviceId, operationId: q.operationId, metric: q.metric }, tx);
        const ids = series.map((s) => s.id);
        if (ids.length === 0) return { series, rows: [] as { series_id: number; t: Date | string; value: number | null; count: number }[] };
        const idList = sql.join(ids.map((id) => sql`${id}`), sql`, `);
        const rows = await (async () => {
          if (q.agg === 'none') {
            const r = (await tx.execute(sql`
              select series_id, ts as t, value, 1 as count from telemetry_points
              where org_id = ${actor.orgId} and series_id in (${idList}) and ts >= ${q.from} and ts < ${q.to}
              order by ts limit 10000`)) as unknown as { rows: { series_id: number; t: Date | string; value: number; count: number }[] };
            return r.rows;
          }
          const hourly = ['1h', '1d', '1w', '1mo'].includes(q.interval) && wholeHourOffsets(q.tz, q.from, q.to);
          const table = sql.identifier(hourly ? 'telemetry_rollup_1h' : 'telemetry_rollup_1m');
          const bucket =
            q.interval === '1m' || q.interval === '1h'
              ? sql`date_trunc(${q.interval === '1m' ? 'minute' : 'hour'}, bucket)`
              : q.interval === '5m'
                ? sql`to_timestamp(floor(extract(epoch from bucket) / 300) * 300)`
                : sql`date_trunc(${{ '1d': 'day', '1w': 'week', '1mo': 'month' }[q.interval]}, bucket, ${q.tz})`;
          const value = {
            avg: sql`sum(sum) / nullif(sum(count), 0)`,
            min: sql`min(min)`,
            max: sql`max(max)`,
            sum: sql`sum(sum)`,
            count: sql`sum(count)::float8`,
          }[q.agg];
          const r = (await tx.execute(sql`
            select series_id, ${bucket} as t, ${value} as value, sum(count)::int as count from ${table}
            where org_id = ${actor.orgId} and series_id in (${idList}) and bucket >= ${q.from} and bucket < ${q.to}
            group by 1, 2 order by 2, 1`)) as unknown as { rows: { series_id: number; t: Date | string; value: number | null; count: number }[] };
          return r.rows;
        })();
        return { series, rows };
      });
      const { series, rows } = out;
      return {
        series: series.map(({ lastTs: _l, lastValue: _v, ...s }) => s),
        buckets: rows.map((r) => ({
          seriesId: Number(r.series_id),
          t: new Date(r.t).toISOString(),
          value: r.value === null ? null : Number(r.value),
          count: Number(r.count),
        })),
      };
    },

    /** The retention applied to the actor's org, with the defaults. */
    async retention(actor: Actor) {
      if (!can(actor, 'telemetry:read')) throw forbidden();
      return { ...(await retentionOf(deps.orgSettings, actor.orgId)), defaults: RETENTION_DEFAULTS };
    },

    /** Series ids of an org with device and operation, for topic checks. */
    async seriesOf(orgId: string, ids: number[]) {
      if (ids.length === 0) return [];
      return inSystem(db, (tx) =>
        tx
          .select({ id: telemetrySeries.id, orgId: telemetrySeries.orgId, deviceId: telemetrySeries.deviceId, operationId: telemetrySeries.operationId, metric: telemetrySeries.metric })
          .from(telemetrySeries)
          .where(and(eq(telemetrySeries.orgId, orgId), inArray(telemetrySeries.id, ids))),
      );
    },
  };
}

export type TelemetryService = ReturnType<typeof createTelemetryService>;
