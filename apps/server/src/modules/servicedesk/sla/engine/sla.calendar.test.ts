import { describe, expect, it } from 'vitest';
import { compileCalendar, parseCalendar, twentyFourSeven, type CalendarDefinition } from './sla.calendar.ts';
import { SlaError } from './sla.errors.ts';
import { everyDay, HOUR, local, localIn, MIN, show, weekdays } from './sla.testkit.ts';

const LON = 'Europe/London';
const NY = 'America/New_York';
const lon = localIn(LON);
const ny = localIn(NY);

// Week of Monday 2025-03-03 (GMT, no DST nearby). 2025-03-07 is a Friday.
const office = compileCalendar(weekdays(LON));
const split = compileCalendar(
  weekdays(
    LON,
    [
      ['09:00', '12:30'],
      ['13:30', '17:00'],
    ],
    [{ date: '2025-03-05', name: 'Staff day' }],
  ),
);
const lateShift = compileCalendar(
  weekdays(LON, [
    ['08:00', '12:00'],
    ['18:00', '24:00'],
  ]),
);
const allDay = compileCalendar(twentyFourSeven(LON));
const CALENDARS = { office, split, lateShift, allDay };
type Name = keyof typeof CALENDARS;

describe('addBusinessTime', () => {
  it.each([
    // [calendar, start, business minutes, expected due, why]
    ['office' as Name, '2025-03-03 10:00', 60, '2025-03-03 11:00', 'within a day'],
    ['office' as Name, '2025-03-03 16:00', 120, '2025-03-04 10:00', 'overnight gap'],
    ['office' as Name, '2025-03-03 16:00', 60, '2025-03-03 17:00', 'ending exactly at closing time stays at closing time'],
    ['office' as Name, '2025-03-07 16:00', 120, '2025-03-10 10:00', 'weekend gap'],
    ['office' as Name, '2025-03-08 11:00', 30, '2025-03-10 09:30', 'start on a Saturday counts from Monday opening'],
    ['office' as Name, '2025-03-03 07:15', 30, '2025-03-03 09:30', 'start before opening'],
    ['office' as Name, '2025-03-03 17:00', 30, '2025-03-04 09:30', 'start at closing time'],
    ['office' as Name, '2025-03-03 10:00', 5 * 8 * 60, '2025-03-10 10:00', 'a whole business week'],
    ['office' as Name, '2025-03-03 10:00', 52 * 5 * 8 * 60, '2026-03-02 10:00', 'a business year (skips whole closed days)'],
    ['split' as Name, '2025-03-03 12:00', 60, '2025-03-03 14:00', 'lunch break inside a day'],
    ['split' as Name, '2025-03-03 12:30', 1, '2025-03-03 13:31', 'start at the start of the break'],
    ['split' as Name, '2025-03-04 16:00', 120, '2025-03-06 10:00', 'holiday (Wednesday) skipped'],
    ['split' as Name, '2025-03-05 10:00', 10, '2025-03-06 09:10', 'start on a holiday'],
    ['lateShift' as Name, '2025-03-03 23:00', 120, '2025-03-04 09:00', 'interval ending at 24:00, then next morning'],
    ['lateShift' as Name, '2025-03-07 23:30', 60, '2025-03-10 08:30', 'Friday night to Monday'],
    ['allDay' as Name, '2025-03-08 23:00', 120, '2025-03-09 01:00', '24/7 crosses midnight and weekends'],
    ['allDay' as Name, '2025-03-01 00:00', 31 * 24 * 60, '2025-04-01 01:00', '24/7 across the spring change: 31 × 24 real hours end at 01:00 BST'],
  ])('%s: %s + %i min → %s (%s)', (name, start, minutes, due) => {
    expect(show(CALENDARS[name].addBusinessTime(lon(start), minutes * MIN), LON)).toBe(show(lon(due), LON));
  });

  it('a zero duration is the clock start: the start itself when open, else the next opening', () => {
    expect(office.addBusinessTime(lon('2025-03-03 10:00'), 0)).toBe(lon('2025-03-03 10:00'));
    expect(office.addBusinessTime(lon('2025-03-07 17:00'), 0)).toBe(lon('2025-03-10 09:00'));
  });

  it('refuses a negative or non-finite duration and instants out of range', () => {
    expect(() => office.addBusinessTime(lon('2025-03-03 10:00'), -1)).toThrow(SlaError);
    expect(() => office.addBusinessTime(lon('2025-03-03 10:00'), Number.NaN)).toThrow(/≥ 0 ms/);
    expect(() => office.addBusinessTime(Date.UTC(2400, 0, 1), 1)).toThrow(/between 1900 and 2300/);
    expect(() => office.isOpen(Number.NaN)).toThrow(SlaError);
  });
});

