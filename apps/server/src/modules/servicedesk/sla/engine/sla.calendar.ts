/**
 * Business calendars: a time zone, weekly opening hours (several intervals a day) and holidays.
 *
 * A compiled calendar turns local opening hours into a sorted list of open intervals in UTC
 * milliseconds, built lazily a few months at a time and cached, with a running total of business
 * time before each interval. Business time is then a monotonic function ("position": business ms
 * since an arbitrary origin) that is answered by binary search:
 *
 *   businessTimeBetween(a, b) = position(b) − position(a)
 *   addBusinessTime(s, d)     = the first instant whose position is position(s) + d
 *
 * so a due time costs O(log n) whatever the length of the nights, weekends and holidays it crosses;
 * nothing ever steps minute by minute or day by day at query time. DST is handled once, when a day
 * is compiled (sla.zone.ts: a repeated wall time is its first occurrence, a skipped one is the jump).
 */
import { z } from 'zod';
import { fromIssues, SlaError } from './sla.errors.ts';
import { DAY_MS, formatLocalDate, isValidTimeZone, MINUTE_MS, parseLocalDate, wallToInstant, weekdayOf, zoneOf, type Zone } from './sla.zone.ts';

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const HH_MM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const TimeOfDay = z.string().regex(HH_MM, 'must be a time "HH:MM" between 00:00 and 24:00');

export const OpenIntervalSchema = z
  .tuple([TimeOfDay, TimeOfDay])
  .refine(([from, to]) => minutesOf(from) < minutesOf(to), { message: 'an interval must end after it starts' });

const DaySchema = z
  .array(OpenIntervalSchema)
  .max(24)
  .superRefine((intervals, ctx) => {
    for (let i = 1; i < intervals.length; i++) {
      const prev = intervals[i - 1]!;
      const cur = intervals[i]!;
      const [prevFrom, prevTo] = [minutesOf(prev[0]), minutesOf(prev[1])];
      const curFrom = minutesOf(cur[0]);
      if (curFrom < prevFrom) {
        ctx.addIssue({ code: 'custom', path: [i], message: `intervals must be sorted: ${cur[0]} starts before ${prev[0]}` });
      } else if (curFrom < prevTo) {
        ctx.addIssue({ code: 'custom', path: [i], message: `interval ${cur[0]}–${cur[1]} overlaps ${prev[0]}–${prev[1]}` });
      }
    }
  });

export const LocalDateSchema = z.string().refine((s) => parseLocalDate(s) !== null, { message: 'must be a date "YYYY-MM-DD"' });

export const HolidaySchema = z.strictObject({
  date: LocalDateSchema,
  name: z.string().trim().min(1).max(200).optional(),
});
export type Holiday = z.infer<typeof HolidaySchema>;

export const CalendarSchema = z
  .strictObject({
    timeZone: z.string().refine(isValidTimeZone, { message: 'must be an IANA time zone such as "Europe/London"' }),
    weeklyHours: z.strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, DaySchema.optional()])) as Record<Weekday, z.ZodOptional<typeof DaySchema>>),
    holidays: z.array(HolidaySchema).max(10_000).optional(),
  })
  .refine((c) => WEEKDAYS.some((d) => (c.weeklyHours[d]?.length ?? 0) > 0), {
    path: ['weeklyHours'],
    message: 'a calendar must be open at least once a week',
  });
export type CalendarDefinition = z.infer<typeof CalendarSchema>;

/** Validates a calendar definition; throws SlaError 400 `invalid_calendar` listing every problem. */
export function parseCalendar(input: unknown): CalendarDefinition {
  const r = CalendarSchema.safeParse(input);
  if (!r.success) throw fromIssues('invalid_calendar', 'calendar', r.error.issues);
  return r.data;
}

