import { lazy, Suspense, useEffect, useMemo, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useQuery } from '@tanstack/react-query';
import { Activity, CalendarRange, Cpu, LineChart, RotateCcw, ZoomIn, ZoomOut } from 'lucide-react';
import { api, call } from '../../lib/api';
import { cn } from '../../lib/cn';
import { formatFull, formatNumber, formatRange, formatRelative, fromLocalInput, timeZone, toLocalInput } from '../../lib/format';
import { liveSeries, subscribeLive } from '../../lib/live-telemetry';
import { can } from '../../lib/permissions';
import { devicesQuery, keys, useMe } from '../../lib/queries';
import {
  AGG_LABEL,
  AGGS,
  effectiveInterval,
  INTERVAL_LABEL,
  INTERVALS,
  mergeTail,
  PRESETS,
  resolveRange,
  scaleRange,
  tailStart,
  trimBefore,
  zoomTo,
  type Agg,
  type Interval,
  type Point,
} from '../../lib/telemetry-range';
import type { TelemetryResult } from '../../lib/types';
import type { TelemetrySearch } from '../../app/search';
import { useTopic } from '../../app/realtime';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { Card, CardHeader } from '../../components/ui/card';
import { Field, Input, Select } from '../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { EmptyState, ErrorState, NoAccess, Skeleton } from '../../components/ui/states';

const telemetryRoute = getRouteApi('/app/telemetry');

const TimeChart = lazy(() => import('../../components/ui/time-chart').then((m) => ({ default: m.TimeChart })));

interface Loaded {
  from: number;
  to: number;
  interval: Interval;
  series: TelemetryResult['series'];
  points: Map<number, Point[]>;
  /** The range ends now (a preset): live points are merged in. */
  live: boolean;
  /** The user's interval was coarsened for this range. */
  raised: boolean;
}

/** Buckets of one response, per series, as [epoch ms, value]. */
function pointsBySeries(res: TelemetryResult): Map<number, Point[]> {
  const out = new Map<number, Point[]>(res.series.map((s) => [s.id, []]));
  for (const b of res.buckets) out.get(b.seriesId)?.push([Date.parse(b.t), b.value]);
  return out;
}

function fetchTelemetry(deviceId: string, metric: string, from: number, to: number, interval: Interval, agg: Agg) {
  return call(
    api.GET('/api/telemetry', {
      params: { query: { deviceId, metric, from: new Date(from).toISOString(), to: new Date(to).toISOString(), interval, agg, tz: timeZone } },
    }),
  );
}

/**
 * The range on screen, with a live tail: while the range ends "now", every telemetry event of the
 * series (device topic) asks the server for the buckets from the last one on, and merges them in,
 * so a growing bucket is exact whatever the aggregation. The whole range is re-read every minute,
 * which also slides its start.
 */
