import { describe, expect, it } from 'vitest';
import { describeRule, emptyRule, numberErrors, ruleBody, ruleToForm } from './rules';

describe('alert rule form', () => {
  it('sends only what each kind reads: no direction but on a threshold, no threshold on no data', () => {
    const base = { ...emptyRule, name: ' Hot ', metric: 'temp', direction: 'below' as const, threshold: '-4', durationSeconds: '60' };
    expect(ruleBody({ ...base, kind: 'threshold' })).toMatchObject({ name: 'Hot', direction: 'below', threshold: -4, durationSeconds: 60, deviceId: null, operationId: null });
    expect(ruleBody({ ...base, kind: 'rate_of_change' })).toMatchObject({ direction: null, threshold: -4 });
    expect(ruleBody({ ...base, kind: 'anomaly', threshold: '0.7' })).toMatchObject({ direction: null, threshold: 0.7 });
    expect(ruleBody({ ...base, kind: 'no_data' })).toMatchObject({ direction: null, threshold: null, durationSeconds: 60 });
    expect(ruleBody({ ...base, threshold: '', durationSeconds: '' })).toMatchObject({ threshold: null, durationSeconds: 0 });
  });

  it('flags what is not a number before sending', () => {
    expect(numberErrors({ ...emptyRule, threshold: 'ninety', durationSeconds: '1.5' })).toEqual({ threshold: expect.any(String), durationSeconds: expect.any(String) });
    expect(numberErrors({ ...emptyRule, kind: 'no_data', threshold: 'ignored', durationSeconds: '600' })).toEqual({});
  });

  it('round-trips a stored rule and describes it', () => {
    const rule = { id: 'r', name: 'n', metric: 'm', deviceId: null, operationId: 'o', kind: 'threshold' as const, direction: 'above' as const, threshold: 90, durationSeconds: 300, severity: 'critical' as const, enabled: false, createdAt: '', updatedAt: '' };
    expect(ruleBody(ruleToForm(rule))).toEqual({ name: 'n', metric: 'm', kind: 'threshold', direction: 'above', threshold: 90, durationSeconds: 300, severity: 'critical', enabled: false, deviceId: null, operationId: 'o' });
    expect(describeRule(rule)).toBe('above 90 for 5 min');
    expect(describeRule({ kind: 'no_data', direction: null, threshold: null, durationSeconds: 3600 })).toBe('silent for more than 1 h');
    expect(describeRule({ kind: 'rate_of_change', direction: null, threshold: 2, durationSeconds: 0 })).toBe('changes faster than 2/s');
  });
});
