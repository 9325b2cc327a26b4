import { describe, expect, it } from 'vitest';
import { twentyFourSeven } from './sla.calendar.ts';
import { computeTicketSla, type TargetClock, type TicketTimeline, type TimelineEvent } from './sla.clock.ts';
import { SlaError } from './sla.errors.ts';
import { explainTicketSla } from './sla.explain.ts';
import type { Policy, Priority, TargetKind } from './sla.policy.ts';
import { calendars, HOUR, localIn, MIN, policy, show, weekdays } from './sla.testkit.ts';

const LON = 'Europe/London';
const t = localIn(LON);
// 2025-03-03 is a Monday (GMT); the office is open Monday to Friday 09:00–17:00.
const MON = '2025-03-03';
const TUE = '2025-03-04';
const WED = '2025-03-05';
const cals = calendars({ office: weekdays(LON), round: twentyFourSeven(LON) });
const std = policy();
const premium = policy({
  id: 'premium',
  name: 'Premium 24/7',
  calendarId: 'round',
  targets: { high: { firstResponse: 120, resolution: 600 } },
});
const resolutionOnly = policy({ id: 'res-only', name: 'Resolution only', targets: { high: { resolution: 480 } } });

const agent = (at: string): TimelineEvent => ({ type: 'reply', at: t(at), author: 'agent' });
const note = (at: string): TimelineEvent => ({ type: 'reply', at: t(at), author: 'agent', isInternal: true });
const customer = (at: string): TimelineEvent => ({ type: 'reply', at: t(at), author: 'customer' });
const status = (at: string, s: 'open' | 'pending_customer' | 'on_hold' | 'resolved' | 'closed'): TimelineEvent => ({ type: 'status', at: t(at), status: s });
const prio = (at: string, priority: Priority): TimelineEvent => ({ type: 'priority', at: t(at), priority });
const pol = (at: string, p: Policy): TimelineEvent => ({ type: 'policy', at: t(at), policy: p });

function run(created: string, priority: Priority, events: TimelineEvent[], now: string, p: Policy = std) {
  const timeline: TicketTimeline = { createdAt: t(created), priority, policy: p, events };
  return computeTicketSla(timeline, { calendars: cals, now: t(now) });
}

interface Expect {
  state: TargetClock['state'];
  due: string;
  elapsedMin?: number;
  pausedMin?: number;
  achieved?: string;
  breached?: string;
}
type Row = [string, string, Priority, TimelineEvent[], string, Partial<Record<TargetKind, Expect | null>>, Policy?];

function check(clock: TargetClock | null, e: Expect | null | undefined) {
  if (e === undefined) return;
  if (e === null) return expect(clock).toBeNull();
  expect(clock).not.toBeNull();
  const c = clock!;
  expect({ state: c.state, due: show(c.dueAt, LON) }).toEqual({ state: e.state, due: show(t(e.due), LON) });
  if (e.elapsedMin !== undefined) expect(c.elapsedBusinessMs / MIN).toBe(e.elapsedMin);
  if (e.pausedMin !== undefined) expect(c.pausedBusinessMs / MIN).toBe(e.pausedMin);
  expect(c.achievedAt === null ? null : show(c.achievedAt, LON)).toBe(e.achieved ? show(t(e.achieved), LON) : null);
  expect(c.breachedAt === null ? null : show(c.breachedAt, LON)).toBe(e.breached ? show(t(e.breached), LON) : null);
}

