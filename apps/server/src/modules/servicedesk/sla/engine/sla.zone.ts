/**
 * Wall clock ↔ instant in an IANA time zone. The only file of the engine that knows about time-zone
 * rules (luxon's IANAZone reads them from the runtime's Intl data).
 *
 * A "wall" value is a local date-time written as milliseconds, as if the zone were UTC: local
 * 2025-03-30 09:00 is `Date.UTC(2025, 2, 30, 9, 0)`. A "day" is a local date as a day number since
 * 1970-01-01, so `day * DAY_MS` is that date's local midnight as a wall value.
 */
import { DateTime, IANAZone } from 'luxon';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export function isValidTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

export interface Zone {
  readonly name: string;
  /** UTC offset in minutes at an instant. */
  offset(instant: number): number;
}

export function zoneOf(name: string): Zone {
  const z = IANAZone.create(name);
  return { name: z.name, offset: (t) => z.offset(t) };
}

/**
 * The instant a wall-clock value denotes. Two rules make it total and monotonic:
 * - a wall time that happens twice (clocks go back) denotes its first occurrence;
 * - a wall time that never happens (clocks go forward) denotes the instant of the jump, i.e. the
 *   first instant after the gap: an office that "opens at 01:30" on a day when 01:00–02:00 is
 *   skipped opens when the clocks show 02:00.
 */
export function wallToInstant(zone: Zone, wall: number): number {
  const before = zone.offset(wall - DAY_MS);
  const after = zone.offset(wall + DAY_MS);
  if (before === after) return wall - before * MINUTE_MS;
  const early = wall - before * MINUTE_MS;
  const late = wall - after * MINUTE_MS;
  const earlyOk = zone.offset(early) === before;
  const lateOk = zone.offset(late) === after;
  if (earlyOk && lateOk) return Math.min(early, late);
  if (earlyOk) return early;
  if (lateOk) return late;
  // In the gap: find the transition between the two candidates (they bracket it), to the minute.
  let lo = Math.min(early, late);
  let hi = Math.max(early, late);
  while (hi - lo > MINUTE_MS) {
    const mid = lo + Math.floor((hi - lo) / MINUTE_MS / 2) * MINUTE_MS;
    if (zone.offset(mid) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The local date (day number) of an instant. */
export function dayOf(zone: Zone, instant: number): number {
  return Math.floor((instant + zone.offset(instant) * MINUTE_MS) / DAY_MS);
}

/** ISO weekday index of a day number, 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
export function weekdayOf(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** 'YYYY-MM-DD' → day number, or null when it is not a real calendar date. */
export function parseLocalDate(text: string): number | null {
  const m = LOCAL_DATE.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / DAY_MS;
}

export function formatLocalDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** ISO 8601 with the zone's offset at that instant, e.g. 2025-03-31T09:00:00+01:00. */
export function formatInstant(instant: number, zoneName: string): string {
  return DateTime.fromMillis(instant, { zone: zoneName }).toISO({ suppressMilliseconds: true }) ?? new Date(instant).toISOString();
}
