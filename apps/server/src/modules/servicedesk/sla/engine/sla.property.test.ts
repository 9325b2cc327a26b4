/**
 * Property tests of the business-time engine (fast-check), including a comparison with a naive
 * oracle that walks real time in 15-minute steps and asks luxon for each step's local weekday, time
 * and date.
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { compileCalendar, WEEKDAYS, type BusinessCalendar, type CalendarDefinition } from './sla.calendar.ts';
import { computeTicketSla, type Status, type TicketTimeline, type TimelineEvent } from './sla.clock.ts';
import { PRIORITIES } from './sla.policy.ts';
import { HOUR, MIN, policy } from './sla.testkit.ts';

const STEP = 15 * MIN;
const FROM = Date.UTC(2025, 0, 1);
const SPAN_STEPS = (2 * 365 * 24 * HOUR) / STEP;
/** Zones with DST at night (London, New York, Sydney in both hemispheres) and a half-hour offset. */
const ZONES = ['Europe/London', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC'];
/**
 * Interval boundaries on a 30-minute grid at 00:00 or from 03:00, so none falls inside a skipped or
 * repeated hour (those have their own table-driven tests): the oracle and the engine must agree exactly.
 */
const BOUNDARIES = [0, ...Array.from({ length: (1440 - 180) / 30 + 1 }, (_, i) => 180 + i * 30)];
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

const dayArb = fc
  .uniqueArray(fc.constantFrom(...BOUNDARIES), { maxLength: 6 })
  .map((points) => {
    const sorted = [...points].sort((a, b) => a - b);
    const intervals: [string, string][] = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) intervals.push([hhmm(sorted[i]!), hhmm(sorted[i + 1]!)]);
    return intervals;
  });

const calendarArb: fc.Arbitrary<CalendarDefinition> = fc
  .record({
    timeZone: fc.constantFrom(...ZONES),
    days: fc.tuple(dayArb, dayArb, dayArb, dayArb, dayArb, dayArb, dayArb),
    holidays: fc.uniqueArray(fc.integer({ min: 0, max: 2 * 365 }), { maxLength: 25 }),
  })
  .filter((r) => r.days.some((d) => d.length > 0))
  .map((r) => ({
    timeZone: r.timeZone,
    weeklyHours: Object.fromEntries(WEEKDAYS.map((w, i) => [w, r.days[i]!])) as CalendarDefinition['weeklyHours'],
    holidays: r.holidays.map((d) => ({ date: new Date(FROM + d * 86_400_000).toISOString().slice(0, 10) })),
  }));

/** Open minutes per week, to keep oracle walks short. */
const weeklyOpenMs = (def: CalendarDefinition) =>
  WEEKDAYS.reduce((sum, w) => sum + (def.weeklyHours[w] ?? []).reduce((s, [a, b]) => s + (toMin(b) - toMin(a)) * MIN, 0), 0);
const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));

function oracle(def: CalendarDefinition) {
  const holidays = new Set((def.holidays ?? []).map((h) => h.date));
  const open = (t: number) => {
    const d = DateTime.fromMillis(t, { zone: def.timeZone });
    if (holidays.has(d.toISODate()!)) return false;
    const minute = d.hour * 60 + d.minute;
    return (def.weeklyHours[WEEKDAYS[d.weekday - 1]!] ?? []).some(([a, b]) => toMin(a) <= minute && minute < toMin(b));
  };
  return {
    add(start: number, ms: number) {
      let t = start;
      for (let left = ms; left > 0; t += STEP) if (open(t)) left -= STEP;
      return t;
    },
    between(a: number, b: number) {
      let n = 0;
      for (let t = a; t < b; t += STEP) if (open(t)) n += STEP;
      return n;
    },
  };
}

