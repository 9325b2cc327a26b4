import { describe, expect, it } from 'vitest';
import { computeTicketSla, type TicketTimeline, type TimelineEvent } from './sla.clock.ts';
import { SlaError } from './sla.errors.ts';
import { evaluateEscalations, parseEscalationPlan } from './sla.escalation.ts';
import { calendars, localIn, policy, show, weekdays } from './sla.testkit.ts';

const LON = 'Europe/London';
const t = localIn(LON);
const cals = calendars({ office: weekdays(LON) });
const std = policy();

const plan = parseEscalationPlan([
  { id: 'manager', at: 'breach', actions: ['notify_manager'] },
  { id: 'executive', at: 'breach', offsetMinutes: 120, actions: ['notify_executive', 'raise_priority', 'reassign'] },
  { id: 'heads-up', at: 'warning', threshold: 0.75, target: 'firstResponse', actions: ['notify_assignee'] },
]);

function slaAt(now: string, events: TimelineEvent[] = [], created = '2025-03-03 10:00') {
  const timeline: TicketTimeline = { createdAt: t(created), priority: 'high', policy: std, events };
  return computeTicketSla(timeline, { calendars: cals, now: t(now) });
}
const keys = (r: ReturnType<typeof evaluateEscalations>) => r.due.map((d) => d.key);

describe('evaluateEscalations', () => {
  // High priority created Monday 10:00: first response due 11:00 (warning 75% at 10:45), resolution Tuesday 10:00.
  it.each([
    ['2025-03-03 10:30', [], '2025-03-03 10:45'],
    ['2025-03-03 10:45', ['firstResponse:0:heads-up'], '2025-03-03 11:00'],
    ['2025-03-03 11:00', ['firstResponse:0:heads-up', 'firstResponse:0:manager'], '2025-03-03 13:00'],
    ['2025-03-03 13:00', ['firstResponse:0:heads-up', 'firstResponse:0:manager', 'firstResponse:0:executive'], '2025-03-04 10:00'],
  ])('at %s: due %j, next at %s', (now, expected, next) => {
    const r = evaluateEscalations(plan, slaAt(now), t(now));
    expect(keys(r)).toEqual(expected);
    expect(r.nextAt === null ? null : show(r.nextAt, LON)).toBe(show(t(next), LON));
  });

  it('returns each level once: keys already done are left out, and the same level keeps its key', () => {
    const now = t('2025-03-03 13:30');
    const first = evaluateEscalations(plan, slaAt('2025-03-03 13:30'), now);
    const done = new Set(first.due.map((d) => d.key));
    expect(evaluateEscalations(plan, slaAt('2025-03-03 13:30'), now, { done }).due).toEqual([]);
    // A later recomputation (another worker) produces the same keys.
    expect(keys(evaluateEscalations(plan, slaAt('2025-03-03 14:00'), t('2025-03-03 14:00')))).toEqual([...done]);
    const exec = first.due.find((d) => d.levelId === 'executive')!;
    expect(exec).toMatchObject({ target: 'firstResponse', cycle: 0, actions: ['notify_executive', 'raise_priority', 'reassign'] });
    expect(show(exec.dueAt, LON)).toBe(show(t('2025-03-03 13:00'), LON));
  });

  it('an achieved target escalates no further', () => {
    const sla = slaAt('2025-03-03 12:00', [{ type: 'reply', at: t('2025-03-03 11:30'), author: 'agent' }]);
    const r = evaluateEscalations(plan, sla, t('2025-03-03 12:00'));
    expect(keys(r)).toEqual([]);
    expect(show(r.nextAt!, LON)).toBe(show(t('2025-03-04 10:00'), LON)); // the resolution's breach
  });

  it('a paused clock contributes nothing until it resumes', () => {
    const sla = slaAt('2025-03-03 10:30', [{ type: 'status', at: t('2025-03-03 10:15'), status: 'on_hold' }]);
    expect(evaluateEscalations(plan, sla, t('2025-03-03 10:30'))).toEqual({ due: [], nextAt: null });
  });

  it('business-minute offsets skip the night', () => {
    const businessPlan = parseEscalationPlan([{ at: 'breach', offsetMinutes: 120, offsetClock: 'business', target: 'firstResponse', actions: ['notify_executive'] }]);
    // Created 15:30: first response due 16:30; +120 business minutes → Tuesday 10:30.
    const sla = slaAt('2025-03-03 16:40', [], '2025-03-03 15:30');
    const r = evaluateEscalations(businessPlan, sla, t('2025-03-03 16:40'), { calendars: cals });
    expect(show(r.nextAt!, LON)).toBe(show(t('2025-03-04 10:30'), LON));
    expect(keys(evaluateEscalations(businessPlan, slaAt('2025-03-04 10:30', [], '2025-03-03 15:30'), t('2025-03-04 10:30'), { calendars: cals }))).toEqual([
      'firstResponse:0:#0',
    ]);
    expect(() => evaluateEscalations(businessPlan, sla, t('2025-03-03 16:40'))).toThrow(SlaError);
  });

  it('a level for a threshold the policy does not have never fires', () => {
    const odd = parseEscalationPlan([{ at: 'warning', threshold: 0.5, actions: ['notify_assignee'] }]);
    expect(evaluateEscalations(odd, slaAt('2025-03-03 12:00'), t('2025-03-03 12:00'))).toEqual({ due: [], nextAt: null });
  });

  it.each([
    [[{ at: 'warning', actions: ['x'] }], 'a warning level needs a threshold'],
    [[{ at: 'breach', threshold: 0.5, actions: ['x'] }], 'only a warning level has one'],
    [[{ at: 'breach', actions: [] }], 'actions'],
    [[{ at: 'breach', actions: ['Notify Manager'] }], 'must be an action name'],
    [[{ at: 'breach', offsetMinutes: -5, actions: ['x'] }], 'offsetMinutes'],
    [[{ id: 'a', at: 'breach', actions: ['x'] }, { id: 'a', at: 'breach', actions: ['y'] }], 'level ids must be unique'],
  ])('refuses an invalid plan %j', (input, message) => {
    expect(() => parseEscalationPlan(input)).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining(message) }));
  });
});