function useExplorerData(deviceId: string | undefined, metric: string | undefined, search: TelemetrySearch) {
  const agg: Agg = search.agg ?? 'avg';
  const requested = search.interval ?? 'auto';
  const main = useQuery({
    queryKey: [...keys.telemetry, 'explore', deviceId, metric, search.range ?? '24h', search.from, search.to, requested, agg],
    queryFn: async (): Promise<Loaded> => {
      const { from, to, live } = resolveRange(search, Date.now());
      const { interval, raised } = effectiveInterval(to - from, requested);
      const res = await fetchTelemetry(deviceId!, metric!, from, to, interval, agg);
      return { from, to, live, raised, interval, series: res.series, points: pointsBySeries(res) };
    },
    enabled: !!deviceId && !!metric,
    placeholderData: (prev, prevQuery) => (prevQuery?.queryKey[3] === deviceId && prevQuery?.queryKey[4] === metric ? prev : undefined),
    refetchInterval: (q) => (q.state.data?.live ? 60_000 : false),
    staleTime: 30_000,
  });

  const [view, setView] = useState<Loaded | null>(null);
  useEffect(() => setView(main.data ?? null), [main.data]);

  const seriesId = main.data?.series[0]?.id;
  const live = useSyncExternalStore(subscribeLive, () => (seriesId === undefined ? null : liveSeries(seriesId)));
  const inflight = useRef(false);
  const again = useRef(false);
  const viewRef = useRef(view);
  viewRef.current = view;

  useEffect(() => {
    const base = main.data;
    if (!base?.live || !live?.length || main.isPlaceholderData) return;
    let cancelled = false;
    const pull = async () => {
      if (inflight.current) {
        again.current = true;
        return;
      }
      inflight.current = true;
      try {
        const cur = viewRef.current ?? base;
        const now = Date.now();
        const span = base.to - base.from;
        const tailFrom = Math.min(...[...cur.points.values()].map((p) => tailStart(p, cur.from)));
        const res = await fetchTelemetry(deviceId!, metric!, tailFrom, now + 1000, base.interval, agg);
        if (cancelled) return;
        const tail = pointsBySeries(res);
        const from = now - span;
        const points = new Map([...cur.points].map(([id, p]) => [id, trimBefore(mergeTail(p, tail.get(id) ?? [], tailFrom), from, agg === 'none' ? null : base.interval)]));
        setView({ ...cur, from, to: now, points });
      } catch {
        // The next event or the minute's refetch tries again.
      } finally {
        inflight.current = false;
        if (again.current && !cancelled) {
          again.current = false;
          setTimeout(() => void pull(), 500);
        }
      }
    };
    const t = setTimeout(() => void pull(), 250);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
    // The live array changes identity with each point of this series.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live]);

  return { main, view, agg };
}

function CustomRange({ from, to, onApply }: { from: number; to: number; onApply: (from: string, to: string) => void }) {
  const [a, setA] = useState(toLocalInput(new Date(from).toISOString()));
  const [b, setB] = useState(toLocalInput(new Date(to).toISOString()));
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const f = fromLocalInput(a);
    const t = fromLocalInput(b);
    if (!f || !t) return setError('Enter both dates.');
    if (Date.parse(t) <= Date.parse(f)) return setError('The end must be after the start.');
    setError(null);
    onApply(f, t);
  };
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2 border-t border-line px-4 py-3" aria-label="Custom range">
      <Field label="From" className="w-52">
        <Input type="datetime-local" value={a} onChange={(e) => setA(e.target.value)} />
      </Field>
      <Field label="To" className="w-52">
        <Input type="datetime-local" value={b} onChange={(e) => setB(e.target.value)} />
      </Field>
      <Button type="submit" variant="primary">
        Apply
      </Button>
      {error ? (
        <p role="alert" className="pb-1.5 text-xs text-red-600 dark:text-red-400">
          {error}
        </p>
      ) : null}
    </form>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="min-w-0">
      <p className="text-[11px] font-medium tracking-wide text-fg-subtle uppercase">{label}</p>
      <p className="truncate text-[15px] font-semibold tabular">{value}</p>
    </div>
  );
}

