import { describe, expect, it } from 'vitest';
import { emptyWeek, fromWeeklyHours, minutesOf, officeWeek, serverWeekErrors, toWeeklyHours, validateWeek, weeklyMinutes, type WeekDraft } from './hours';

function week(days: Partial<Record<keyof WeekDraft, [string, string][]>>): WeekDraft {
  const w = emptyWeek();
  for (const [d, list] of Object.entries(days)) w[d as keyof WeekDraft] = list!.map(([from, to]) => ({ from, to }));
  return w;
}

describe('minutesOf', () => {
  it.each([
    ['00:00', 0],
    ['09:30', 570],
    ['23:59', 1439],
    ['24:00', 1440],
    ['24:01', null],
    ['9:30', null],
    ['12:60', null],
    ['', null],
  ])('%s → %s', (t, m) => expect(minutesOf(t)).toBe(m));
});

describe('validateWeek', () => {
  it('accepts office hours, a split day, touching intervals and a day ending at midnight', () => {
    expect(validateWeek(officeWeek())).toEqual({});
    expect(
      validateWeek(
        week({
          monday: [
            ['09:00', '12:30'],
            ['13:30', '17:00'],
          ],
          tuesday: [
            ['09:00', '12:00'],
            ['12:00', '17:00'],
          ],
          saturday: [['18:00', '24:00']],
        }),
      ),
    ).toEqual({});
  });

  it('checks intervals in start order, so the editor may list them in any order', () => {
    expect(
      validateWeek(
        week({
          monday: [
            ['13:30', '17:00'],
            ['09:00', '12:30'],
          ],
        }),
      ),
    ).toEqual({});
  });

  it.each<[string, WeekDraft, Record<string, string>]>([
    ['a closed week', emptyWeek(), { _week: expect.stringMatching(/at least once/) as unknown as string }],
    ['an end before the start', week({ monday: [['17:00', '09:00']] }), { 'monday.0': 'Ends at 09:00, not after it starts at 17:00', _week: expect.any(String) as unknown as string }],
    ['an empty interval', week({ friday: [['09:00', '09:00']], monday: [['09:00', '10:00']] }), { 'friday.0': 'Ends at 09:00, not after it starts at 09:00' }],
    [
      'an overlap, reported on the later interval',
      week({
        monday: [
          ['11:00', '13:00'],
          ['09:00', '12:00'],
        ],
      }),
      { 'monday.0': 'Overlaps 09:00–12:00' },
    ],
    ['bad times, at the field', week({ monday: [['9', '25:00']], tuesday: [['09:00', '17:00']] }), { 'monday.0.from': 'A time such as 09:00', 'monday.0.to': 'A time such as 17:30 (24:00 for midnight)' }],
    ['24:00 cannot start an interval', week({ monday: [['24:00', '24:00']], tuesday: [['09:00', '17:00']] }), { 'monday.0.from': 'A time such as 09:00' }],
  ])('%s', (_name, w, want) => {
    expect(validateWeek(w)).toEqual(want);
  });
});

describe('conversion to and from the API', () => {
  it('round-trips, sorting intervals and leaving closed days out', () => {
    const w = week({
      monday: [
        ['13:30', '17:00'],
        ['09:00', '12:30'],
      ],
      sunday: [],
    });
    expect(toWeeklyHours(w)).toEqual({
      monday: [
        ['09:00', '12:30'],
        ['13:30', '17:00'],
      ],
    });
    expect(fromWeeklyHours(toWeeklyHours(w)).monday).toEqual([
      { from: '09:00', to: '12:30' },
      { from: '13:30', to: '17:00' },
    ]);
    expect(fromWeeklyHours({ tuesday: 'nonsense', wednesday: [['09:00']] }).tuesday).toEqual([]);
  });

  it('sums the open minutes of a week', () => {
    expect(weeklyMinutes(officeWeek())).toBe(5 * 8 * 60);
    expect(weeklyMinutes(week({ monday: [['17:00', '09:00']] }))).toBe(0);
  });
});

describe('serverWeekErrors', () => {
  it('puts the calendar errors of the API on the interval they name', () => {
    expect(
      serverWeekErrors([
        { path: 'weeklyHours.monday.1', message: 'weeklyHours.monday.1: interval 11:00–13:00 overlaps 09:00–12:00' },
        { path: 'body.weeklyHours.tuesday.0.1', message: 'HH:MM (24:00 ends a day)' },
        { path: 'timeZone', message: 'must be an IANA time zone' },
      ]),
    ).toEqual({ 'monday.1': 'interval 11:00–13:00 overlaps 09:00–12:00', 'tuesday.0.to': 'HH:MM (24:00 ends a day)' });
  });
});
