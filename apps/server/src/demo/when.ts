import { DateTime } from 'luxon';

/** The demo organization's time zone: its office hours, the working days its stories happen on. */
export const DEMO_ZONE = 'Europe/London';

/**
 * Instants relative to the moment the demo is loaded, so every load tells the same week: the same
 * stories on the previous working days at the same local times, whatever the day of the load.
 */
export interface DemoTime {
  readonly loadedAt: number;
  /** The n-th working day (Monday to Friday) before today (1: the last one), at local "HH:MM". */
  workday(n: number, hhmm: string): number;
  /** `n` calendar days from today (negative: before), at local "HH:MM". */
  day(n: number, hhmm: string): number;
  /** `minutes` before the load. */
  ago(minutes: number): number;
  /** `hours` after the load (negative: before). */
  hours(hours: number): number;
}

const at = (d: DateTime, hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return d.set({ hour: h, minute: m, second: 0, millisecond: 0 }).toMillis();
};

export function demoTime(loadedAt: number): DemoTime {
  const today = DateTime.fromMillis(loadedAt, { zone: DEMO_ZONE }).startOf('day');
  return {
    loadedAt,
    workday(n, hhmm) {
      let d = today;
      for (let left = n; left > 0; ) {
        d = d.minus({ days: 1 });
        if (d.weekday <= 5) left--;
      }
      return at(d, hhmm);
    },
    day: (n, hhmm) => at(today.plus({ days: n }), hhmm),
    ago: (minutes) => loadedAt - minutes * 60_000,
    hours: (hours) => loadedAt + hours * 3_600_000,
  };
}

/** The month before the load's, as "YYYY-MM" (agent ratings are per month). */
export const previousMonth = (loadedAt: number) => DateTime.fromMillis(loadedAt, { zone: DEMO_ZONE }).minus({ months: 1 }).toFormat('yyyy-MM');