export function TelemetryExplorerPage() {
  useDocumentTitle('Telemetry explorer');
  const me = useMe();
  const search = telemetryRoute.useSearch();
  const navigate = useNavigate({ from: '/telemetry' });
  const allowed = can(me, 'telemetry:read');
  const canDevices = can(me, 'devices:read');
  const [customOpen, setCustomOpen] = useState(search.range === 'custom');

  const set = (patch: Partial<TelemetrySearch>, replace = true) =>
    void navigate({ search: (prev: TelemetrySearch) => Object.fromEntries(Object.entries({ ...prev, ...patch }).filter(([, v]) => v !== undefined)) as TelemetrySearch, replace });

  const devices = useQuery({ ...devicesQuery, enabled: allowed && canDevices, staleTime: 15_000 });
  const deviceList = devices.data?.data ?? [];
  const deviceId = search.device ?? deviceList[0]?.id;
  const device = deviceList.find((d) => d.id === deviceId);
  const series = useQuery({
    queryKey: [...keys.telemetry, 'series', deviceId],
    queryFn: () => call(api.GET('/api/telemetry/latest', { params: { query: { deviceId: deviceId! } } })),
    enabled: allowed && !!deviceId,
    staleTime: 15_000,
  });
  const metrics = useMemo(() => [...new Set((series.data?.data ?? []).map((s) => s.metric))], [series.data]);
  const metric = search.metric && metrics.includes(search.metric) ? search.metric : metrics[0];
  const info = series.data?.data.find((s) => s.metric === metric);
  useTopic(deviceId ? `device:${deviceId}` : null, allowed && !!deviceId);

  const { main, view, agg } = useExplorerData(deviceId, metric, search);
  const shown = view ?? main.data ?? null;

  const chartSeries = useMemo(
    () =>
      (shown?.series ?? []).map((s) => ({
        label: shown!.series.length > 1 && s.operationId ? `${s.metric} (operation ${s.operationId.slice(0, 8)})` : s.metric,
        points: (shown!.points.get(s.id) ?? []).map(([t, v]) => [t / 1000, v] as [number, number | null]),
      })),
    [shown],
  );
  const values = chartSeries.flatMap((s) => s.points.map((p) => p[1])).filter((v): v is number => v != null);
  const pointCount = chartSeries.reduce((n, s) => n + s.points.length, 0);
  // A count has no unit; every other aggregation keeps the series'.
  const seriesUnit = shown?.series[0]?.unit ?? info?.unit ?? null;
  const unit = agg === 'count' ? null : seriesUnit;
  const lastLive = info ? liveSeries(info.id).at(-1) : undefined;
  const latest = lastLive && (!info?.lastTs || lastLive.t >= Date.parse(info.lastTs)) ? { v: lastLive.v, t: lastLive.t } : info?.lastTs ? { v: info.lastValue, t: Date.parse(info.lastTs) } : null;

  const range = shown ? { from: shown.from, to: shown.to } : resolveRange(search, Date.now());
  const zoom = (r: { from: number; to: number }) =>
    set({ range: 'custom', from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString(), interval: search.interval === undefined || search.interval === 'auto' ? undefined : search.interval }, false);
  const zoomed = search.range === 'custom';

  if (!allowed) return <NoAccess what="telemetry" />;

  const toolbar = (
    <Card as="div" className="mb-4">
      <div className="flex flex-wrap items-end gap-3 px-4 py-3">
        <Field label="Device" className="w-48">
          <Select value={deviceId ?? ''} onChange={(e) => set({ device: e.target.value, metric: undefined })} disabled={!deviceList.length}>
            {deviceList.length === 0 ? <option value="">No devices</option> : null}
            {deviceList.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
                {d.online ? '' : ' (offline)'}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Metric" className="w-44">
          <Select value={metric ?? ''} onChange={(e) => set({ metric: e.target.value })} disabled={!metrics.length}>
            {metrics.length === 0 ? <option value="">{series.isLoading ? 'Loading…' : 'No metrics'}</option> : null}
            {metrics.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </Select>
        </Field>
        <Field label="Interval" className="w-36">
          <Select value={search.interval ?? 'auto'} onChange={(e) => set({ interval: e.target.value === 'auto' ? undefined : (e.target.value as Interval) })}>
            <option value="auto">Auto{shown && (search.interval ?? 'auto') === 'auto' ? ` (${INTERVAL_LABEL[shown.interval]})` : ''}</option>
            {INTERVALS.map((i) => (
              <option key={i} value={i}>
                {INTERVAL_LABEL[i]}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Aggregation" className="w-32">
          <Select value={agg} onChange={(e) => set({ agg: e.target.value === 'avg' ? undefined : (e.target.value as Agg) })}>
            {AGGS.map((a) => (
              <option key={a} value={a}>
                {AGG_LABEL[a]}
              </option>
            ))}
          </Select>
        </Field>
        <div className="flex flex-col gap-1.5">
          <span className="text-[13px] font-medium" id="range-label">
            Time range
          </span>
          <div className="flex h-8 flex-wrap items-center rounded-md border border-line bg-surface px-0.5" role="group" aria-labelledby="range-label">
            {PRESETS.map((p) => (
              <button
                key={p.key}
                type="button"
                aria-pressed={(search.range ?? '24h') === p.key}
                title={p.label}
                onClick={() => {
                  setCustomOpen(false);
                  set({ range: p.key === '24h' ? undefined : p.key, from: undefined, to: undefined });
                }}
                className={cn('h-6 rounded px-2 text-xs font-medium', (search.range ?? '24h') === p.key ? 'bg-active text-fg' : 'text-fg-muted hover:text-fg')}
              >
                {p.key}
              </button>
            ))}
            <button
              type="button"
              aria-pressed={search.range === 'custom'}
              aria-expanded={customOpen}
              onClick={() => setCustomOpen((o) => !o)}
              className={cn('flex h-6 items-center gap-1 rounded px-2 text-xs font-medium', search.range === 'custom' ? 'bg-active text-fg' : 'text-fg-muted hover:text-fg')}
            >
              <CalendarRange className="size-3.5" aria-hidden="true" /> Custom
            </button>
          </div>
        </div>
      </div>
      {customOpen ? (
        <CustomRange
          key={`${range.from}-${range.to}`}
          from={range.from}
          to={range.to}
          onApply={(from, to) => set({ range: 'custom', from, to }, false)}
        />
      ) : null}
    </Card>
  );

  let body;
  if (!canDevices) {
    body = <EmptyState icon={<Cpu />} title="Devices are not visible to you" description="The explorer charts a device’s series: your role needs devices:read." />;
  } else if (devices.error) {
    body = <ErrorState error={devices.error} onRetry={() => void devices.refetch()} />;
  } else if (devices.isLoading || (deviceId && series.isLoading)) {
    body = <Skeleton className="h-[360px]" />;
  } else if (!deviceId) {
    body = (
      <EmptyState
        icon={<Cpu />}
        title="No devices yet"
        description="Register a device, send it some telemetry, and explore it here."
        action={can(me, 'devices:manage') ? <Link to="/admin/devices" className="text-[13px] font-medium text-accent hover:underline">Register a device</Link> : undefined}
      />
    );
  } else if (series.error) {
    body = <ErrorState error={series.error} onRetry={() => void series.refetch()} />;
  } else if (!metric) {
    body = <EmptyState icon={<LineChart />} title="This device has sent no telemetry" description="Its metrics appear here once it sends points (HTTP with its device key, or MQTT)." />;
  } else if (main.error) {
    body = <ErrorState error={main.error} onRetry={() => void main.refetch()} />;
  } else if (!shown) {
    body = <Skeleton className="h-[360px]" />;
  } else if (pointCount === 0) {
    body = (
      <EmptyState
        icon={<LineChart />}
        title="No points in this range"
        description={latest ? `The last point came ${formatRelative(latest.t)}. Pick a longer range.` : 'Pick a longer range.'}
        action={
          <Button onClick={() => set({ range: '30d', from: undefined, to: undefined })}>
            <ZoomOut aria-hidden="true" /> Last 30 days
          </Button>
        }
      />
    );
  } else {
    body = (
      <Suspense fallback={<Skeleton className="h-[360px]" />}>
        <TimeChart series={chartSeries} unit={unit} height={360} xRange={[shown.from, shown.to]} onZoom={(a, b) => zoom(zoomTo(a, b, Date.now()))} ariaLabel={`${metric} of ${device?.name ?? 'the device'}, ${formatRange(shown.from, shown.to)}`} />
      </Suspense>
    );
  }

  return (
    <Page>
      <PageHeader title="Telemetry explorer" description="Any device’s series over any range, aggregated by the server so long ranges stay smooth." />
      {toolbar}
      <Card aria-labelledby="chart-title">
        <CardHeader
          id="chart-title"
          title={
            <span className="flex items-center gap-2">
              {metric ?? 'Telemetry'}
              {device ? <span className="font-normal text-fg-subtle">· {device.name}</span> : null}
              {shown?.live && !zoomed ? (
                <Badge tone="green" dot>
                  Live
                </Badge>
              ) : null}
            </span>
          }
          description={
            shown
              ? `${formatRange(shown.from, shown.to)} · ${agg === 'none' ? 'raw points' : `${AGG_LABEL[agg].toLowerCase()} per ${INTERVAL_LABEL[shown.interval]}`}${pointCount ? ' · drag across the chart to zoom in' : ''}`
              : undefined
          }
          actions={
            shown ? (
              <>
                {main.isFetching ? (
                  <span className="text-xs text-fg-subtle" role="status">
                    Loading…
                  </span>
                ) : null}
                <Button size="icon-sm" variant="ghost" aria-label="Zoom in" title="Zoom in" onClick={() => zoom(scaleRange(range.from, range.to, 0.5, Date.now()))}>
                  <ZoomIn aria-hidden="true" />
                </Button>
                <Button size="icon-sm" variant="ghost" aria-label="Zoom out" title="Zoom out" onClick={() => zoom(scaleRange(range.from, range.to, 2, Date.now()))}>
                  <ZoomOut aria-hidden="true" />
                </Button>
                {zoomed ? (
                  <Button size="sm" onClick={() => set({ range: undefined, from: undefined, to: undefined }, false)}>
                    <RotateCcw aria-hidden="true" /> Last 24 hours
                  </Button>
                ) : null}
              </>
            ) : undefined
          }
        />
        {shown?.raised ? (
          <p className="border-b border-line bg-amber-500/8 px-4 py-2 text-xs text-amber-800 dark:text-amber-300" role="status">
            {INTERVAL_LABEL[search.interval as Interval]} buckets over this range would be too many points: shown per {INTERVAL_LABEL[shown.interval]}.
          </p>
        ) : null}
        <div className="p-4" data-testid="explorer-chart" data-points={pointCount} data-interval={shown?.interval ?? ''} data-from={shown?.from ?? ''} data-to={shown?.to ?? ''}>
          {body}
        </div>
        {metric && shown && pointCount > 0 ? (
          <div className="grid grid-cols-2 gap-4 border-t border-line px-4 py-3 sm:grid-cols-5">
            <Stat label="Latest" value={latest?.v != null ? `${formatNumber(latest.v)}${seriesUnit ? ` ${seriesUnit}` : ''}` : '—'} />
            <Stat label="Minimum" value={values.length ? `${formatNumber(Math.min(...values))}${unit ? ` ${unit}` : ''}` : '—'} />
            <Stat label="Maximum" value={values.length ? `${formatNumber(Math.max(...values))}${unit ? ` ${unit}` : ''}` : '—'} />
            <Stat label={agg === 'none' ? 'Points' : 'Buckets'} value={formatNumber(pointCount)} />
            <div className="min-w-0">
              <p className="text-[11px] font-medium tracking-wide text-fg-subtle uppercase">Last point</p>
              {latest ? (
                <p className="truncate text-[13px] text-fg-muted">
                  <time dateTime={new Date(latest.t).toISOString()} title={formatFull(latest.t)}>
                    <Activity className="mr-1 inline size-3.5 text-emerald-500" aria-hidden="true" />
                    {formatRelative(latest.t)}
                  </time>
                </p>
              ) : (
                <p className="text-[13px] text-fg-subtle">—</p>
              )}
            </div>
          </div>
        ) : null}
      </Card>
      {device && can(me, 'devices:read') ? (
        <p className="mt-3 text-xs text-fg-subtle">
          {device.online ? 'Online' : 'Offline'} · last seen {device.lastSeenAt ? formatRelative(device.lastSeenAt) : 'never'} · times in {timeZone}
        </p>
      ) : null}
    </Page>
  );
}