describe('businessTimeBetween, isOpen, nextOpening', () => {
  it.each([
    ['office' as Name, '2025-03-03 08:00', '2025-03-03 18:00', 8 * 60],
    ['office' as Name, '2025-03-07 16:00', '2025-03-10 10:00', 120],
    ['office' as Name, '2025-03-03 00:00', '2025-03-10 00:00', 40 * 60],
    ['split' as Name, '2025-03-03 00:00', '2025-03-10 00:00', 4 * 7 * 60],
    ['lateShift' as Name, '2025-03-03 00:00', '2025-03-04 00:00', 10 * 60],
    ['allDay' as Name, '2025-03-03 00:00', '2025-03-10 00:00', 7 * 24 * 60],
  ])('%s: %s → %s = %i business minutes', (name, a, b, minutes) => {
    const cal = CALENDARS[name];
    expect(cal.businessTimeBetween(lon(a), lon(b))).toBe(minutes * MIN);
    expect(cal.businessTimeBetween(lon(b), lon(a))).toBe(-minutes * MIN);
  });

  it.each([
    ['2025-03-03 08:59', false, '2025-03-03 09:00'],
    ['2025-03-03 09:00', true, '2025-03-03 09:00'],
    ['2025-03-03 12:30', false, '2025-03-03 13:30'],
    ['2025-03-03 16:59', true, '2025-03-03 16:59'],
    ['2025-03-03 17:00', false, '2025-03-04 09:00'],
    ['2025-03-04 18:00', false, '2025-03-06 09:00'],
    ['2025-03-08 12:00', false, '2025-03-10 09:00'],
  ])('split calendar at %s: open %s, next opening %s', (at, open, next) => {
    expect(split.isOpen(lon(at))).toBe(open);
    expect(split.nextOpening(lon(at))).toBe(lon(next));
  });

  it('lists the open intervals between two instants, clipped, for explanations', () => {
    const got = [...split.openIntervals(lon('2025-03-04 10:00'), lon('2025-03-06 10:00'))].map((i) => [show(i.start, LON), show(i.end, LON)]);
    expect(got).toEqual([
      [show(lon('2025-03-04 10:00'), LON), show(lon('2025-03-04 12:30'), LON)],
      [show(lon('2025-03-04 13:30'), LON), show(lon('2025-03-04 17:00'), LON)],
      [show(lon('2025-03-06 09:00'), LON), show(lon('2025-03-06 10:00'), LON)],
    ]);
    expect([...split.openIntervals(lon('2025-03-04 10:00'), lon('2025-03-04 10:00'))]).toEqual([]);
  });

  it('merges intervals that touch, also across midnight (24/7 is one interval)', () => {
    const got = [...allDay.openIntervals(lon('2025-03-01 00:00'), lon('2025-03-20 00:00'))];
    expect(got).toHaveLength(1);
    const touching = compileCalendar(
      weekdays(LON, [
        ['09:00', '12:00'],
        ['12:00', '17:00'],
      ]),
    );
    expect([...touching.openIntervals(lon('2025-03-03 00:00'), lon('2025-03-04 00:00'))]).toHaveLength(1);
  });

  it('answers the same whichever order it is asked in (cache grown backward and forward)', () => {
    const asked = ['2031-06-02 10:00', '2019-01-07 16:30', '2025-03-03 12:00', '1999-12-31 16:00', '2041-02-04 09:15'];
    const forward = compileCalendar(weekdays(LON));
    const fresh = () => compileCalendar(weekdays(LON));
    for (const a of asked) {
      const t = lon(a);
      const expected = fresh().addBusinessTime(t, 17 * HOUR);
      expect(forward.addBusinessTime(t, 17 * HOUR)).toBe(expected);
      expect(forward.businessTimeBetween(t, expected)).toBe(17 * HOUR);
    }
  });
});

