import { useEffect, useRef, useSyncExternalStore } from 'react';
import uPlot from 'uplot';
import { formatNumber } from '../../lib/format';
import { isDark, subscribeTheme } from '../../lib/theme';

export interface ChartSeries {
  label: string;
  /** [epoch seconds, value] pairs, sorted by time. */
  points: [number, number | null][];
}

const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const PALETTE = ['#6366f1', '#10b981', '#f59e0b', '#ef4444', '#0ea5e9', '#a855f7'];
const hm = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dm = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const tip = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** Axis labels in the user's locale and time zone: times, with the date where the day changes. */
function timeLabels(u: uPlot, splits: number[]): string[] {
  const range = (u.scales.x!.max ?? 0) - (u.scales.x!.min ?? 0);
  return splits.map((s, i) => {
    const d = new Date(s * 1000);
    if (range > 3 * 86400) return dm.format(d);
    const prev = i > 0 ? new Date(splits[i - 1]! * 1000) : null;
    return !prev || prev.getDate() !== d.getDate() ? `${hm.format(d)}\n${dm.format(d)}` : hm.format(d);
  });
}

const escapeHtml = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Aligns several series on one time axis (uPlot's data layout). */
function align(series: ChartSeries[]): uPlot.AlignedData {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const cols = series.map((s) => {
    const col: (number | null)[] = new Array(times.length).fill(null);
    for (const [t, v] of s.points) col[index.get(t)!] = v;
    return col;
  });
  return [times, ...cols] as uPlot.AlignedData;
}

/**
 * A zoomable time-series chart (uPlot, canvas): drag to zoom, double-click to reset. Times are
 * shown in the browser's time zone. Re-renders in place when data changes, and follows the theme
 * and the container's width.
 */
export function TimeChart({
  series,
  height = 240,
  unit,
  ariaLabel,
  onZoom,
  xRange,
}: {
  series: ChartSeries[];
  height?: number;
  unit?: string | null;
  ariaLabel: string;
  /**
   * Drag-to-zoom is handed to the caller (epoch ms) instead of zooming in place: the telemetry
   * explorer re-queries the server at a finer interval for the selected range.
   */
  onZoom?: (fromMs: number, toMs: number) => void;
  /** The time axis shows exactly this range (epoch ms) instead of fitting the data. */
  xRange?: [number, number];
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const zoomed = useRef(false);
  const zoomTo = useRef(onZoom);
  zoomTo.current = onZoom;
  const external = !!onZoom;
  const fixedX = useRef(xRange);
  fixedX.current = xRange;
  const tooltip = useRef<HTMLDivElement | null>(null);
  const shape = series.map((s) => s.label).join('|');
  // Colours come from CSS variables read at creation: a theme change rebuilds the chart.
  const dark = useSyncExternalStore(subscribeTheme, isDark);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const grid = { stroke: css('--chart-grid'), width: 1 };
    const axis = { stroke: css('--fg-subtle'), grid, ticks: { show: false }, font: '11px Inter Variable, system-ui, sans-serif' };
    const opts: uPlot.Options = {
      width: el.clientWidth || 600,
      height,
      cursor: { drag: { x: true, y: false, setScale: !external }, points: { size: 7 } },
      legend: { show: false },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width <= 0) return;
            if (!zoomTo.current) {
              zoomed.current = true;
              return;
            }
            const from = u.posToVal(u.select.left, 'x') * 1000;
            const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoomTo.current(from, to);
          },
        ],
        ready: [
          (u) => {
            u.over.addEventListener('dblclick', () => void (zoomed.current = false));
            const t = document.createElement('div');
            t.className = 'pointer-events-none absolute z-10 hidden rounded-md border border-line bg-raised px-2.5 py-1.5 text-xs shadow-pop';
            u.over.appendChild(t);
            tooltip.current = t;
          },
        ],
        setCursor: [
          (u) => {
            const t = tooltip.current;
            const i = u.cursor.idx;
            if (!t) return;
            if (i == null || u.cursor.left == null || u.cursor.left < 0) {
              t.classList.add('hidden');
              return;
            }
            const x = u.data[0][i]!;
            const rows = series
              .map((s, k) => {
                const v = u.data[k + 1]?.[i];
                return v == null ? '' : `<div class="flex items-center gap-1.5"><span class="size-2 rounded-sm" style="background:${PALETTE[k % PALETTE.length]}"></span><span class="text-fg-muted">${escapeHtml(s.label)}</span><span class="ml-auto pl-3 font-medium tabular">${formatNumber(v)}${unit ? ` ${escapeHtml(unit)}` : ''}</span></div>`;
              })
              .join('');
            t.innerHTML = `<div class="mb-1 text-fg-subtle">${tip.format(new Date(x * 1000))}</div>${rows || '<div class="text-fg-subtle">No value</div>'}`;
            t.classList.remove('hidden');
            const left = u.cursor.left + 12;
            t.style.left = `${Math.min(left, u.over.clientWidth - t.offsetWidth - 4)}px`;
            t.style.top = `${Math.max(4, (u.cursor.top ?? 0) - t.offsetHeight - 8)}px`;
          },
        ],
      },
      scales: {
        x: {
          time: true,
          range: (_u, min, max) => (fixedX.current ? [fixedX.current[0] / 1000, fixedX.current[1] / 1000] : [min, max]),
        },
      },
      axes: [
        { ...axis, space: 80, values: timeLabels },
        { ...axis, size: 56, values: (_u, vals) => vals.map((v) => formatNumber(v) + (unit ? ` ${unit}` : '')) },
      ],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length]!,
          width: 1.75,
          fill: series.length === 1 ? `${PALETTE[0]}22` : undefined,
          spanGaps: true,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v == null ? '—' : formatNumber(v) + (unit ? ` ${unit}` : '')),
        })),
      ],
    };
    const u = new uPlot(opts, align(series), el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      if (plot.current === u) {
        u.destroy();
        plot.current = null;
      }
    };
    // The data is set by the effect below; the chart is rebuilt only when its shape changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, height, unit, dark, external]);

  const [xFrom, xTo] = [xRange?.[0], xRange?.[1]];
  useEffect(() => {
    // Live points keep arriving: do not undo the user's zoom.
    plot.current?.setData(align(series), !zoomed.current);
  }, [series, xFrom, xTo]);

  return (
    <div>
      <div ref={box} role="img" aria-label={ariaLabel} className="w-full" />
      {series.length > 1 ? (
        <ul className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-fg-muted">
          {series.map((s, k) => (
            <li key={s.label} className="flex items-center gap-1.5">
              <span className="size-2 rounded-sm" style={{ background: PALETTE[k % PALETTE.length] }} aria-hidden="true" />
              {s.label}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