/** Open around the clock, every day (holidays, if any, still close whole days). */
export function twentyFourSeven(timeZone = 'UTC', holidays: Holiday[] = []): CalendarDefinition {
  return {
    timeZone,
    weeklyHours: Object.fromEntries(WEEKDAYS.map((d) => [d, [['00:00', '24:00']]])) as CalendarDefinition['weeklyHours'],
    holidays,
  };
}

export interface OpenInterval {
  start: number;
  end: number;
}

/** Instants the engine accepts: years 1900 to 2300. */
export const MIN_INSTANT = Date.UTC(1900, 0, 1);
export const MAX_INSTANT = Date.UTC(2300, 0, 1);
/** How far a search for opening hours may go before the calendar is declared never open. */
const HORIZON_DAYS = 366 * 50;
const CHUNK_DAYS = 120;

export function assertInstant(t: number, what = 'instant'): number {
  if (!Number.isFinite(t) || t < MIN_INSTANT || t > MAX_INSTANT) {
    throw new SlaError(400, 'invalid_instant', `${what} must be a time between 1900 and 2300 (got ${String(t)}).`);
  }
  return t;
}

/**
 * A compiled calendar. Create one per calendar definition (and again after it changes) and reuse
 * it for every ticket: its cache of open intervals is shared by all the computations.
 */
export class BusinessCalendar {
  readonly timeZone: string;
  readonly definition: CalendarDefinition;
  private readonly zone: Zone;
  /** Open minutes [from, to) per weekday, Monday first. */
  private readonly weekly: [number, number][][];
  private readonly holidays: Map<number, string | undefined>;
  // The compiled local days [dayFrom, dayTo) and their merged open intervals in UTC ms.
  private dayFrom = 0;
  private dayTo = 0;
  private coverFrom = 0;
  private coverTo = 0;
  private starts: number[] = [];
  private ends: number[] = [];
  /** cum[i]: position at starts[i]; cum[n]: position at the end of the last interval. */
  private cum: number[] = [0];
  private compiled = false;

  constructor(input: CalendarDefinition | unknown) {
    this.definition = parseCalendar(input);
    this.timeZone = this.definition.timeZone;
    this.zone = zoneOf(this.definition.timeZone);
    this.weekly = WEEKDAYS.map((d) => (this.definition.weeklyHours[d] ?? []).map(([a, b]) => [minutesOf(a), minutesOf(b)] as [number, number]));
    this.holidays = new Map();
    for (const h of this.definition.holidays ?? []) {
      const day = parseLocalDate(h.date)!;
      if (!this.holidays.has(day) || h.name) this.holidays.set(day, h.name);
    }
  }

  /** Whether the calendar is open at instant t (intervals are half-open: open at 09:00, closed at 17:00). */
  isOpen(t: number): boolean {
    assertInstant(t);
    this.cover(t);
    const i = this.search(t);
    return i >= 0 && t < this.ends[i]!;
  }

  /** t itself when open, else the start of the next open interval. */
  nextOpening(t: number): number {
    assertInstant(t);
    this.cover(t);
    const limitDay = Math.floor(t / DAY_MS) + HORIZON_DAYS;
    for (;;) {
      const i = this.search(t);
      if (i >= 0 && t < this.ends[i]!) return t;
      if (i + 1 < this.starts.length) return this.starts[i + 1]!;
      this.growForward(limitDay);
    }
  }

  /**
   * The instant at which `ms` business milliseconds have elapsed since `start`. A start outside
   * opening hours counts from the next opening; a duration that ends exactly at a closing time is
   * due at that closing time (not at the next opening). A zero duration gives the clock's start:
   * `nextOpening(start)`.
   */
  addBusinessTime(start: number, ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new SlaError(400, 'invalid_instant', `a business duration must be ≥ 0 ms (got ${String(ms)}).`);
    if (ms === 0) return this.nextOpening(start);
    return this.instantAt(this.position(start) + ms);
  }

  /** Business milliseconds in [a, b); negative when b is before a. */
  businessTimeBetween(a: number, b: number): number {
    return this.position(b) - this.position(a);
  }

