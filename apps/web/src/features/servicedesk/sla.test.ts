import { describe, expect, it } from 'vitest';
import { formatBusinessMs, formatTimeLeft, localizeInstants, slaBadge, targetBadge } from './sla';

const MIN = 60_000;
const HOUR = 60 * MIN;
const now = Date.parse('2026-03-10T12:00:00Z');

describe('formatTimeLeft', () => {
  it.each([
    [0, '0 s'],
    [42_500, '42 s'],
    [-42_500, '42 s'],
    [MIN, '1 min'],
    [59 * MIN + 59_000, '59 min'],
    [HOUR, '1 h'],
    [90 * MIN, '1 h 30 min'],
    [23 * HOUR + 59 * MIN, '23 h 59 min'],
    [24 * HOUR, '1 d'],
    [50 * HOUR, '2 d 2 h'],
    [-(3 * 24 * HOUR + 30 * MIN), '3 d'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatTimeLeft(ms)).toBe(text);
  });
});

describe('slaBadge', () => {
  it.each([
    ['no running clock', null, null],
    ['an unreadable date', 'soon', null],
    ['due in 5 h', new Date(now + 5 * HOUR).toISOString(), { tone: 'green', label: '5 h left', overdue: false }],
    ['due in exactly 4 h (not yet close)', now + 4 * HOUR, { tone: 'green', label: '4 h left', overdue: false }],
    ['due in 3 h 59 min', now + 4 * HOUR - MIN, { tone: 'amber', label: '3 h 59 min left', overdue: false }],
    ['due in 61 min', now + 61 * MIN, { tone: 'amber', label: '1 h 1 min left', overdue: false }],
    ['due in 59 min', now + 59 * MIN, { tone: 'orange', label: '59 min left', overdue: false }],
    ['due in 30 s', now + 30_000, { tone: 'orange', label: '30 s left', overdue: false }],
    ['due now', now, { tone: 'red', label: 'Overdue 0 s', overdue: true }],
    ['12 min past due', new Date(now - 12 * MIN), { tone: 'red', label: 'Overdue 12 min', overdue: true }],
  ] as const)('%s', (_name, due, want) => {
    expect(slaBadge(due as never, now)).toEqual(want);
  });
});

describe('targetBadge', () => {
  const due = new Date(now + 2 * HOUR).toISOString();
  it('shows the state before the time left', () => {
    expect(targetBadge({ state: 'paused', dueAt: due }, now)).toMatchObject({ tone: 'neutral', label: 'Paused' });
    expect(targetBadge({ state: 'achieved', dueAt: due }, now)).toMatchObject({ tone: 'green', label: 'Achieved' });
    expect(targetBadge({ state: 'active', dueAt: due }, now)).toMatchObject({ tone: 'amber', label: '2 h left' });
  });
  it('a breach says how late the target was met, when it was', () => {
    const dueAt = new Date(now - HOUR).toISOString();
    expect(targetBadge({ state: 'breached', dueAt, breachedAt: dueAt, achievedAt: null }, now)).toMatchObject({ tone: 'red', label: 'Breached' });
    expect(targetBadge({ state: 'breached', dueAt, breachedAt: dueAt, achievedAt: new Date(now - 15 * MIN).toISOString() }, now)).toMatchObject({
      tone: 'red',
      label: 'Breached, met 45 min late',
    });
  });
});

describe('formatBusinessMs', () => {
  it('rounds down to minutes and never says seconds', () => {
    expect(formatBusinessMs(0)).toBe('0 min');
    expect(formatBusinessMs(59_000)).toBe('0 min');
    expect(formatBusinessMs(4_200_000)).toBe('1 h 10 min');
  });
});

describe('localizeInstants', () => {
  it('rewrites every ISO instant with an offset, and leaves other text alone', () => {
    const fmt = (iso: string) => `<${new Date(iso).toISOString().slice(11, 16)}Z>`;
    expect(localizeInstants('Started 2026-11-21T04:12:18.750+00:00, due 2026-11-23T10:00:00+01:00. Day 2026-11-23 stays.', fmt)).toBe('Started <04:12Z>, due <09:00Z>. Day 2026-11-23 stays.');
    expect(localizeInstants('at 2026-03-10T12:00Z', fmt)).toBe('at <12:00Z>');
  });
});