describe('daylight saving time', () => {
  const sevenDays = (zone: string) => compileCalendar(everyDay(zone, [['09:00', '17:00']]));
  const roundClock = (zone: string) => compileCalendar(everyDay(zone, [['00:00', '24:00']]));

  it.each([
    [LON, '2025-03-29', '2025-03-30', '2025-03-31', 'spring forward (23-hour day)'],
    [LON, '2025-10-25', '2025-10-26', '2025-10-27', 'fall back (25-hour day)'],
    [NY, '2025-03-08', '2025-03-09', '2025-03-10', 'spring forward (23-hour day)'],
    [NY, '2025-11-01', '2025-11-02', '2025-11-03', 'fall back (25-hour day)'],
  ])('%s %s: a 09:00–17:00 day stays 8 business hours (%s)', (zone, before, day, next) => {
    const cal = sevenDays(zone);
    expect(cal.businessTimeBetween(local(`${day} 00:00`, zone), local(`${next} 00:00`, zone))).toBe(8 * HOUR);
    expect(cal.addBusinessTime(local(`${day} 09:00`, zone), 8 * HOUR)).toBe(local(`${day} 17:00`, zone));
    // Across the night of the change: the day before at 16:00 + 2 h = 10:00 local on the change day.
    expect(cal.addBusinessTime(local(`${before} 16:00`, zone), 2 * HOUR)).toBe(local(`${day} 10:00`, zone));
    expect(cal.businessTimeBetween(local(`${before} 00:00`, zone), local(`${next} 00:00`, zone))).toBe(16 * HOUR);
  });

  it.each([
    [LON, '2025-03-28 16:00', 120, '2025-03-31 10:00', 'Friday GMT to Monday BST'],
    [LON, '2025-10-24 16:00', 120, '2025-10-27 10:00', 'Friday BST to Monday GMT'],
    [NY, '2025-03-07 16:00', 120, '2025-03-10 10:00', 'Friday EST to Monday EDT'],
    [NY, '2025-10-31 16:00', 120, '2025-11-03 10:00', 'Friday EDT to Monday EST'],
  ])('%s: %s + %i min → %s (%s)', (zone, start, minutes, due) => {
    const cal = compileCalendar(weekdays(zone));
    expect(show(cal.addBusinessTime(local(start, zone), minutes * MIN), zone)).toBe(show(local(due, zone), zone));
  });

  it.each([
    [LON, '2025-03-29', '2025-03-30', '2025-03-31', 23],
    [LON, '2025-10-25', '2025-10-26', '2025-10-27', 25],
    [NY, '2025-03-08', '2025-03-09', '2025-03-10', 23],
    [NY, '2025-11-01', '2025-11-02', '2025-11-03', 25],
  ])('%s: a 24/7 calendar counts the real length of the change day (%s → %s: %i h)', (zone, _before, day, next, hours) => {
    const cal = roundClock(zone);
    expect(cal.businessTimeBetween(local(`${day} 00:00`, zone), local(`${next} 00:00`, zone))).toBe(hours * HOUR);
    expect(cal.addBusinessTime(local(`${day} 00:00`, zone), hours * HOUR)).toBe(local(`${next} 00:00`, zone));
  });

  it('the skipped hour: an interval inside it is empty, one that starts inside it opens at the jump', () => {
    // London 2025-03-30: 01:00 GMT jumps to 02:00 BST. New York 2025-03-09: 02:00 EST jumps to 03:00 EDT.
    const lonGap = compileCalendar({ timeZone: LON, weeklyHours: { sunday: [['01:00', '02:00'], ['03:00', '04:00']] } });
    expect(lonGap.businessTimeBetween(lon('2025-03-30 00:00'), lon('2025-03-31 00:00'))).toBe(HOUR);
    const lonStartsInGap = compileCalendar({ timeZone: LON, weeklyHours: { sunday: [['01:30', '03:00']] } });
    expect(lonStartsInGap.nextOpening(lon('2025-03-30 00:00'))).toBe(Date.UTC(2025, 2, 30, 1, 0)); // the jump, shown as 02:00 BST
    expect(lonStartsInGap.businessTimeBetween(lon('2025-03-30 00:00'), lon('2025-03-31 00:00'))).toBe(HOUR);
    const nyGap = compileCalendar({ timeZone: NY, weeklyHours: { sunday: [['02:00', '03:00'], ['09:00', '10:00']] } });
    expect(nyGap.businessTimeBetween(ny('2025-03-09 00:00'), ny('2025-03-10 00:00'))).toBe(HOUR);
    expect(nyGap.nextOpening(ny('2025-03-09 00:00'))).toBe(ny('2025-03-09 09:00'));
  });

  it('the repeated hour: an interval spanning it counts both passes; a time inside it is its first occurrence', () => {
    // London 2025-10-26: 02:00 BST goes back to 01:00 GMT. New York 2025-11-02: 02:00 EDT back to 01:00 EST.
    const lonRepeat = compileCalendar({ timeZone: LON, weeklyHours: { sunday: [['01:00', '02:00']] } });
    expect(lonRepeat.businessTimeBetween(lon('2025-10-26 00:00'), lon('2025-10-27 00:00'))).toBe(2 * HOUR);
    expect(lonRepeat.nextOpening(lon('2025-10-26 00:00'))).toBe(Date.UTC(2025, 9, 26, 0, 0)); // 01:00 BST
    const nyRepeat = compileCalendar({ timeZone: NY, weeklyHours: { sunday: [['01:00', '02:00']] } });
    expect(nyRepeat.businessTimeBetween(ny('2025-11-02 00:00'), ny('2025-11-03 00:00'))).toBe(2 * HOUR);
    const nyHalf = compileCalendar({ timeZone: NY, weeklyHours: { sunday: [['00:30', '01:30']] } });
    // 00:30 EDT to the first 01:30 (EDT): one hour, not two.
    expect(nyHalf.businessTimeBetween(ny('2025-11-02 00:00'), ny('2025-11-03 00:00'))).toBe(HOUR);
  });
});

