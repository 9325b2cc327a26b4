import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { Link } from '@tanstack/react-router';
import { useQuery } from '@tanstack/react-query';
import { geoMercator, geoPath, type GeoProjection } from 'd3-geo';
import { select } from 'd3-selection';
import { zoom as d3zoom, zoomIdentity, type ZoomBehavior } from 'd3-zoom';
import { Crosshair, Map as MapIcon, Minus, Plus } from 'lucide-react';
import { api, call } from '../../lib/api';
import { cn } from '../../lib/cn';
import { formatRelative } from '../../lib/format';
import { devicePosition, fanOut, fitTransform, latLng, toScreen, type LatLng, type View } from '../../lib/geo';
import { fetchAll } from '../../lib/pages';
import { can } from '../../lib/permissions';
import { devicesQuery, keys, useMe } from '../../lib/queries';
import type { Operation, OperationStatus } from '../../lib/types';
import { STATUS_COLOR, STATUS_LABEL, StatusBadge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { Card } from '../../components/ui/card';
import { Page, PageHeader, useDocumentTitle } from '../../components/ui/page';
import { EmptyState, ErrorState, NoAccess, Skeleton } from '../../components/ui/states';
import { BASEMAPS, MEDIUM_FROM_K, type Basemap } from './basemap';

const STATUSES: OperationStatus[] = ['pending', 'in_progress', 'completed', 'failed'];
const MAX_OPERATIONS = 1000;
const WORLD = '-180,-90,180,90';

interface Marker {
  id: string;
  kind: 'operation' | 'device';
  name: string;
  detail: string;
  pos: LatLng;
  status: OperationStatus | 'online' | 'offline';
}

/** Every operation with coordinates (the API's bbox filter), up to MAX_OPERATIONS. */
const locatedOperations = (): Promise<{ data: Operation[]; truncated: boolean }> =>
  fetchAll((query) => call(api.GET('/api/operations', { params: { query: { ...query, bbox: WORLD, sort: '-updatedAt' } } })), MAX_OPERATIONS);

/** The projection at zoom 1: longitudes across the width, latitudes -58° to 78° (no Antarctica) in the height. */
function projectionFor(width: number, height: number): GeoProjection {
  return geoMercator().fitExtent(
    [
      [8, 8],
      [width - 8, height - 8],
    ],
    {
      type: 'MultiPoint',
      coordinates: [
        [-179.9, -58],
        [179.9, 78],
      ],
    },
  );
}

function useSize<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ width: el.clientWidth, height: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, size] as const;
}

function MarkerDot({ m }: { m: Marker }) {
  if (m.kind === 'device') {
    return <span className={cn('block size-3 rotate-45 rounded-[2px] border-2 border-white shadow dark:border-zinc-200', m.status === 'online' ? 'bg-emerald-500' : 'bg-zinc-400')} />;
  }
  return <span className={cn('block size-3.5 rounded-full border-2 border-white shadow dark:border-zinc-200', STATUS_COLOR[m.status as OperationStatus])} />;
}

function markerLink(m: Marker) {
  return m.kind === 'operation' ? ({ to: '/operations/$operationId', params: { operationId: m.id } } as const) : ({ to: '/telemetry', search: { device: m.id } } as const);
}

/**
 * The map: a Natural Earth basemap drawn with d3-geo (Mercator) in SVG, pan and zoom with d3-zoom
 * (mouse, touch, keyboard and buttons), and the markers as links over it.
 */