  /**
   * Business milliseconds elapsed since an arbitrary origin of this calendar object (stable for its
   * lifetime). Constant while closed, so position(t) − position(s) is the business time in [s, t).
   */
  position(t: number): number {
    assertInstant(t);
    this.cover(t);
    const i = this.search(t);
    if (i < 0) return this.cum[0]!;
    return this.cum[i]! + Math.min(t, this.ends[i]!) - this.starts[i]!;
  }

  /** The first instant whose position reaches p (the inverse of position). */
  instantAt(p: number): number {
    if (!Number.isFinite(p)) throw new SlaError(400, 'invalid_instant', 'a business position must be finite.');
    if (!this.compiled) throw new SlaError(400, 'invalid_instant', 'a business position comes from position() of the same calendar.');
    const firstDay = this.dayFrom - HORIZON_DAYS;
    while (p <= this.cum[0]!) {
      if (this.dayFrom <= firstDay || this.dayFrom * DAY_MS < MIN_INSTANT) throw neverOpens();
      this.extendBackward(Math.max(firstDay, this.dayFrom - Math.max(CHUNK_DAYS, (this.dayTo - this.dayFrom) >> 1)));
    }
    const limitDay = this.dayTo + HORIZON_DAYS;
    while (p > this.cum[this.cum.length - 1]!) this.growForward(limitDay);
    // Smallest i with cum[i + 1] >= p; then cum[i] < p.
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid + 1]! >= p) hi = mid;
      else lo = mid + 1;
    }
    return this.starts[lo]! + (p - this.cum[lo]!);
  }

  /** The open intervals overlapping [from, to), clipped to it, in order. */
  *openIntervals(from: number, to: number): Generator<OpenInterval> {
    assertInstant(from);
    assertInstant(to);
    if (to <= from) return;
    this.cover(from);
    this.cover(to - 1);
    let i = this.search(from);
    if (i < 0 || this.ends[i]! <= from) i++;
    for (; i < this.starts.length && this.starts[i]! < to; i++) {
      yield { start: Math.max(from, this.starts[i]!), end: Math.min(to, this.ends[i]!) };
    }
  }

  /** The holiday's name (or '' when unnamed) if the local date of `day` is a holiday, else undefined. */
  holidayOn(localDate: string): string | undefined {
    const day = parseLocalDate(localDate);
    if (day === null || !this.holidays.has(day)) return undefined;
    return this.holidays.get(day) ?? '';
  }

  /** The holidays (local dates, sorted) whose day overlaps [from, to). */
  holidaysBetween(from: number, to: number): Holiday[] {
    const out: Holiday[] = [];
    const [d0, d1] = [Math.floor(from / DAY_MS) - 1, Math.floor(to / DAY_MS) + 1];
    for (const [day, name] of [...this.holidays].sort((a, b) => a[0] - b[0])) {
      if (day < d0 || day > d1) continue;
      const start = wallToInstant(this.zone, day * DAY_MS);
      const end = wallToInstant(this.zone, (day + 1) * DAY_MS);
      if (start < to && end > from) out.push(name ? { date: formatLocalDate(day), name } : { date: formatLocalDate(day) });
    }
    return out;
  }

  // ── compilation ────────────────────────────────────────────────────────────────────────────────

  /** Largest i with starts[i] <= t, or -1. */
  private search(t: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Makes sure coverFrom <= t < coverTo (t is a valid instant: at most a few centuries to compile). */
  private cover(t: number): void {
    if (!this.compiled) {
      const day = Math.floor(t / DAY_MS);
      this.dayFrom = this.dayTo = day - 2;
      this.coverFrom = this.coverTo = wallToInstant(this.zone, this.dayFrom * DAY_MS);
      this.compiled = true;
      this.extendForward(day + CHUNK_DAYS);
    }
    if (t < this.coverFrom) this.extendBackward(Math.min(Math.floor(t / DAY_MS) - 2, this.dayFrom - CHUNK_DAYS));
    while (t >= this.coverTo) this.extendForward(Math.max(Math.floor(t / DAY_MS) + 2, this.dayTo + CHUNK_DAYS));
  }

  /** Compiles more days ahead (growing with the span already compiled), up to limitDay. */
  private growForward(limitDay: number): void {
    if (this.dayTo >= limitDay || this.dayTo * DAY_MS > MAX_INSTANT) throw neverOpens();
    this.extendForward(Math.min(limitDay, this.dayTo + Math.max(CHUNK_DAYS, (this.dayTo - this.dayFrom) >> 1)));
  }

  /** The open intervals of local days [from, to), merged where they touch. */
  private compileDays(from: number, to: number): { starts: number[]; ends: number[] } {
    const starts: number[] = [];
    const ends: number[] = [];
    let dayStart = wallToInstant(this.zone, from * DAY_MS);
    for (let day = from; day < to; day++) {
      const nextStart = wallToInstant(this.zone, (day + 1) * DAY_MS);
      if (this.holidays.has(day)) {
        dayStart = nextStart;
        continue;
      }
      // A day without a transition is DAY_MS long: every boundary is dayStart + minutes.
      const plain = nextStart - dayStart === DAY_MS;
      for (const [a, b] of this.weekly[weekdayOf(day)]!) {
        const s = plain ? dayStart + a * MINUTE_MS : wallToInstant(this.zone, day * DAY_MS + a * MINUTE_MS);
        const e = plain ? dayStart + b * MINUTE_MS : wallToInstant(this.zone, day * DAY_MS + b * MINUTE_MS);
        if (e <= s) continue; // an interval that falls entirely in a skipped hour
        if (ends.length && ends[ends.length - 1] === s) ends[ends.length - 1] = e;
        else {
          starts.push(s);
          ends.push(e);
        }
      }
      dayStart = nextStart;
    }
    return { starts, ends };
  }

  private extendForward(toDay: number): void {
    if (toDay <= this.dayTo) return;
    const { starts, ends } = this.compileDays(this.dayTo, toDay);
    let k = 0;
    const n = this.starts.length;
    if (n && starts.length && this.ends[n - 1] === starts[0]) {
      this.ends[n - 1] = ends[0]!;
      this.cum[n] = this.cum[n - 1]! + this.ends[n - 1]! - this.starts[n - 1]!;
      k = 1;
    }
    for (; k < starts.length; k++) {
      this.starts.push(starts[k]!);
      this.ends.push(ends[k]!);
      this.cum.push(this.cum[this.cum.length - 1]! + ends[k]! - starts[k]!);
    }
    this.dayTo = toDay;
    this.coverTo = wallToInstant(this.zone, toDay * DAY_MS);
  }

  private extendBackward(fromDay: number): void {
    if (fromDay >= this.dayFrom) return;
    const { starts, ends } = this.compileDays(fromDay, this.dayFrom);
    let added = 0;
    for (let k = 0; k < starts.length; k++) added += ends[k]! - starts[k]!;
    const base = this.cum[0]! - added;
    if (starts.length && this.starts.length && ends[ends.length - 1] === this.starts[0]) {
      this.starts[0] = starts.pop()!;
      ends.pop();
    }
    this.starts = starts.concat(this.starts);
    this.ends = ends.concat(this.ends);
    const cum = [base];
    for (let k = 0; k < this.starts.length; k++) cum.push(cum[k]! + this.ends[k]! - this.starts[k]!);
    this.cum = cum;
    this.dayFrom = fromDay;
    this.coverFrom = wallToInstant(this.zone, fromDay * DAY_MS);
  }
}

const neverOpens = () =>
  new SlaError(422, 'calendar_never_opens', 'The calendar has no opening hours within 50 years of the time asked; check its hours and holidays.');

/** Compiles a calendar definition (validated; throws SlaError 400 `invalid_calendar`). */
export function compileCalendar(input: CalendarDefinition | unknown): BusinessCalendar {
  return new BusinessCalendar(input);
}