/** DST changes of the zones above in 2025–2026 (London, New York, Sydney). */
const DST_DAYS = ['2025-03-09', '2025-03-30', '2025-04-06', '2025-10-05', '2025-10-26', '2025-11-02', '2026-03-08', '2026-03-29', '2026-04-05', '2026-10-04', '2026-10-25', '2026-11-01'];
/** Half the starts fall within four days before a DST change. */
const startArb = fc.oneof(
  fc.integer({ min: 0, max: SPAN_STEPS }).map((k) => FROM + k * STEP),
  fc.tuple(fc.constantFrom(...DST_DAYS), fc.integer({ min: 0, max: 4 * 96 })).map(([day, k]) => Date.parse(`${day}T00:00:00Z`) - k * STEP),
);
const anyInstantArb = fc.integer({ min: FROM, max: FROM + 2 * 365 * 24 * HOUR });

describe('business time against a naive 15-minute oracle', () => {
  it('addBusinessTime and businessTimeBetween agree with the oracle on random calendars, DST included', () => {
    fc.assert(
      fc.property(calendarArb, startArb, fc.integer({ min: 1, max: 32 }), fc.integer({ min: 0, max: 10 * 96 }), (def, start, steps, spanSteps) => {
        const cal = compileCalendar(def);
        const o = oracle(def);
        const ms = Math.min(steps * STEP, Math.max(STEP, Math.floor(weeklyOpenMs(def) / STEP) * STEP));
        expect(cal.addBusinessTime(start, ms)).toBe(o.add(start, ms));
        expect(cal.businessTimeBetween(start, start + spanSteps * STEP)).toBe(o.between(start, start + spanSteps * STEP));
      }),
      { numRuns: 150 },
    );
  });
});