function WorldMap({ markers, basemap, onZoom }: { markers: Marker[]; basemap: Basemap; onZoom: (k: number) => void }) {
  const [box, { width, height }] = useSize<HTMLDivElement>();
  const [view, setView] = useState<View>({ k: 1, x: 0, y: 0 });
  const behavior = useRef<ZoomBehavior<HTMLDivElement, unknown> | null>(null);
  const [hover, setHover] = useState<string | null>(null);
  const projection = useMemo(() => (width && height ? projectionFor(width, height) : null), [width, height]);
  const projected = useMemo(() => {
    if (!projection) return [];
    const offsets = fanOut(markers.map((m) => m.pos));
    return markers.map((m, i) => ({ m, p: projection([m.pos.lng, m.pos.lat]) as [number, number], offset: offsets[i]! }));
  }, [markers, projection]);

  const paths = useMemo(() => {
    if (!projection) return null;
    const path = geoPath(projection);
    return (
      <>
        {basemap.countries.features.map((f, i) => (
          <path key={String(f.id ?? i)} d={path(f) ?? ''} className="fill-[var(--map-land)] stroke-[var(--map-coast)]" strokeWidth={0.6} vectorEffect="non-scaling-stroke" />
        ))}
        <path d={path(basemap.borders) ?? ''} fill="none" className="stroke-[var(--map-border)]" strokeWidth={0.6} vectorEffect="non-scaling-stroke" />
      </>
    );
  }, [basemap, projection]);

  useEffect(() => {
    const el = box.current;
    if (!el || !width || !height) return;
    const z = d3zoom<HTMLDivElement, unknown>()
      .scaleExtent([1, 256])
      .translateExtent([
        [0, 0],
        [width, height],
      ])
      // d3's default (no ctrl-click, primary button only), and markers stay links: no pan from them.
      .filter((e: MouseEvent) => (!e.ctrlKey || e.type === 'wheel') && !e.button && (e.type === 'wheel' || !(e.target as HTMLElement).closest?.('a,button')))
      .on('zoom', (e: { transform: View }) => {
        setView({ k: e.transform.k, x: e.transform.x, y: e.transform.y });
        onZoom(e.transform.k);
      });
    behavior.current = z;
    select(el).call(z);
    return () => void select(el).on('.zoom', null);
  }, [box, width, height, onZoom]);

  const apply = useCallback(
    (v: View) => {
      const el = box.current;
      if (el && behavior.current) select(el).call(behavior.current.transform, zoomIdentity.translate(v.x, v.y).scale(v.k));
    },
    [box],
  );
  const fit = useCallback(() => apply(fitTransform(projected.map((x) => x.p), width, height, { maxK: 64 })), [apply, projected, width, height]);

  // Frame the markers once the map has a size (and again when the set of markers first arrives).
  const framed = useRef(false);
  useEffect(() => {
    if (framed.current || !width || !behavior.current) return;
    framed.current = true;
    fit();
  }, [fit, width]);

  const by = (factor: number) => {
    const el = box.current;
    if (el && behavior.current) select(el).call(behavior.current.scaleBy, factor);
  };
  const pan = (dx: number, dy: number) => {
    const el = box.current;
    if (el && behavior.current) select(el).call(behavior.current.translateBy, dx / view.k, dy / view.k);
  };
  const onKey = (e: KeyboardEvent) => {
    const step = 80;
    const actions: Record<string, () => void> = {
      ArrowLeft: () => pan(step, 0),
      ArrowRight: () => pan(-step, 0),
      ArrowUp: () => pan(0, step),
      ArrowDown: () => pan(0, -step),
      '+': () => by(1.6),
      '=': () => by(1.6),
      '-': () => by(1 / 1.6),
      '0': fit,
    };
    const act = actions[e.key];
    if (act && e.target === e.currentTarget) {
      e.preventDefault();
      act();
    }
  };

  const hovered = hover ? projected.find((x) => `${x.m.kind}:${x.m.id}` === hover) : null;
  return (
    <div className="relative">
      <div
        ref={box}
        tabIndex={0}
        role="application"
        aria-roledescription="map"
        aria-label="Map of operations and devices. Arrow keys pan, plus and minus zoom, 0 frames every marker; Tab moves through the markers."
        onKeyDown={onKey}
        className="relative h-[calc(100dvh-260px)] min-h-[420px] cursor-grab overflow-hidden rounded-lg bg-[var(--map-water)] active:cursor-grabbing"
        data-testid="map"
        data-zoom={view.k.toFixed(2)}
      >
        <svg width={width} height={height} className="absolute inset-0" aria-hidden="true">
          <g transform={`translate(${view.x},${view.y}) scale(${view.k})`}>{paths}</g>
        </svg>
        {projected.map(({ m, p, offset }) => {
          const [sx, sy] = toScreen(view, p);
          const x = sx + offset[0];
          const y = sy + offset[1];
          if (x < -20 || y < -20 || x > width + 20 || y > height + 20) return null;
          const key = `${m.kind}:${m.id}`;
          return (
            <Link
              key={key}
              {...markerLink(m)}
              className="absolute -translate-x-1/2 -translate-y-1/2 rounded-full p-1 focus-visible:outline-2 focus-visible:outline-offset-0"
              style={{ left: x, top: y }}
              aria-label={`${m.kind === 'operation' ? 'Operation' : 'Device'} ${m.name}: ${m.detail}`}
              data-testid="map-marker"
              data-kind={m.kind}
              data-status={m.status}
              onMouseEnter={() => setHover(key)}
              onMouseLeave={() => setHover((h) => (h === key ? null : h))}
              onFocus={() => setHover(key)}
              onBlur={() => setHover((h) => (h === key ? null : h))}
            >
              <MarkerDot m={m} />
            </Link>
          );
        })}
        {hovered ? (
          <div
            className="pointer-events-none absolute z-10 max-w-64 -translate-x-1/2 rounded-md border border-line bg-raised px-2.5 py-1.5 text-xs shadow-pop"
            style={{ left: toScreen(view, hovered.p)[0] + hovered.offset[0], top: toScreen(view, hovered.p)[1] + hovered.offset[1] + 14 }}
            role="tooltip"
          >
            <p className="truncate font-medium">{hovered.m.name}</p>
            <p className="text-fg-muted">{hovered.m.detail}</p>
          </div>
        ) : null}
      </div>
      <div className="absolute top-3 right-3 flex flex-col gap-1">
        <Button size="icon-sm" aria-label="Zoom in" title="Zoom in (+)" onClick={() => by(1.6)}>
          <Plus aria-hidden="true" />
        </Button>
        <Button size="icon-sm" aria-label="Zoom out" title="Zoom out (−)" onClick={() => by(1 / 1.6)}>
          <Minus aria-hidden="true" />
        </Button>
        <Button size="icon-sm" aria-label="Show every marker" title="Show every marker (0)" onClick={fit}>
          <Crosshair aria-hidden="true" />
        </Button>
      </div>
      <p className="pointer-events-none absolute right-2 bottom-1.5 rounded bg-surface/70 px-1.5 text-[10.5px] text-fg-subtle">Basemap: Natural Earth (public domain)</p>
    </div>
  );
}

