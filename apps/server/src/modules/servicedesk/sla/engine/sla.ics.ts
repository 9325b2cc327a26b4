/**
 * Holiday import from iCalendar (.ics, RFC 5545) text, with ical.js (parsing, RRULE/RDATE/EXDATE
 * expansion and RECURRENCE-ID overrides).
 *
 * Each VEVENT becomes one or more holidays (local dates, named after its SUMMARY):
 * - an all-day event (DTSTART;VALUE=DATE) closes every date from DTSTART up to DTEND (exclusive;
 *   one day when DTEND and DURATION are absent);
 * - a dated event (DTSTART with a time) closes the date it starts on: the date as written for a
 *   floating or TZID time, the date in `timeZone` for a UTC ("Z") time;
 * - a recurring event closes the dates of each occurrence within the requested range;
 * - STATUS:CANCELLED events are skipped.
 * Only dates within [from, to] are returned, sorted and without duplicates.
 */
import ICAL from 'ical.js';
import type { Holiday } from './sla.calendar.ts';
import { SlaError } from './sla.errors.ts';
import { DAY_MS, dayOf, formatLocalDate, isValidTimeZone, parseLocalDate, zoneOf } from './sla.zone.ts';

export interface IcsImportOptions {
  /** First local date to keep, 'YYYY-MM-DD'. */
  from: string;
  /** Last local date to keep (inclusive), 'YYYY-MM-DD'; at most 50 years after `from`. */
  to: string;
  /** Time zone of the calendar the holidays are for; places UTC event times on a local date. Default UTC. */
  timeZone?: string;
}

export const ICS_MAX_BYTES = 2 * 1024 * 1024;
export const ICS_MAX_HOLIDAYS = 10_000;
const MAX_SPAN_DAYS = 366 * 50;
/** Occurrences expanded per recurring event, in all (before and inside the range). */
const MAX_OCCURRENCES = 20_000;

const bad = (message: string) => new SlaError(400, 'invalid_ics', message);

type IcalTime = InstanceType<typeof ICAL.Time>;
type IcalEvent = InstanceType<typeof ICAL.Event>;

export function importHolidaysFromIcs(text: string, options: IcsImportOptions): Holiday[] {
  const from = parseLocalDate(options.from);
  const to = parseLocalDate(options.to);
  if (from === null || to === null) throw bad('The import range needs dates "YYYY-MM-DD" in `from` and `to`.');
  if (to < from) throw bad('The import range ends before it starts.');
  if (to - from > MAX_SPAN_DAYS) throw bad('The import range may cover at most 50 years.');
  const timeZone = options.timeZone ?? 'UTC';
  if (!isValidTimeZone(timeZone)) throw bad(`Unknown time zone "${timeZone}".`);
  if (typeof text !== 'string' || text.trim() === '') throw bad('The .ics file is empty.');
  if (Buffer.byteLength(text, 'utf8') > ICS_MAX_BYTES) throw bad(`The .ics file is larger than ${ICS_MAX_BYTES / 1024 / 1024} MiB.`);

  let root: InstanceType<typeof ICAL.Component>;
  try {
    const parsed: unknown = ICAL.parse(text);
    const first = Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed[0] : parsed;
    root = new ICAL.Component(first as never);
  } catch (err) {
    throw bad(`The file is not valid iCalendar: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (root.name !== 'vcalendar') throw bad(`The file must contain a VCALENDAR (found ${root.name.toUpperCase() || 'nothing'}).`);

  const zone = zoneOf(timeZone);
  const dateOf = (t: IcalTime): number =>
    !t.isDate && t.zone?.tzid === 'UTC' ? dayOf(zone, t.toUnixTime() * 1000) : Date.UTC(t.year, t.month - 1, t.day) / DAY_MS;

  // Group overrides (RECURRENCE-ID) with their series.
  const masters = new Map<string, IcalEvent>();
  const overrides: IcalEvent[] = [];
  const singles: IcalEvent[] = [];
  root.getAllSubcomponents('vevent').forEach((component, index) => {
    let event: IcalEvent;
    try {
      event = new ICAL.Event(component);
      if (!event.startDate) throw new Error('it has no DTSTART');
    } catch (err) {
      throw bad(`VEVENT #${index + 1}${uidOf(component)} is invalid: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (event.isRecurrenceException()) overrides.push(event);
    else if (event.isRecurring()) masters.set(event.uid ?? `#${index}`, event);
    else singles.push(event);
  });
  for (const o of overrides) {
    const master = masters.get(o.uid);
    if (master) master.relateException(o);
    else singles.push(o);
  }

  const out = new Map<number, string | undefined>();
  const add = (start: IcalTime, end: IcalTime | null, summary: string | undefined, cancelled: boolean) => {
    if (cancelled) return;
    const first = dateOf(start);
    const days = start.isDate && end ? Math.max(1, dateOf(end) - first) : 1;
    for (let d = Math.max(first, from); d < first + days && d <= to; d++) {
      if (!out.has(d) || (out.get(d) === undefined && summary)) out.set(d, summary);
      if (out.size > ICS_MAX_HOLIDAYS) throw bad(`The import would produce more than ${ICS_MAX_HOLIDAYS} holidays; narrow the range.`);
    }
  };

  for (const e of singles) add(e.startDate, e.endDate, nameOf(e), isCancelled(e));
  for (const e of masters.values()) {
    let it: ReturnType<IcalEvent['iterator']>;
    try {
      it = e.iterator();
    } catch (err) {
      throw bad(`The recurrence of "${nameOf(e) ?? e.uid}" is invalid: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (let n = 0; ; n++) {
      if (n >= MAX_OCCURRENCES) throw bad(`"${nameOf(e) ?? e.uid}" repeats more than ${MAX_OCCURRENCES} times before the end of the range.`);
      const occurrence = it.next();
      if (!occurrence || dateOf(occurrence) > to) break;
      const details = e.getOccurrenceDetails(occurrence);
      add(details.startDate, details.endDate, nameOf(details.item) ?? nameOf(e), isCancelled(details.item));
    }
  }

  return [...out]
    .sort((a, b) => a[0] - b[0])
    .map(([day, name]) => (name ? { date: formatLocalDate(day), name } : { date: formatLocalDate(day) }));
}

function nameOf(e: IcalEvent): string | undefined {
  const s = typeof e.summary === 'string' ? e.summary.trim().slice(0, 200) : '';
  return s || undefined;
}

function isCancelled(e: IcalEvent): boolean {
  return String(e.component.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED';
}

function uidOf(component: InstanceType<typeof ICAL.Component>): string {
  const uid = component.getFirstPropertyValue('uid');
  return typeof uid === 'string' && uid ? ` (UID ${uid.slice(0, 100)})` : '';
}