describe('calendar validation', () => {
  const base: CalendarDefinition = weekdays(LON);
  it.each([
    ['timeZone: must be an IANA time zone', { ...base, timeZone: 'Mars/Olympus' }],
    ['weeklyHours.monday.1: interval 11:00–13:00 overlaps 09:00–12:00', { ...base, weeklyHours: { monday: [['09:00', '12:00'], ['11:00', '13:00']] } }],
    ['weeklyHours.monday.1: intervals must be sorted', { ...base, weeklyHours: { monday: [['13:00', '14:00'], ['09:00', '10:00']] } }],
    ['an interval must end after it starts', { ...base, weeklyHours: { monday: [['10:00', '09:00']] } }],
    ['must be a time "HH:MM"', { ...base, weeklyHours: { monday: [['9:00', '17:00']] } }],
    ['must be a time "HH:MM"', { ...base, weeklyHours: { monday: [['09:00', '24:30']] } }],
    ['weeklyHours', { ...base, weeklyHours: { funday: [['09:00', '17:00']] } }],
    ['weeklyHours: a calendar must be open at least once a week', { ...base, weeklyHours: {} }],
    ['holidays.0.date: must be a date "YYYY-MM-DD"', { ...base, holidays: [{ date: '2025-02-30' }] }],
  ])('refuses with a clear message: %s', (message, input) => {
    let err: unknown;
    try {
      parseCalendar(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SlaError);
    expect((err as SlaError).status).toBe(400);
    expect((err as SlaError).code).toBe('invalid_calendar');
    expect((err as SlaError).message).toContain(message);
    expect((err as SlaError).extra.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.any(String) })]));
  });

  it('a calendar that cannot provide the business time asked answers 422, not a hang', () => {
    const holidays = Array.from({ length: 800 }, (_, i) => ({ date: new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString().slice(0, 10) }));
    const closedForYears = compileCalendar({ timeZone: LON, weeklyHours: { monday: [['09:00', '10:00']] }, holidays });
    // Open again in 2027: still reachable.
    expect(closedForYears.nextOpening(lon('2025-01-01 00:00'))).toBeGreaterThan(lon('2027-03-01 00:00'));
    const tiny = compileCalendar({ timeZone: LON, weeklyHours: { monday: [['09:00', '09:01']] } });
    expect(() => tiny.addBusinessTime(lon('2025-03-03 00:00'), 525_600 * MIN)).toThrow(expect.objectContaining({ status: 422, code: 'calendar_never_opens' }));
  });

  it('holidayOn and holidaysBetween report the named holidays', () => {
    expect(split.holidayOn('2025-03-05')).toBe('Staff day');
    expect(split.holidayOn('2025-03-06')).toBeUndefined();
    expect(split.holidaysBetween(lon('2025-03-01 00:00'), lon('2025-03-31 00:00'))).toEqual([{ date: '2025-03-05', name: 'Staff day' }]);
    expect(split.holidaysBetween(lon('2025-03-06 00:00'), lon('2025-03-31 00:00'))).toEqual([]);
  });
});
