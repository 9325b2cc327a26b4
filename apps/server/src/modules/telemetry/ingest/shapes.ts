/**
 * Normalises the accepted point shapes into flat points, and reports bad ones by index:
 * - `{ operationId?, deviceId?, metricName, value, unit?, timestamp? }` (IMSOP's own);
 * - ThingsBoard style `{ ts, values: { metric: value } }`, `{ metric: value }` and arrays of them.
 */
export interface RawPoint {
  metric: string;
  value: number;
  unit: string | null;
  tsMs: number;
  /** The sender gave the timestamp (otherwise it is the time of arrival). */
  timestamped: boolean;
  deviceId: string | null;
  operationId: string | null;
}

export interface PointError {
  index: number;
  reason: string;
}

export const METRIC_PATTERN = /^[A-Za-z][A-Za-z0-9_.:/-]{0,127}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Points may arrive late without limit, but never more than this far in the future. */
export const MAX_FUTURE_MS = 5 * 60_000;
/** Before 2000-01-01 is a clock that was never set. */
const MIN_TS = Date.UTC(2000, 0, 1);
export const MAX_POINTS_PER_REQUEST = 10_000;
/** Beyond this, the rollups' sums of squares would overflow float8 (and no sensor reads 1e100). */
export const MAX_ABS_VALUE = 1e100;

export interface Defaults {
  deviceId: string | null;
  operationId: string | null;
  now: number;
}

function parseTs(v: unknown, now: number): number | string {
  if (v === undefined || v === null) return now;
  let ms: number;
  if (typeof v === 'number') ms = v < 1e11 ? v * 1000 : v; // seconds or milliseconds
  else if (typeof v === 'string' && v.length <= 40) ms = Date.parse(v);
  else return 'timestamp must be an ISO 8601 string or epoch milliseconds';
  if (!Number.isFinite(ms)) return 'timestamp is not a valid date';
  if (ms > now + MAX_FUTURE_MS) return 'timestamp is more than 5 minutes in the future';
  if (ms < MIN_TS) return 'timestamp is before the year 2000';
  return Math.floor(ms);
}

function checkValue(v: unknown): number | string {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number') return 'value must be a number';
  if (!Number.isFinite(v)) return 'value must be a finite number';
  if (Math.abs(v) > MAX_ABS_VALUE) return 'value must be within ±1e100';
  return v;
}

function checkMetric(m: unknown): string | null {
  if (typeof m !== 'string' || !METRIC_PATTERN.test(m)) {
    return 'metric name must start with a letter and contain only letters, digits and _ . : / - (at most 128)';
  }
  return null;
}

function checkId(v: unknown, name: string): string | null | { error: string } {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !UUID.test(v)) return { error: `${name} must be a UUID` };
  return v.toLowerCase();
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Flattens one item (which may hold several metrics) into points, or an error for the item. */
function normaliseItem(item: unknown, d: Defaults): RawPoint[] | string {
  if (!isPlainObject(item)) return 'each point must be a JSON object';
  if ('metricName' in item || 'metric' in item) {
    const metric = item.metricName ?? item.metric;
    const bad = checkMetric(metric);
    if (bad) return bad;
    const value = checkValue(item.value);
    if (typeof value === 'string') return value;
    const givenTs = item.timestamp ?? item.ts;
    const tsMs = parseTs(givenTs, d.now);
    if (typeof tsMs === 'string') return tsMs;
    const deviceId = checkId(item.deviceId, 'deviceId');
    const operationId = checkId(item.operationId, 'operationId');
    if (deviceId && typeof deviceId === 'object') return deviceId.error;
    if (operationId && typeof operationId === 'object') return operationId.error;
    if (item.unit !== undefined && item.unit !== null && (typeof item.unit !== 'string' || item.unit.length > 32)) {
      return 'unit must be a string of at most 32 characters';
    }
    const point: RawPoint = {
      metric: metric as string,
      value,
      unit: (item.unit as string | undefined) ?? null,
      tsMs,
      timestamped: givenTs !== undefined && givenTs !== null,
      deviceId: deviceId ?? d.deviceId,
      operationId: operationId ?? d.operationId,
    };
    if (!point.deviceId && !point.operationId) return 'say which operationId or deviceId the point belongs to';
    return [point];
  }
  // ThingsBoard: { ts, values: {...} } or a bare { metric: value, ... }.
  const values = isPlainObject(item.values) ? item.values : 'ts' in item ? null : item;
  if (!values) return 'values must be an object of metric: number';
  const givenTs = isPlainObject(item.values) ? item.ts : undefined;
  const tsMs = parseTs(givenTs, d.now);
  if (typeof tsMs === 'string') return tsMs;
  const timestamped = givenTs !== undefined && givenTs !== null;
  if (!d.deviceId && !d.operationId) return 'say which operationId or deviceId the point belongs to';
  const out: RawPoint[] = [];
  const entries = Object.entries(values);
  if (entries.length === 0) return 'values is empty';
  for (const [metric, raw] of entries) {
    const bad = checkMetric(metric);
    if (bad) return `${metric.slice(0, 40)}: ${bad}`;
    const value = checkValue(raw);
    if (typeof value === 'string') return `${metric}: ${value}`;
    out.push({ metric, value, unit: null, tsMs, timestamped, deviceId: d.deviceId, operationId: d.operationId });
  }
  return out;
}

/** Is the body one point in IMSOP's own shape (`{ operationId?, deviceId?, metricName, value, … }`), not a batch? */
export function isSinglePoint(body: unknown): body is Record<string, unknown> {
  return isPlainObject(body) && !Array.isArray(body.points) && ('metricName' in body || 'metric' in body);
}

/** The body as a list of items: an array, `{ points: [...] }`, or one item. */
export function itemsOf(body: unknown): unknown[] | null {
  if (Array.isArray(body)) return body;
  if (isPlainObject(body) && Array.isArray(body.points)) return body.points;
  if (isPlainObject(body)) return [body];
  return null;
}

export function normalise(items: unknown[], d: Defaults): { points: RawPoint[]; errors: PointError[]; pointIndex: number[] } {
  const points: RawPoint[] = [];
  const pointIndex: number[] = [];
  const errors: PointError[] = [];
  items.forEach((item, index) => {
    const r = normaliseItem(item, d);
    if (typeof r === 'string') errors.push({ index, reason: r });
    else
      for (const p of r) {
        points.push(p);
        pointIndex.push(index);
      }
  });
  return { points, errors, pointIndex };
}
