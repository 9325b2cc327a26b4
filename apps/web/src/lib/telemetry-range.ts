/** Time ranges, bucket intervals and live tails of the telemetry explorer (pure, no React). */

export const INTERVALS = ['1m', '5m', '1h', '1d', '1w', '1mo'] as const;
export type Interval = (typeof INTERVALS)[number];
export const AGGS = ['avg', 'min', 'max', 'sum', 'count', 'none'] as const;
export type Agg = (typeof AGGS)[number];

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** A bucket's nominal length (a month counts 30 days: only used to count buckets). */
export const INTERVAL_MS: Record<Interval, number> = { '1m': MIN, '5m': 5 * MIN, '1h': HOUR, '1d': DAY, '1w': 7 * DAY, '1mo': 30 * DAY };
export const INTERVAL_LABEL: Record<Interval, string> = { '1m': '1 minute', '5m': '5 minutes', '1h': '1 hour', '1d': '1 day', '1w': '1 week', '1mo': '1 month' };
export const AGG_LABEL: Record<Agg, string> = { avg: 'Average', min: 'Minimum', max: 'Maximum', sum: 'Sum', count: 'Count', none: 'Raw points' };

export const PRESETS = [
  { key: '15m', label: 'Last 15 minutes', ms: 15 * MIN },
  { key: '1h', label: 'Last hour', ms: HOUR },
  { key: '6h', label: 'Last 6 hours', ms: 6 * HOUR },
  { key: '24h', label: 'Last 24 hours', ms: DAY },
  { key: '7d', label: 'Last 7 days', ms: 7 * DAY },
  { key: '30d', label: 'Last 30 days', ms: 30 * DAY },
  { key: '90d', label: 'Last 90 days', ms: 90 * DAY },
] as const;
export type PresetKey = (typeof PRESETS)[number]['key'];
export const isPreset = (v: unknown): v is PresetKey => PRESETS.some((p) => p.key === v);

/** Buckets the chart aims for: enough to be smooth at any width, few enough to stay fast. */
export const TARGET_BUCKETS = 800;
/** Above this many buckets a chosen interval is coarsened (a year of minutes would be 525,600 points). */
export const MAX_BUCKETS = 5_000;
/** The shortest range a zoom can select. */
export const MIN_SPAN_MS = 2 * MIN;

/** The finest interval that keeps the range within `target` buckets (the coarsest when none does). */
export function chooseInterval(spanMs: number, target = TARGET_BUCKETS): Interval {
  return INTERVALS.find((i) => spanMs / INTERVAL_MS[i] <= target) ?? '1mo';
}

/** The interval to query: the chosen one (`auto`), or the user's, coarsened when it would return too many buckets. */
export function effectiveInterval(spanMs: number, requested: Interval | 'auto'): { interval: Interval; raised: boolean } {
  if (requested === 'auto') return { interval: chooseInterval(spanMs), raised: false };
  if (spanMs / INTERVAL_MS[requested] <= MAX_BUCKETS) return { interval: requested, raised: false };
  const interval = chooseInterval(spanMs, MAX_BUCKETS);
  return { interval: INTERVALS.indexOf(interval) > INTERVALS.indexOf(requested) ? interval : requested, raised: true };
}

export interface RangeSearch {
  range?: PresetKey | 'custom';
  from?: string;
  to?: string;
}

/** The absolute range of a search: a preset ends now (live), a custom range is fixed. */
export function resolveRange(s: RangeSearch, now: number): { from: number; to: number; live: boolean } {
  if (s.range === 'custom' && s.from) {
    const from = Date.parse(s.from);
    const to = s.to ? Date.parse(s.to) : now;
    if (Number.isFinite(from) && Number.isFinite(to) && to > from) return { from, to, live: !s.to };
  }
  const preset = PRESETS.find((p) => p.key === s.range) ?? PRESETS[3];
  return { from: now - preset.ms, to: now, live: true };
}

/** A zoom selection as a range of at least MIN_SPAN_MS (widened around its centre), never past `now`. */
export function zoomTo(from: number, to: number, now: number): { from: number; to: number } {
  let a = Math.min(from, to);
  let b = Math.max(from, to);
  if (b - a < MIN_SPAN_MS) {
    const mid = (a + b) / 2;
    a = mid - MIN_SPAN_MS / 2;
    b = mid + MIN_SPAN_MS / 2;
  }
  if (b > now) {
    a -= b - now;
    b = now;
  }
  return { from: Math.round(a), to: Math.round(b) };
}

/** Zoom in (factor < 1) or out (factor > 1) around the range's centre. */
export function scaleRange(from: number, to: number, factor: number, now: number) {
  const mid = (from + to) / 2;
  const half = ((to - from) * factor) / 2;
  return zoomTo(mid - half, mid + half, now);
}

export type Point = [t: number, v: number | null];

/**
 * A live tail merged into what the chart holds: points at or after `tailFrom` are replaced by the
 * tail (the server's fresh buckets, the last of which may have grown), earlier points are kept.
 * Both inputs are sorted by time.
 */
export function mergeTail(points: Point[], tail: Point[], tailFrom: number): Point[] {
  let cut = points.length;
  while (cut > 0 && points[cut - 1]![0] >= tailFrom) cut--;
  return [...points.slice(0, cut), ...tail.filter((p) => p[0] >= tailFrom)];
}

/** Where a live tail query starts: the last bucket (it may still grow), or the range's start. */
export function tailStart(points: Point[], from: number): number {
  return points.length ? points[points.length - 1]![0] : from;
}

/** Points older than the range's start (a live range slides forward) are dropped. */
export function trimBefore(points: Point[], from: number, interval: Interval | null): Point[] {
  // A bucket that starts before `from` still covers part of the range.
  const keepFrom = from - (interval ? INTERVAL_MS[interval] : 0);
  const i = points.findIndex((p) => p[0] >= keepFrom);
  return i <= 0 ? (i === 0 ? points : []) : points.slice(i);
}