describe('ticket clocks', () => {
  it.each<Row>([
    [
      'new ticket within hours',
      `${MON} 10:00`, 'high', [], `${MON} 10:30`,
      {
        firstResponse: { state: 'active', due: `${MON} 11:00`, elapsedMin: 30, pausedMin: 0 },
        resolution: { state: 'active', due: `${TUE} 10:00`, elapsedMin: 30 },
        nextResponse: null,
      },
    ],
    [
      'arrives outside hours: the clock starts at the next opening',
      '2025-03-07 18:30', 'high', [], '2025-03-10 09:30',
      { firstResponse: { state: 'active', due: '2025-03-10 10:00', elapsedMin: 30 } },
    ],
    [
      'an internal note is not a response',
      `${MON} 10:00`, 'high', [note(`${MON} 10:20`)], `${MON} 10:30`,
      { firstResponse: { state: 'active', due: `${MON} 11:00` } },
    ],
    [
      'a public agent reply achieves the first response',
      `${MON} 10:00`, 'high', [note(`${MON} 10:20`), agent(`${MON} 10:40`)], `${MON} 12:00`,
      { firstResponse: { state: 'achieved', due: `${MON} 11:00`, elapsedMin: 40, achieved: `${MON} 10:40` } },
    ],
    [
      'a late reply: breached, then achieved late',
      `${MON} 10:00`, 'high', [agent(`${MON} 11:30`)], `${MON} 12:00`,
      { firstResponse: { state: 'breached', due: `${MON} 11:00`, achieved: `${MON} 11:30`, breached: `${MON} 11:00` } },
    ],
    [
      'no reply: breached at the due time',
      `${MON} 10:00`, 'high', [], `${MON} 11:30`,
      { firstResponse: { state: 'breached', due: `${MON} 11:00`, elapsedMin: 90, breached: `${MON} 11:00` } },
    ],
    [
      'overnight gap',
      `${MON} 16:30`, 'high', [], `${TUE} 09:10`,
      { firstResponse: { state: 'active', due: `${TUE} 09:30`, elapsedMin: 40 } },
    ],
    [
      'a pause spanning two nights pushes the due time by its business time',
      `${MON} 10:00`, 'high',
      [agent(`${MON} 10:30`), status(`${MON} 16:00`, 'pending_customer'), status(`${WED} 11:00`, 'open')],
      `${WED} 12:00`,
      {
        firstResponse: { state: 'achieved', due: `${MON} 11:00`, achieved: `${MON} 10:30` },
        // 6 h before the pause, 11 business hours paused (Mon 1 h, Tue 8 h, Wed 2 h), 2 h left from Wed 11:00.
        resolution: { state: 'active', due: `${WED} 13:00`, elapsedMin: 7 * 60, pausedMin: 11 * 60 },
      },
    ],
    [
      'while paused the due time is "if resumed now"',
      `${MON} 10:00`, 'high',
      [agent(`${MON} 10:30`), status(`${MON} 16:00`, 'pending_customer')],
      `${TUE} 12:00`,
      { resolution: { state: 'paused', due: `${TUE} 14:00`, elapsedMin: 6 * 60, pausedMin: 4 * 60 } },
    ],
    [
      'a customer reply ends pending_customer and starts the next-response clock',
      `${MON} 10:00`, 'high',
      [agent(`${MON} 10:30`), status(`${MON} 11:00`, 'pending_customer'), customer(`${TUE} 10:00`)],
      `${TUE} 11:00`,
      {
        resolution: { state: 'active', due: `${TUE} 17:00`, elapsedMin: 2 * 60, pausedMin: 7 * 60 },
        nextResponse: { state: 'active', due: `${TUE} 12:00`, elapsedMin: 60 },
      },
    ],
    [
      'on_hold pauses every running clock; a customer reply does not end it',
      `${MON} 10:00`, 'high',
      [agent(`${MON} 10:30`), status(`${MON} 11:00`, 'on_hold'), customer(`${MON} 12:00`)],
      `${MON} 14:00`,
      {
        resolution: { state: 'paused', due: `${TUE} 13:00`, elapsedMin: 60, pausedMin: 180 },
        nextResponse: { state: 'paused', due: `${MON} 16:00`, elapsedMin: 0, pausedMin: 120 },
      },
    ],
    [
      'next response: starts at a customer reply after an agent response, stops at the next public agent reply',
      `${MON} 10:00`, 'high',
      [agent(`${MON} 10:30`), customer(`${MON} 14:00`), customer(`${MON} 14:30`), agent(`${MON} 15:00`), customer(`${MON} 16:30`)],
      `${TUE} 11:00`,
      // Cycle 1 started Mon 16:30: 30 min on Monday, 90 on Tuesday.
      { nextResponse: { state: 'breached', due: `${TUE} 10:30`, breached: `${TUE} 10:30`, elapsedMin: 150 } },
    ],
    [
      'a customer reply before any agent response starts no next-response clock',
      `${MON} 10:00`, 'high', [customer(`${MON} 10:10`)], `${MON} 10:30`,
      { nextResponse: null, firstResponse: { state: 'active', due: `${MON} 11:00` } },
    ],
    [
      'resolving without a reply settles the first response',
      `${MON} 10:00`, 'high', [status(`${MON} 10:20`, 'resolved')], `${MON} 12:00`,
      {
        firstResponse: { state: 'achieved', due: `${MON} 11:00`, achieved: `${MON} 10:20` },
        resolution: { state: 'achieved', due: `${TUE} 10:00`, achieved: `${MON} 10:20`, elapsedMin: 20 },
      },
    ],
    [
      'a customer reply reopens a resolved ticket: a new resolution cycle with the full target',
      `${MON} 10:00`, 'high',
      [agent(`${MON} 10:30`), status(`${MON} 15:00`, 'resolved'), customer(`${TUE} 09:00`)],
      `${TUE} 10:00`,
      {
        resolution: { state: 'active', due: `${TUE} 17:00`, elapsedMin: 60 },
        nextResponse: { state: 'active', due: `${TUE} 11:00` },
      },
    ],
    [
      'closed ends the timeline: later events are ignored',
      `${MON} 10:00`, 'high', [agent(`${MON} 10:30`), status(`${MON} 11:00`, 'closed'), customer(`${MON} 12:00`)], `${TUE} 12:00`,
      { resolution: { state: 'achieved', due: `${TUE} 10:00`, achieved: `${MON} 11:00` }, nextResponse: null },
    ],
    [
      'a 24/7 policy counts nights and weekends',
      '2025-03-08 23:00', 'high', [], '2025-03-08 23:30',
      { firstResponse: { state: 'active', due: '2025-03-09 01:00', elapsedMin: 30 }, resolution: { state: 'active', due: '2025-03-09 09:00' } },
      premium,
    ],
    [
      'across the spring DST change (Friday GMT → Monday BST)',
      '2025-03-28 16:30', 'high', [], '2025-03-31 09:00',
      { firstResponse: { state: 'active', due: '2025-03-31 09:30', elapsedMin: 30 } },
    ],
    [
      'a priority without that target has no clock',
      `${MON} 10:00`, 'low', [], `${MON} 10:30`,
      { resolution: null, nextResponse: null, firstResponse: { state: 'active', due: `${TUE} 10:00` } },
    ],
  ])('%s', (_name, created, priority, events, now, expected, p) => {
    const sla = run(created, priority, events, now, p);
    for (const [kind, e] of Object.entries(expected)) check(sla.targets[kind as TargetKind], e);
  });

  it('warnings fall at 75% and 90% of the business time, pauses included', () => {
    const sla = run(`${MON} 16:00`, 'high', [], `${MON} 16:10`);
    expect(sla.targets.firstResponse!.warningsDueAt.map((w) => show(w, LON))).toEqual([show(t(`${MON} 16:45`), LON), show(t(`${MON} 16:54`), LON)]);
    // Paused 16:30–17:00 then open again Tuesday: 30 min done, 15 more for 75% → Tue 09:15.
    const paused = run(`${MON} 16:00`, 'high', [status(`${MON} 16:30`, 'on_hold'), status(`${TUE} 09:00`, 'open')], `${TUE} 09:05`);
    expect(paused.targets.firstResponse!.warningsDueAt.map((w) => show(w, LON))).toEqual([show(t(`${TUE} 09:15`), LON), show(t(`${TUE} 09:24`), LON)]);
  });

  it('keeps every cycle: the first next-response cycle was achieved on time', () => {
    const sla = run(
      `${MON} 10:00`, 'high',
      [agent(`${MON} 10:30`), customer(`${MON} 14:00`), agent(`${MON} 15:00`), customer(`${MON} 16:30`)],
      `${TUE} 11:00`,
    );
    const nr = sla.cycles.filter((c) => c.target === 'nextResponse');
    expect(nr.map((c) => [c.cycle, c.state, c.stopReason])).toEqual([
      [0, 'achieved', 'agent_reply'],
      [1, 'breached', null],
    ]);
    expect(show(nr[0]!.dueAt, LON)).toBe(show(t(`${MON} 16:00`), LON));
  });

  it('events in any order and as Date or ISO strings give the same result', () => {
    const events = [agent(`${MON} 10:40`), status(`${MON} 11:00`, 'pending_customer'), customer(`${MON} 13:00`)];
    const a = run(`${MON} 10:00`, 'high', events, `${MON} 14:00`);
    const shuffled = [events[2]!, events[0]!, events[1]!].map((e, i) => ({ ...e, at: i % 2 ? new Date(e.at as number) : new Date(e.at as number).toISOString() }));
    const b = computeTicketSla(
      { createdAt: new Date(t(`${MON} 10:00`)).toISOString(), priority: 'high', policy: std, events: shuffled },
      { calendars: cals, now: new Date(t(`${MON} 14:00`)) },
    );
    expect(b.targets).toEqual(a.targets);
  });

  it('ignores events after now', () => {
    const sla = run(`${MON} 10:00`, 'high', [agent(`${MON} 12:00`)], `${MON} 10:30`);
    expect(sla.targets.firstResponse!.state).toBe('active');
  });

  it.each([
    ['an unknown calendar', { policy: { ...std, calendarId: 'nope' } }, 422, 'calendar_missing'],
    ['a creation after now', { createdAt: t(`${TUE} 10:00`) }, 400, 'invalid_timeline'],
    ['an unparseable instant', { createdAt: 'yesterday' }, 400, 'invalid_timeline'],
    ['an ISO time without an offset', { createdAt: '2025-03-03T10:00:00' }, 400, 'invalid_timeline'],
    ['an instant out of range', { createdAt: Date.UTC(1800, 0, 1) }, 400, 'invalid_instant'],
    ['an unknown status', { events: [{ type: 'status', at: t(`${MON} 10:10`), status: 'lost' }] }, 400, 'invalid_timeline'],
    ['an unknown priority', { priority: 'critical' }, 400, 'invalid_timeline'],
    ['an unknown event type', { events: [{ type: 'merge', at: t(`${MON} 10:10`) }] }, 400, 'invalid_timeline'],
  ])('refuses %s with a typed error', (_name, change, statusCode, code) => {
    const timeline = { createdAt: t(`${MON} 10:00`), priority: 'high', policy: std, events: [], ...change } as unknown as TicketTimeline;
    let err: unknown;
    try {
      computeTicketSla(timeline, { calendars: cals, now: t(`${MON} 11:00`) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SlaError);
    expect(err).toMatchObject({ status: statusCode, code });
  });
});

describe('a priority or policy change in the middle of a ticket', () => {
  it.each<Row>([
    [
      'upgrade before the new due time: re-measured from the start',
      `${MON} 10:00`, 'medium', [prio(`${MON} 10:30`, 'high')], `${MON} 10:45`,
      { firstResponse: { state: 'active', due: `${MON} 11:00`, elapsedMin: 45 } },
    ],
    [
      'upgrade after the new due time has passed: breached at the change',
      `${MON} 10:00`, 'medium', [prio(`${MON} 12:00`, 'high')], `${MON} 12:30`,
      { firstResponse: { state: 'breached', due: `${MON} 11:00`, breached: `${MON} 12:00` } },
    ],
    [
      'downgrade before the breach extends the due time',
      `${MON} 10:00`, 'high', [prio(`${MON} 10:30`, 'medium')], `${MON} 12:00`,
      { firstResponse: { state: 'active', due: `${MON} 14:00` } },
    ],
    [
      'a breach that already happened stays',
      `${MON} 10:00`, 'high', [prio(`${MON} 12:00`, 'low')], `${MON} 12:30`,
      { firstResponse: { state: 'breached', due: `${MON} 11:00`, breached: `${MON} 11:00` } },
    ],
    [
      'a target achieved before the change stays achieved',
      `${MON} 10:00`, 'high', [agent(`${MON} 10:20`), prio(`${MON} 10:30`, 'urgent')], `${MON} 11:00`,
      { firstResponse: { state: 'achieved', due: `${MON} 11:00`, achieved: `${MON} 10:20` } },
    ],
    [
      'a policy on another calendar re-measures from the start on that calendar',
      `${MON} 16:00`, 'high', [pol(`${MON} 16:30`, premium)], `${MON} 17:30`,
      {
        firstResponse: { state: 'active', due: `${MON} 18:00`, elapsedMin: 90 },
        resolution: { state: 'active', due: `${TUE} 02:00` },
        nextResponse: null,
      },
    ],
    [
      'a policy without the target drops the running clock',
      `${MON} 10:00`, 'high', [pol(`${MON} 10:30`, resolutionOnly)], `${MON} 12:00`,
      { firstResponse: null, resolution: { state: 'active', due: `${TUE} 10:00` } },
    ],
    [
      'pauses before the change still count',
      `${MON} 10:00`, 'medium',
      [status(`${MON} 10:30`, 'pending_customer'), status(`${MON} 11:30`, 'open'), prio(`${MON} 11:45`, 'high')],
      `${MON} 11:50`,
      { firstResponse: { state: 'active', due: `${MON} 12:00`, elapsedMin: 50, pausedMin: 60 } },
    ],
  ])('%s', (_name, created, priority, events, now, expected, p) => {
    const sla = run(created, priority, events, now, p);
    for (const [kind, e] of Object.entries(expected)) check(sla.targets[kind as TargetKind], e);
  });

  it('a change at the evaluation instant is in effect at that instant (the change that stores the clocks computes them)', () => {
    // The ticket moves to the tighter premium policy at 16:30, and the clocks are computed at 16:30.
    const moved = run(`${MON} 16:00`, 'high', [pol(`${MON} 16:30`, premium)], `${MON} 16:30`);
    expect(moved.policyId).toBe('premium');
    check(moved.targets.firstResponse, { state: 'active', due: `${MON} 18:00`, elapsedMin: 30 });
    // Raised to urgent at 10:30, computed at 10:30: the 15-minute target is already missed.
    const raised = run(`${MON} 10:00`, 'medium', [prio(`${MON} 10:30`, 'urgent')], `${MON} 10:30`);
    check(raised.targets.firstResponse, { state: 'breached', due: `${MON} 10:15`, breached: `${MON} 10:30` });
    // The same as computing a moment later.
    const later = run(`${MON} 10:00`, 'medium', [prio(`${MON} 10:30`, 'urgent')], `${MON} 10:31`);
    expect(later.targets.firstResponse!.dueAt).toBe(raised.targets.firstResponse!.dueAt);
    // A stopped cycle is not re-measured by a change at its stop instant.
    const answered = run(`${MON} 10:00`, 'medium', [agent(`${MON} 10:30`), prio(`${MON} 10:30`, 'urgent')], `${MON} 11:00`);
    check(answered.targets.firstResponse, { state: 'achieved', due: `${MON} 14:00`, achieved: `${MON} 10:30` });
  });

  it('reports the current priority and policy', () => {
    const sla = run(`${MON} 10:00`, 'medium', [prio(`${MON} 10:30`, 'high'), pol(`${MON} 10:40`, premium)], `${MON} 11:00`);
    expect([sla.priority, sla.policyId, sla.targets.firstResponse!.policyId, sla.targets.firstResponse!.calendarId]).toEqual(['high', 'premium', 'premium', 'round']);
  });
});

describe('explanation', () => {
  const timeline: TicketTimeline = {
    createdAt: t('2025-03-07 16:30'),
    priority: 'medium',
    policy: std,
    events: [
      agent('2025-03-07 16:45'),
      status('2025-03-07 16:50', 'pending_customer'),
      customer('2025-03-10 10:00'),
      prio('2025-03-10 10:30', 'high'),
    ],
  };
  const now = t('2025-03-10 11:00');
  const ex = explainTicketSla(timeline, { calendars: cals, now });

  it('lists the target changes, the pauses and every target with its derivation', () => {
    expect(ex.timeZone).toBe(LON);
    expect(ex.ticket).toMatchObject({ priority: 'high', policyId: 'std', calendarId: 'office', status: 'open' });
    expect(ex.targetChanges.map((c) => [c.at, c.priority])).toEqual([
      ['2025-03-07T16:30:00+00:00', 'medium'],
      ['2025-03-10T10:30:00+00:00', 'high'],
    ]);
    expect(ex.pauses).toEqual([
      { status: 'pending_customer', start: '2025-03-07T16:50:00+00:00', end: '2025-03-10T10:00:00+00:00', businessMs: 70 * MIN },
    ]);
    const resolution = ex.targets.find((x) => x.target === 'resolution')!;
    expect(resolution).toMatchObject({
      state: 'active',
      goalMinutes: 480,
      startedAt: '2025-03-07T16:30:00+00:00',
      clockStartedAt: '2025-03-07T16:30:00+00:00',
      pausedBeforeDueMs: 70 * MIN,
      remeasuredAt: ['2025-03-10T10:30:00+00:00'],
      // 20 min on Friday, then from Monday 10:00: 460 min → Tuesday 09:40.
      dueAt: '2025-03-11T09:40:00+00:00',
    });
    expect(resolution.derivation).toContain('plus 70 paused business minutes');
    expect(resolution.derivation).toContain('Re-measured from its start after the target changed at 2025-03-10T10:30:00+00:00');
    const nr = ex.targets.find((x) => x.target === 'nextResponse')!;
    expect(nr).toMatchObject({ state: 'active', startedAt: '2025-03-10T10:00:00+00:00', dueAt: '2025-03-10T12:00:00+00:00' });
    expect(nr.warnings).toEqual([
      { threshold: 0.75, at: '2025-03-10T11:30:00+00:00', reached: false },
      { threshold: 0.9, at: '2025-03-10T11:48:00+00:00', reached: false },
    ]);
    // Achieved at 16:45 on Friday: the warnings it would have had later were never reached.
    const fr = ex.targets.find((x) => x.target === 'firstResponse')!;
    expect(fr).toMatchObject({ state: 'achieved', achievedAt: '2025-03-07T16:45:00+00:00', stopReason: 'agent_reply' });
    expect(fr.warnings.map((w) => w.reached)).toEqual([false, false]);
    expect(resolution.warnings.map((w) => w.reached)).toEqual([false, false]);
  });

  it('lists the calendar intervals from creation to the latest due time', () => {
    expect(ex.calendar.from).toBe('2025-03-07T16:30:00+00:00');
    expect(ex.calendar.to).toBe('2025-03-11T09:40:00+00:00');
    expect(ex.calendar.intervals).toEqual([
      { start: '2025-03-07T16:30:00+00:00', end: '2025-03-07T17:00:00+00:00', businessMs: 30 * MIN },
      { start: '2025-03-10T09:00:00+00:00', end: '2025-03-10T17:00:00+00:00', businessMs: 8 * HOUR },
      { start: '2025-03-11T09:00:00+00:00', end: '2025-03-11T09:40:00+00:00', businessMs: 40 * MIN },
    ]);
    expect(ex.calendar.truncated).toBe(false);
    const short = explainTicketSla(timeline, { calendars: cals, now, maxIntervals: 1 });
    expect(short.calendar.intervals).toHaveLength(1);
    expect(short.calendar.truncated).toBe(true);
  });

  it('marks the warnings already reached', () => {
    const x = explainTicketSla({ createdAt: t(`${MON} 10:00`), priority: 'high', policy: std, events: [] }, { calendars: cals, now: t(`${MON} 10:50`) });
    expect(x.targets.find((y) => y.target === 'firstResponse')!.warnings.map((w) => [w.at, w.reached])).toEqual([
      ['2025-03-03T10:45:00+00:00', true],
      ['2025-03-03T10:54:00+00:00', false],
    ]);
  });

  it('says when a ticket arrived outside hours', () => {
    const late = explainTicketSla({ ...timeline, createdAt: t('2025-03-07 18:00'), events: [] }, { calendars: cals, now });
    const fr = late.targets.find((x) => x.target === 'firstResponse')!;
    expect(fr.clockStartedAt).toBe('2025-03-10T09:00:00+00:00');
    expect(fr.derivation).toContain('outside business hours, so the clock starts at the next opening 2025-03-10T09:00:00+00:00');
    expect(JSON.parse(JSON.stringify(late))).toEqual(late); // plain JSON, ready to serve
  });

  it('says a pause under a minute in seconds, not in hundredths of a minute', () => {
    const t0 = t(`${MON} 10:00`);
    const short = explainTicketSla(
      {
        createdAt: t0,
        priority: 'medium',
        policy: std,
        events: [
          { type: 'status', at: t0 + 1_000, status: 'pending_customer' },
          { type: 'status', at: t0 + 37_000, status: 'open' },
        ],
      },
      { calendars: cals, now: t(`${MON} 10:10`) },
    );
    const resolution = short.targets.find((x) => x.target === 'resolution')!;
    expect(resolution.pausedBeforeDueMs).toBe(36_000);
    expect(resolution.derivation).toContain('plus 36 seconds of paused business time before the due time');
  });
});
