/**
 * The weekly-hours editor's model: several open intervals per weekday, checked in the browser
 * with the same rules as the server's calendar (docs/servicedesk.md, "Business calendars"), so a
 * mistake shows at the interval before anything is sent. Pure; tested in hours.test.ts.
 */

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const WEEKDAY_LABEL: Record<Weekday, string> = {
  monday: 'Monday',
  tuesday: 'Tuesday',
  wednesday: 'Wednesday',
  thursday: 'Thursday',
  friday: 'Friday',
  saturday: 'Saturday',
  sunday: 'Sunday',
};

export interface Interval {
  from: string;
  to: string;
}
export type WeekDraft = Record<Weekday, Interval[]>;
/** The API's shape: `{"monday": [["09:00","17:00"]], …}`; a day that is absent is closed. */
export type WeeklyHours = Partial<Record<Weekday, [string, string][]>>;

const TIME = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

/** "09:30" → 570; null when it is not a time of day (24:00 ends a day). */
export function minutesOf(t: string): number | null {
  if (!TIME.test(t)) return null;
  return Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
}

export function emptyWeek(): WeekDraft {
  return Object.fromEntries(WEEKDAYS.map((d) => [d, []])) as unknown as WeekDraft;
}

/** Office hours Monday to Friday, 09:00–17:00: the starting point of a new calendar. */
export function officeWeek(): WeekDraft {
  const w = emptyWeek();
  for (const d of WEEKDAYS.slice(0, 5)) w[d] = [{ from: '09:00', to: '17:00' }];
  return w;
}

export function fromWeeklyHours(api: Record<string, unknown> | null | undefined): WeekDraft {
  const w = emptyWeek();
  for (const d of WEEKDAYS) {
    const list = api?.[d];
    if (Array.isArray(list)) w[d] = list.filter((x): x is [string, string] => Array.isArray(x) && x.length === 2).map(([from, to]) => ({ from, to }));
  }
  return w;
}

/** The API's shape, each day's intervals in order (closed days left out). */
export function toWeeklyHours(w: WeekDraft): WeeklyHours {
  const out: WeeklyHours = {};
  for (const d of WEEKDAYS) {
    if (!w[d].length) continue;
    out[d] = [...w[d]].sort((a, b) => (minutesOf(a.from) ?? 0) - (minutesOf(b.from) ?? 0)).map((i) => [i.from, i.to]);
  }
  return out;
}

/**
 * Problems by field, keyed like the API's error paths: `monday.1.to`, `monday.1` (the interval as
 * a whole) and `_week`. Intervals are compared in start order (the editor saves them sorted), must
 * end after they start and must not overlap; touching intervals are fine. The week must open at
 * least once.
 */
export function validateWeek(w: WeekDraft): Record<string, string> {
  const errors: Record<string, string> = {};
  let open = false;
  for (const d of WEEKDAYS) {
    const list = w[d].map((iv, index) => ({ ...iv, index, start: minutesOf(iv.from), end: minutesOf(iv.to) }));
    for (const iv of list) {
      if (iv.start === null || iv.from === '24:00') errors[`${d}.${iv.index}.from`] = 'A time such as 09:00';
      if (iv.end === null) errors[`${d}.${iv.index}.to`] = 'A time such as 17:30 (24:00 for midnight)';
      if (iv.start !== null && iv.end !== null && iv.from !== '24:00') {
        if (iv.end <= iv.start) errors[`${d}.${iv.index}`] = `Ends at ${iv.to}, not after it starts at ${iv.from}`;
        else open = true;
      }
    }
    const sorted = list.filter((iv) => iv.start !== null && iv.end !== null && iv.end > iv.start).sort((a, b) => a.start! - b.start!);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      if (cur.start! < prev.end!) errors[`${d}.${cur.index}`] ??= `Overlaps ${prev.from}–${prev.to}`;
    }
  }
  if (!open) errors._week = 'Open the week at least once: a calendar that never opens cannot count business time.';
  return errors;
}

/** Open business minutes in a week (for the summary "40 h a week"); invalid intervals count as zero. */
export function weeklyMinutes(w: WeekDraft): number {
  let total = 0;
  for (const d of WEEKDAYS) {
    for (const iv of w[d]) {
      const a = minutesOf(iv.from);
      const b = minutesOf(iv.to);
      if (a !== null && b !== null && b > a) total += b - a;
    }
  }
  return total;
}

/** Maps the server's calendar errors (`weeklyHours.monday.1: …` or path `weeklyHours.monday.1`) onto the editor's keys. */
export function serverWeekErrors(errors: { path: string; message: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors ?? []) {
    const m = /weeklyHours\.([a-z]+)\.(\d+)(?:\.(\d))?/.exec(e.path) ?? /weeklyHours\.([a-z]+)\.(\d+)/.exec(e.message);
    if (!m) continue;
    const key = m[3] === undefined ? `${m[1]}.${m[2]}` : `${m[1]}.${m[2]}.${m[3] === '0' ? 'from' : 'to'}`;
    out[key] ??= e.message.replace(/^weeklyHours\.[a-z]+\.\d+(\.\d)?:\s*/, '');
  }
  return out;
}
