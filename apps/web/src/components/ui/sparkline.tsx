import { useId } from 'react';

/** A small SVG line (no axes) for a live series; the last point is marked. */
export function Sparkline({ points, width = 160, height = 40, className, label }: { points: { t: number; v: number }[]; width?: number; height?: number; className?: string; label: string }) {
  const gradient = useId();
  if (points.length < 2) {
    return (
      <svg width="100%" height={height} viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" className={className} role="img" aria-label={`${label}: waiting for data`}>
        <line x1="0" x2={width} y1={height / 2} y2={height / 2} stroke="var(--line-strong)" strokeDasharray="3 4" />
      </svg>
    );
  }
  const t0 = points[0]!.t;
  const t1 = points[points.length - 1]!.t;
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    lo = Math.min(lo, p.v);
    hi = Math.max(hi, p.v);
  }
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const pad = 3;
  const x = (t: number) => (t1 === t0 ? width : ((t - t0) / (t1 - t0)) * width);
  const y = (v: number) => pad + (1 - (v - lo) / (hi - lo)) * (height - pad * 2);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('');
  return (
    <svg width="100%" height={height} viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" className={className} role="img" aria-label={`${label}: ${points.length} points`}>
      <defs>
        <linearGradient id={gradient} x1="0" x2="0" y1="0" y2="1">
          <stop offset="0%" stopColor="var(--accent)" stopOpacity="0.22" />
          <stop offset="100%" stopColor="var(--accent)" stopOpacity="0" />
        </linearGradient>
      </defs>
      <path d={`${d}L${width},${height}L0,${height}Z`} fill={`url(#${gradient})`} />
      <path d={d} fill="none" stroke="var(--accent)" strokeWidth="1.5" vectorEffect="non-scaling-stroke" strokeLinejoin="round" />
    </svg>
  );
}
