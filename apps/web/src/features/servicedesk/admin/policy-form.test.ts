import { describe, expect, it } from 'vitest';
import type { Policy } from '../types';
import { fromForm, moveInOrder, newEscalation, targetsSummary, toForm } from './policy-form';

const policy = {
  id: 'p1',
  name: 'VIP',
  position: 0,
  isDefault: false,
  calendarId: 'c1',
  conditions: { priority: ['high', 'urgent'], tagsAny: ['vip'], requesterDomain: ['bigcorp.example'] },
  targets: { urgent: { firstResponse: 15, resolution: 240 }, high: { firstResponse: 60 } },
  warningThresholds: [0.75, 0.9],
  escalations: [
    { at: 'breach', actions: ['notify_manager'], offsetClock: 'calendar', offsetMinutes: 0 },
    { at: 'warning', threshold: 0.75, target: 'firstResponse', actions: ['notify_manager'] },
    { at: 'breach', offsetMinutes: 120, offsetClock: 'business', actions: ['notify_executive', 'raise_priority'] },
  ],
  createdAt: '',
  updatedAt: '',
} as unknown as Policy;

describe('policy form', () => {
  it('round-trips a policy through the form', () => {
    const form = toForm(policy);
    expect(form.targets.urgent).toEqual({ firstResponse: '15', nextResponse: '', resolution: '240' });
    expect(form.thresholds).toBe('75, 90');
    expect(form.tagsAny).toBe('vip');
    const { input, errors } = fromForm(form);
    expect(errors).toEqual({});
    expect(input).toEqual({
      name: 'VIP',
      isDefault: false,
      calendarId: 'c1',
      conditions: { priority: ['high', 'urgent'], tagsAny: ['vip'], requesterDomain: ['bigcorp.example'] },
      targets: { urgent: { firstResponse: 15, resolution: 240 }, high: { firstResponse: 60 } },
      warningThresholds: [0.75, 0.9],
      escalations: [
        { at: 'breach', actions: ['notify_manager'] },
        { at: 'warning', threshold: 0.75, target: 'firstResponse', actions: ['notify_manager'] },
        { at: 'breach', offsetMinutes: 120, offsetClock: 'business', actions: ['notify_executive', 'raise_priority'] },
      ],
    });
  });

  it('a new policy: 24/7, default thresholds, no targets yet', () => {
    const form = toForm(null);
    expect(form.calendarId).toBe('');
    expect(form.thresholds).toBe('75, 90');
    expect(fromForm({ ...form, name: 'x' }).errors).toEqual({ targets: 'Set at least one target' });
  });

  it('reports each problem at its field', () => {
    const form = toForm(null);
    form.targets.high.firstResponse = '0';
    form.targets.low.resolution = '1.5';
    form.targets.medium.resolution = '60';
    form.thresholds = '90, 75';
    form.escalations = [{ ...newEscalation(), actions: [] }, { ...newEscalation(), at: 'warning', threshold: '50' }, { ...newEscalation(), offsetMinutes: '-5' }];
    const { input, errors } = fromForm(form);
    expect(input).toBeNull();
    expect(errors).toEqual({
      name: 'Give the policy a name',
      'targets.high.firstResponse': 'Whole minutes, 1 to 525,600',
      'targets.low.resolution': 'Whole minutes, 1 to 525,600',
      warningThresholds: 'List the percentages in increasing order',
      'escalations.0.actions': 'Choose at least one action',
      'escalations.1.threshold': 'One of the warning percentages above',
      'escalations.2.offsetMinutes': 'Whole minutes, 0 or more',
    });
  });

  it('thresholds accept a % sign and refuse values outside (0, 100)', () => {
    const form = { ...toForm(null), name: 'x' };
    form.targets.low.firstResponse = '30';
    expect(fromForm({ ...form, thresholds: '50%, 80 %' }).input?.warningThresholds).toEqual([0.5, 0.8]);
    expect(fromForm({ ...form, thresholds: '' }).input?.warningThresholds).toEqual([]);
    expect(fromForm({ ...form, thresholds: '100' }).errors.warningThresholds).toMatch(/between 0 and 100/);
  });
});

describe('helpers', () => {
  it('summarises targets per priority', () => {
    expect(targetsSummary(policy.targets, (m) => `${m}m`)).toBe('urgent: 15m first, 240m resolve · high: 60m first');
    expect(targetsSummary({}, String)).toBe('No targets');
  });
  it('moves a policy up or down, never out of the list', () => {
    expect(moveInOrder(['a', 'b', 'c'], 'b', -1)).toEqual(['b', 'a', 'c']);
    expect(moveInOrder(['a', 'b', 'c'], 'c', 1)).toEqual(['a', 'b', 'c']);
    expect(moveInOrder(['a', 'b', 'c'], 'x', 1)).toEqual(['a', 'b', 'c']);
  });
});
