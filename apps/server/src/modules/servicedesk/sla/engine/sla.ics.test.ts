import { describe, expect, it } from 'vitest';
import { compileCalendar } from './sla.calendar.ts';
import { SlaError } from './sla.errors.ts';
import { importHolidaysFromIcs } from './sla.ics.ts';
import { local, MIN, weekdays } from './sla.testkit.ts';

const ics = (...events: string[]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//IMSOP//test//EN', ...events, 'END:VCALENDAR', ''].join('\r\n');
const event = (...lines: string[]) => ['BEGIN:VEVENT', `DTSTAMP:20250101T000000Z`, ...lines, 'END:VEVENT'].join('\r\n');

const UK_2025 = ics(
  event('UID:newyear@test', 'DTSTART;VALUE=DATE:20250101', 'DTEND;VALUE=DATE:20250102', 'SUMMARY:New Year’s Day'),
  event('UID:easter@test', 'DTSTART;VALUE=DATE:20250418', 'DTEND;VALUE=DATE:20250422', 'SUMMARY:Easter'),
  event('UID:xmas@test', 'DTSTART;VALUE=DATE:20201225', 'RRULE:FREQ=YEARLY', 'SUMMARY:Christmas Day'),
  event('UID:xmas@test', 'RECURRENCE-ID;VALUE=DATE:20261225', 'DTSTART;VALUE=DATE:20261228', 'SUMMARY:Christmas Day (substitute)'),
  event('UID:boxing@test', 'DTSTART;VALUE=DATE:20201226', 'RRULE:FREQ=YEARLY;COUNT=6', 'EXDATE;VALUE=DATE:20251226', 'SUMMARY:Boxing Day'),
  event('UID:party@test', 'DTSTART;TZID=Europe/London:20250704T150000', 'DTEND;TZID=Europe/London:20250704T180000', 'SUMMARY:Summer party'),
  event('UID:utc@test', 'DTSTART:20250930T230000Z', 'DURATION:PT2H', 'SUMMARY:Offsite'),
  event('UID:gone@test', 'DTSTART;VALUE=DATE:20250505', 'STATUS:CANCELLED', 'SUMMARY:Cancelled'),
  event('UID:anon@test', 'DTSTART;VALUE=DATE:20250808'),
);

describe('importHolidaysFromIcs', () => {
  it('reads all-day, multi-day, recurring (with EXDATE and overrides), dated and UTC events within the range', () => {
    const got = importHolidaysFromIcs(UK_2025, { from: '2025-01-01', to: '2026-12-31', timeZone: 'Asia/Tokyo' });
    expect(got).toEqual([
      { date: '2025-01-01', name: 'New Year’s Day' },
      { date: '2025-04-18', name: 'Easter' },
      { date: '2025-04-19', name: 'Easter' },
      { date: '2025-04-20', name: 'Easter' },
      { date: '2025-04-21', name: 'Easter' },
      { date: '2025-07-04', name: 'Summer party' }, // TZID time: the date as written
      { date: '2025-08-08' }, // no SUMMARY: unnamed
      { date: '2025-10-01', name: 'Offsite' }, // 23:00Z is already 1 October in Tokyo
      { date: '2025-12-25', name: 'Christmas Day' },
      // 2025-12-26 excluded by EXDATE; COUNT=6 ends Boxing Day after 2025
      { date: '2026-12-28', name: 'Christmas Day (substitute)' }, // RECURRENCE-ID override moves 25 Dec 2026
    ]);
  });

  it('places a UTC time on its UTC date by default, and keeps only dates inside [from, to]', () => {
    const got = importHolidaysFromIcs(UK_2025, { from: '2025-09-01', to: '2025-12-25' });
    expect(got.map((h) => h.date)).toEqual(['2025-09-30', '2025-12-25']);
  });

  it('expands a yearly rule with no end only up to the range', () => {
    const got = importHolidaysFromIcs(ics(event('UID:y@test', 'DTSTART;VALUE=DATE:19900101', 'RRULE:FREQ=YEARLY', 'SUMMARY:NY')), {
      from: '2030-01-01',
      to: '2034-12-31',
    });
    expect(got.map((h) => h.date)).toEqual(['2030-01-01', '2031-01-01', '2032-01-01', '2033-01-01', '2034-01-01']);
  });

  it('feeds a calendar: imported holidays close whole days', () => {
    const holidays = importHolidaysFromIcs(UK_2025, { from: '2025-01-01', to: '2025-12-31', timeZone: 'Europe/London' });
    const cal = compileCalendar(weekdays('Europe/London', [['09:00', '17:00']], holidays));
    // Thursday 17 April 16:00 + 2 h: Good Friday and Easter Monday closed → Tuesday 22 April 10:00.
    expect(cal.addBusinessTime(local('2025-04-17 16:00', 'Europe/London'), 120 * MIN)).toBe(local('2025-04-22 10:00', 'Europe/London'));
  });

  it.each([
    ['empty text', '', { from: '2025-01-01', to: '2025-12-31' }, 'The .ics file is empty.'],
    ['not iCalendar', 'hello world', { from: '2025-01-01', to: '2025-12-31' }, 'The file is not valid iCalendar'],
    ['unterminated', 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR', { from: '2025-01-01', to: '2025-12-31' }, 'not valid iCalendar'],
    ['not a VCALENDAR', 'BEGIN:VEVENT\r\nEND:VEVENT', { from: '2025-01-01', to: '2025-12-31' }, 'must contain a VCALENDAR (found VEVENT)'],
    ['no DTSTART', ics(event('UID:x@test', 'SUMMARY:x')), { from: '2025-01-01', to: '2025-12-31' }, 'VEVENT #1 (UID x@test) is invalid: it has no DTSTART'],
    ['bad DTSTART', ics(event('DTSTART:garbage')), { from: '2025-01-01', to: '2025-12-31' }, 'VEVENT #1 is invalid'],
    ['bad range', UK_2025, { from: '2025-13-01', to: '2025-12-31' }, 'dates "YYYY-MM-DD"'],
    ['reversed range', UK_2025, { from: '2025-12-31', to: '2025-01-01' }, 'ends before it starts'],
    ['range too long', UK_2025, { from: '1900-01-01', to: '2025-01-01' }, 'at most 50 years'],
    ['bad zone', UK_2025, { from: '2025-01-01', to: '2025-12-31', timeZone: 'Nowhere/City' }, 'Unknown time zone'],
    [
      'runaway daily rule',
      ics(event('UID:d@test', 'DTSTART;VALUE=DATE:19000101', 'RRULE:FREQ=DAILY', 'SUMMARY:Every day')),
      { from: '2025-01-01', to: '2025-12-31' },
      'repeats more than 20000 times',
    ],
  ])('%s → SlaError 400 invalid_ics with a clear message', (_name, text, options, message) => {
    let err: unknown;
    try {
      importHolidaysFromIcs(text, options);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SlaError);
    expect(err).toMatchObject({ status: 400, code: 'invalid_ics' });
    expect((err as Error).message).toContain(message);
  });

  it('refuses a file larger than 2 MiB', () => {
    const big = ics(event('UID:x@test', 'DTSTART;VALUE=DATE:20250101', `DESCRIPTION:${'x'.repeat(2 * 1024 * 1024)}`));
    expect(() => importHolidaysFromIcs(big, { from: '2025-01-01', to: '2025-12-31' })).toThrow(/larger than 2 MiB/);
  });
});