export function MapPage() {
  useDocumentTitle('Map');
  const me = useMe();
  const canOps = can(me, 'operations:read');
  const canDevices = can(me, 'devices:read');
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [detail, setDetail] = useState<'low' | 'medium'>('low');

  const ops = useQuery({ queryKey: [...keys.operations, 'map'], queryFn: locatedOperations, enabled: canOps, staleTime: 30_000 });
  const devices = useQuery({ ...devicesQuery, enabled: canDevices, staleTime: 30_000 });
  const low = useQuery({ queryKey: ['basemap', 'low'], queryFn: BASEMAPS.low, staleTime: Infinity, gcTime: Infinity });
  const medium = useQuery({ queryKey: ['basemap', 'medium'], queryFn: BASEMAPS.medium, staleTime: Infinity, gcTime: Infinity, enabled: detail === 'medium' });
  const basemap = (detail === 'medium' ? medium.data : undefined) ?? low.data;
  const onZoom = useCallback((k: number) => {
    if (k >= MEDIUM_FROM_K) setDetail('medium');
  }, []);

  const all = useMemo(() => {
    const out: Marker[] = [];
    const located = new Map<string, Operation>();
    for (const op of ops.data?.data ?? []) {
      const pos = latLng(op.location.lat, op.location.lng);
      if (!pos) continue;
      located.set(op.id, op);
      out.push({ id: op.id, kind: 'operation', name: op.name, detail: [STATUS_LABEL[op.status], op.location.text].filter(Boolean).join(' · '), pos, status: op.status });
    }
    for (const d of devices.data?.data ?? []) {
      const op = d.operationId ? located.get(d.operationId) : undefined;
      const pos = devicePosition(d.metadata, op ? op.location : null);
      if (!pos) continue;
      out.push({ id: d.id, kind: 'device', name: d.name, detail: `${d.online ? 'Online' : 'Offline'} · last seen ${d.lastSeenAt ? formatRelative(d.lastSeenAt) : 'never'}`, pos, status: d.online ? 'online' : 'offline' });
    }
    return out;
  }, [ops.data, devices.data]);
  const counts = useMemo(() => all.reduce<Record<string, number>>((c, m) => ({ ...c, [m.status]: (c[m.status] ?? 0) + 1 }), {}), [all]);
  const markers = useMemo(() => all.filter((m) => !hidden.has(m.status) && !(m.kind === 'device' && hidden.has('devices'))), [all, hidden]);
  const unplacedDevices = (devices.data?.data.length ?? 0) - all.filter((m) => m.kind === 'device').length;

  if (!canOps && !canDevices) return <NoAccess what="operations or devices" />;

  const toggle = (key: string) =>
    setHidden((h) => {
      const n = new Set(h);
      if (n.has(key)) n.delete(key);
      else n.add(key);
      return n;
    });
  const error = ops.error ?? devices.error ?? low.error;
  const loading = (canOps && ops.isLoading) || (canDevices && devices.isLoading) || low.isLoading;

  return (
    <Page>
      <PageHeader title="Map" description="Where operations and devices are. Works offline: the basemap ships with the console." />
      <div className="mb-3 flex flex-wrap items-center gap-3">
        <div className="flex flex-wrap items-center gap-1" role="group" aria-label="Show on the map">
          {canOps
            ? STATUSES.map((s) => (
                <button
                  key={s}
                  type="button"
                  aria-pressed={!hidden.has(s)}
                  onClick={() => toggle(s)}
                  className={cn('flex h-8 items-center gap-1.5 rounded-md border px-2.5 text-[13px] font-medium', !hidden.has(s) ? 'border-line bg-surface text-fg' : 'border-dashed border-line text-fg-subtle')}
                >
                  <span className={cn('size-2.5 rounded-full', STATUS_COLOR[s], hidden.has(s) && 'opacity-40')} aria-hidden="true" />
                  {STATUS_LABEL[s]}
                  <span className="text-xs font-normal text-fg-subtle tabular">{counts[s] ?? 0}</span>
                </button>
              ))
            : null}
          {canDevices ? (
            <button
              type="button"
              aria-pressed={!hidden.has('devices')}
              onClick={() => toggle('devices')}
              className={cn('flex h-8 items-center gap-1.5 rounded-md border px-2.5 text-[13px] font-medium', !hidden.has('devices') ? 'border-line bg-surface text-fg' : 'border-dashed border-line text-fg-subtle')}
            >
              <span className={cn('size-2 rotate-45 rounded-[1px] bg-emerald-500', hidden.has('devices') && 'opacity-40')} aria-hidden="true" />
              Devices
              <span className="text-xs font-normal text-fg-subtle tabular">
                {(counts.online ?? 0) + (counts.offline ?? 0)} · {counts.online ?? 0} online
              </span>
            </button>
          ) : null}
        </div>
      </div>
      <div className="grid grid-cols-1 gap-4 xl:grid-cols-[minmax(0,1fr)_300px]">
        <Card as="div" className="p-1.5">
          {error ? (
            <ErrorState error={error} onRetry={() => void Promise.all([ops.refetch(), devices.refetch(), low.refetch()])} />
          ) : loading || !basemap ? (
            <Skeleton className="h-[calc(100dvh-260px)] min-h-[420px]" />
          ) : (
            <WorldMap markers={markers} basemap={basemap} onZoom={onZoom} />
          )}
        </Card>
        <Card aria-labelledby="map-list" className="flex max-h-[calc(100dvh-240px)] min-h-0 flex-col">
          <h2 id="map-list" className="border-b border-line px-4 py-2.5 text-[13px] font-semibold">
            On the map <span className="font-normal text-fg-subtle">({markers.length})</span>
          </h2>
          {!loading && all.length === 0 ? (
            <EmptyState
              icon={<MapIcon />}
              title="Nothing to place yet"
              description="Operations appear here once they have a latitude and longitude; devices once their metadata has lat/lng or their operation has a place."
              className="py-8"
            />
          ) : (
            <ul className="min-h-0 flex-1 divide-y divide-line overflow-y-auto">
              {markers.map((m) => (
                <li key={`${m.kind}:${m.id}`}>
                  <Link {...markerLink(m)} className="flex items-center gap-2.5 px-4 py-2 hover:bg-hover">
                    <MarkerDot m={m} />
                    <span className="min-w-0 flex-1">
                      <span className="block truncate text-[13px] font-medium">{m.name}</span>
                      <span className="block truncate text-xs text-fg-subtle">{m.kind === 'device' ? m.detail : `${m.pos.lat.toFixed(3)}, ${m.pos.lng.toFixed(3)}`}</span>
                    </span>
                    {m.kind === 'operation' ? <StatusBadge status={m.status as OperationStatus} /> : null}
                  </Link>
                </li>
              ))}
            </ul>
          )}
          {ops.data?.truncated || unplacedDevices > 0 ? (
            <p className="border-t border-line px-4 py-2 text-xs text-fg-subtle">
              {ops.data?.truncated ? `The ${MAX_OPERATIONS} most recently updated operations are shown. ` : ''}
              {unplacedDevices > 0 ? `${unplacedDevices} device${unplacedDevices === 1 ? ' has' : 's have'} no position.` : ''}
            </p>
          ) : null}
        </Card>
      </div>
    </Page>
  );
}