describe('business time properties', () => {
  const durationArb = fc.integer({ min: 1, max: 200 * HOUR });

  it('round-trips: businessTimeBetween(s, addBusinessTime(s, d)) = d', () => {
    fc.assert(
      fc.property(calendarArb, anyInstantArb, durationArb, (def, s, d) => {
        const cal = compileCalendar(def);
        expect(cal.businessTimeBetween(s, cal.addBusinessTime(s, d))).toBe(d);
      }),
      { numRuns: 200 },
    );
  });

  it('is monotonic in the duration and in the start', () => {
    fc.assert(
      fc.property(calendarArb, anyInstantArb, anyInstantArb, durationArb, durationArb, (def, s1, s2, d1, d2) => {
        const cal = compileCalendar(def);
        const [a, b] = d1 <= d2 ? [d1, d2] : [d2, d1];
        expect(cal.addBusinessTime(s1, a)).toBeLessThanOrEqual(cal.addBusinessTime(s1, b));
        const [early, late] = s1 <= s2 ? [s1, s2] : [s2, s1];
        expect(cal.addBusinessTime(early, a)).toBeLessThanOrEqual(cal.addBusinessTime(late, a));
      }),
      { numRuns: 200 },
    );
  });

  it('never lands in a closed interval: the last millisecond counted is open', () => {
    fc.assert(
      fc.property(calendarArb, anyInstantArb, fc.integer({ min: 0, max: 200 * HOUR }), (def, s, d) => {
        const cal = compileCalendar(def);
        const due = cal.addBusinessTime(s, d);
        if (d === 0) expect(cal.isOpen(due)).toBe(true);
        else {
          expect(due).toBeGreaterThan(s);
          expect(cal.isOpen(due - 1)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is additive and answers the same in any query order (cache grown both ways)', () => {
    fc.assert(
      fc.property(calendarArb, fc.array(fc.tuple(anyInstantArb, durationArb, durationArb), { minLength: 1, maxLength: 8 }), (def, queries) => {
        const a = compileCalendar(def);
        const b = compileCalendar(def);
        const forward = queries.map(([s, d]) => a.addBusinessTime(s, d));
        const backward = [...queries].reverse().map(([s, d]) => b.addBusinessTime(s, d)).reverse();
        expect(backward).toEqual(forward);
        for (const [s, d, e] of queries) expect(a.addBusinessTime(a.addBusinessTime(s, d), e)).toBe(a.addBusinessTime(s, d + e));
      }),
      { numRuns: 100 },
    );
  });
});

describe('ticket clock properties', () => {
  const std = policy();
  const cals = new Map<string, BusinessCalendar>();
  const eventArb = fc.oneof(
    fc.constant({ type: 'reply', author: 'agent' } as const),
    fc.constant({ type: 'reply', author: 'agent', isInternal: true } as const),
    fc.constant({ type: 'reply', author: 'customer' } as const),
    fc.constantFrom<Status>('open', 'pending_customer', 'on_hold', 'resolved').map((status) => ({ type: 'status', status }) as const),
    fc.constantFrom(...PRIORITIES).map((priority) => ({ type: 'priority', priority }) as const),
  );
  const timelineArb = fc.record({
    calendar: calendarArb,
    created: startArb,
    priority: fc.constantFrom(...PRIORITIES),
    events: fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 30 * HOUR })), { maxLength: 12 }),
    tail: fc.integer({ min: 0, max: 72 * HOUR }),
  });

  type TimelineCase = typeof timelineArb extends fc.Arbitrary<infer T> ? T : never;

  function build(r: TimelineCase) {
    cals.set('office', compileCalendar(r.calendar));
    let at = r.created;
    const events: TimelineEvent[] = r.events.map(([e, gap]) => ({ ...e, at: (at += gap) }));
    const timeline: TicketTimeline = { createdAt: r.created, priority: r.priority, policy: std, events };
    return { timeline, now: at + r.tail };
  }

  it('every cycle satisfies its derivation and its state is consistent', () => {
    fc.assert(
      fc.property(timelineArb, (r) => {
        const { timeline, now } = build(r);
        const sla = computeTicketSla(timeline, { calendars: cals, now });
        const cal = cals.get('office')!;
        sla.cycles.forEach((c, k) => {
          const d = sla.detail.derivations[k]!;
          const goal = c.goalMinutes * MIN;
          expect(c.dueAt).toBe(cal.addBusinessTime(c.startedAt, goal + d.pausedBeforeDueMs));
          expect(c.elapsedBusinessMs + c.pausedBusinessMs).toBe(cal.businessTimeBetween(c.startedAt, c.achievedAt ?? now));
          if (c.state === 'achieved') expect(c.achievedAt !== null && c.achievedAt <= c.dueAt).toBe(true);
          if (c.state === 'breached') expect(c.breachedAt !== null && c.breachedAt <= (c.achievedAt ?? now)).toBe(true);
          if (c.state === 'active' || c.state === 'paused') expect(c.achievedAt === null && c.dueAt > now).toBe(true);
          if (c.state !== 'breached') expect(c.breachedAt).toBeNull();
          c.warningsDueAt.forEach((w) => expect(w).toBeLessThanOrEqual(c.dueAt));
        });
      }),
      { numRuns: 150 },
    );
  });

  it('a pause never makes a due time earlier', () => {
    fc.assert(
      fc.property(timelineArb, fc.integer({ min: 0, max: 48 * HOUR }), fc.integer({ min: 1, max: 48 * HOUR }), (r, offset, length) => {
        const { timeline, now } = build({ ...r, events: r.events.filter(([e]) => e.type === 'reply' && e.author === 'agent') });
        const start = r.created + offset;
        const paused: TicketTimeline = {
          ...timeline,
          events: [...timeline.events, { type: 'status', at: start, status: 'on_hold' }, { type: 'status', at: start + length, status: 'open' }],
        };
        const end = Math.max(now, start + length);
        const a = computeTicketSla(timeline, { calendars: cals, now: end });
        const b = computeTicketSla(paused, { calendars: cals, now: end });
        for (const kind of ['firstResponse', 'resolution'] as const) {
          if (a.targets[kind] && b.targets[kind]) expect(b.targets[kind].dueAt).toBeGreaterThanOrEqual(a.targets[kind].dueAt);
        }
      }),
      { numRuns: 100 },
    );
  });
});
