/** Telemetry points received live (the `telemetry` and `operation:<id>` topics), per series. */
export interface LivePoint {
  t: number; // epoch ms
  v: number;
}
export interface LiveSeriesInfo {
  seriesId: number;
  deviceId: string | null;
  operationId: string | null;
  metric: string;
}

const MAX_POINTS = 600;
const points = new Map<number, LivePoint[]>();
const info = new Map<number, LiveSeriesInfo>();
const listeners = new Set<() => void>();
let version = 0;

export function pushTelemetry(p: { seriesId: number; deviceId: string | null; operationId: string | null; metric: string; t: string; value: number }) {
  const t = Date.parse(p.t);
  if (!Number.isFinite(t) || typeof p.value !== 'number') return;
  info.set(p.seriesId, { seriesId: p.seriesId, deviceId: p.deviceId, operationId: p.operationId, metric: p.metric });
  let arr = points.get(p.seriesId);
  if (!arr) points.set(p.seriesId, (arr = []));
  const last = arr[arr.length - 1];
  if (last && last.t === t) return; // the same point from two topics
  if (last && t < last.t) {
    // Late point: keep the array sorted.
    const i = arr.findIndex((x) => x.t > t);
    if (arr[i - 1]?.t === t) return;
    arr.splice(i, 0, { t, v: p.value });
  } else arr.push({ t, v: p.value });
  if (arr.length > MAX_POINTS) arr.splice(0, arr.length - MAX_POINTS);
  points.set(p.seriesId, arr.slice());
  version++;
  for (const fn of listeners) fn();
}

export function liveSeries(seriesId: number): LivePoint[] {
  return points.get(seriesId) ?? EMPTY;
}
export function liveInfo(): LiveSeriesInfo[] {
  return [...info.values()];
}
const EMPTY: LivePoint[] = [];

export function subscribeLive(fn: () => void) {
  listeners.add(fn);
  return () => void listeners.delete(fn);
}
export const liveVersion = () => version;

export function resetLive() {
  points.clear();
  info.clear();
  version++;
  for (const fn of listeners) fn();
}
