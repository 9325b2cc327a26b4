/** Helpers shared by the SLA engine's tests (local times, calendars, policies). */
import { DateTime } from 'luxon';
import { compileCalendar, WEEKDAYS, type BusinessCalendar, type CalendarDefinition } from './sla.calendar.ts';
import { parsePolicy, type Policy, type PolicyInput } from './sla.policy.ts';
import { formatInstant } from './sla.zone.ts';

export const MIN = 60_000;
export const HOUR = 3_600_000;

/** 'YYYY-MM-DD HH:MM' in a zone → epoch ms (a wall time that does not exist throws). */
export function local(text: string, zone: string): number {
  const d = DateTime.fromFormat(text, 'yyyy-MM-dd HH:mm', { zone });
  if (!d.isValid || d.toFormat('yyyy-MM-dd HH:mm') !== text) throw new Error(`no such local time ${text} in ${zone}`);
  return d.toMillis();
}

/** A function that reads local times of one zone. */
export const localIn = (zone: string) => (text: string) => local(text, zone);

export const show = (t: number, zone: string) => formatInstant(t, zone);

/** Monday to Friday with the same intervals every day (default 09:00–17:00). */
export function weekdays(timeZone: string, intervals: [string, string][] = [['09:00', '17:00']], holidays: CalendarDefinition['holidays'] = []): CalendarDefinition {
  return {
    timeZone,
    weeklyHours: { monday: intervals, tuesday: intervals, wednesday: intervals, thursday: intervals, friday: intervals },
    holidays,
  };
}

/** Every day of the week with the same intervals. */
export function everyDay(timeZone: string, intervals: [string, string][]): CalendarDefinition {
  return { timeZone, weeklyHours: Object.fromEntries(WEEKDAYS.map((d) => [d, intervals])) as CalendarDefinition['weeklyHours'] };
}

export function calendars(defs: Record<string, CalendarDefinition>): Map<string, BusinessCalendar> {
  return new Map(Object.entries(defs).map(([id, def]) => [id, compileCalendar(def)]));
}

/** The standard test policy: high 60/120/480, medium 240/480/1440, low 480 first response only, urgent 15/-/240. */
export function policy(overrides: Partial<PolicyInput> = {}): Policy {
  return parsePolicy({
    id: 'std',
    name: 'Standard',
    calendarId: 'office',
    targets: {
      urgent: { firstResponse: 15, resolution: 240 },
      high: { firstResponse: 60, nextResponse: 120, resolution: 480 },
      medium: { firstResponse: 240, nextResponse: 480, resolution: 1440 },
      low: { firstResponse: 480 },
    },
    ...overrides,
  });
}
