/**
 * The executive volume trend as chart series: one point per UTC day of the period, days without
 * tickets at zero (the API lists only days that had some), in epoch seconds.
 */
export function dailySeries(volume: { day: string; created: number; resolved: number }[], from: string, to: string): { label: string; points: [number, number][] }[] {
  const DAY = 86_400;
  const byDay = new Map(volume.map((v) => [v.day, v]));
  const start = Math.floor(Date.parse(from) / 1000 / DAY) * DAY;
  const end = Math.floor(Date.parse(to) / 1000 / DAY) * DAY;
  const created: [number, number][] = [];
  const resolved: [number, number][] = [];
  if (Number.isFinite(start) && Number.isFinite(end)) {
    for (let t = start; t <= end && created.length <= 800; t += DAY) {
      const v = byDay.get(new Date(t * 1000).toISOString().slice(0, 10));
      created.push([t, v?.created ?? 0]);
      resolved.push([t, v?.resolved ?? 0]);
    }
  }
  return [
    { label: 'Created', points: created },
    { label: 'Resolved', points: resolved },
  ];
}
