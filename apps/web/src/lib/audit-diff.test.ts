import { describe, expect, it } from 'vitest';
import { auditDiff, canonical, displayValue, grantText } from './audit-diff';

describe('auditDiff', () => {
  it('an update lists the changed fields with both values, skipping the unchanged and updatedAt', () => {
    const { rows } = auditDiff({
      before: { name: 'Pump check', status: 'pending', priority: 'high', updatedAt: '2026-01-01T00:00:00Z' },
      after: { name: 'Pump check', status: 'in_progress', priority: 'high', updatedAt: '2026-01-02T00:00:00Z' },
    });
    expect(rows).toEqual([{ path: 'status', kind: 'changed', before: 'pending', after: 'in_progress' }]);
  });

  it('a creation is all additions, a deletion all removals', () => {
    expect(auditDiff({ after: { name: 'Gate 4', type: 'sensor' } }).rows.map((r) => [r.path, r.kind])).toEqual([
      ['name', 'added'],
      ['type', 'added'],
    ]);
    expect(auditDiff({ before: { name: 'Gate 4' } }).rows).toEqual([{ path: 'name', kind: 'removed', before: 'Gate 4', after: undefined }]);
  });

  it('walks nested settings into dotted paths', () => {
    const { rows } = auditDiff({
      before: { name: 'Acme', settings: { timeZone: 'UTC', telemetry: { rawDays: 30, hourDays: 730 } } },
      after: { name: 'Acme', settings: { timeZone: 'Europe/Paris', telemetry: { rawDays: 7, hourDays: 730, minuteDays: 60 } } },
    });
    expect(rows.map((r) => [r.path, r.kind, r.before, r.after])).toEqual([
      ['settings.telemetry.minuteDays', 'added', undefined, 60],
      ['settings.telemetry.rawDays', 'changed', 30, 7],
      ['settings.timeZone', 'changed', 'UTC', 'Europe/Paris'],
    ]);
  });

  it('an object replaced by a value is one change', () => {
    expect(auditDiff({ before: { location: { lat: 1 } }, after: { location: null } }).rows).toEqual([{ path: 'location', kind: 'changed', before: { lat: 1 }, after: null }]);
  });

  it('lists show the items that came and went, whatever their key order', () => {
    const { rows } = auditDiff({
      before: { permissions: [{ permission: 'users:read', condition: 'any' }, { permission: 'roles:read', condition: 'any' }] },
      after: { permissions: [{ condition: 'any', permission: 'users:read' }, { permission: 'audit:read', condition: 'department' }] },
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.items).toEqual({ added: [{ permission: 'audit:read', condition: 'department' }], removed: [{ permission: 'roles:read', condition: 'any' }] });
    expect(auditDiff({ before: { tags: ['a', 'b'] }, after: { tags: ['b', 'a'] } }).rows[0]!.items).toEqual({ added: [], removed: [] });
  });

  it('masked personal data still counts as changed', () => {
    expect(auditDiff({ before: { email: '***' }, after: { email: '***' } }).rows).toEqual([{ path: 'email', kind: 'changed', before: '***', after: '***' }]);
  });

  it('keeps the details apart and survives odd shapes', () => {
    expect(auditDiff({ details: { attempted: 'users:erase (any)' } })).toEqual({ rows: [], details: [['attempted', 'users:erase (any)']] });
    expect(auditDiff(null)).toEqual({ rows: [], details: [] });
    expect(auditDiff('x')).toEqual({ rows: [], details: [] });
  });
});

describe('display', () => {
  it('values', () => {
    expect(displayValue(null)).toBe('empty');
    expect(displayValue('***')).toBe('hidden (personal data)');
    expect(displayValue(['a', 1])).toBe('["a",1]');
    expect(displayValue([{ permission: 'users:read', condition: 'own' }, { permission: 'roles:read', condition: 'any' }])).toBe('users:read (own), roles:read');
    expect(grantText('x')).toBe('x');
  });

  it('canonical ignores key order', () => {
    expect(canonical({ b: 1, a: [{ y: 2, x: 1 }] })).toBe(canonical({ a: [{ x: 1, y: 2 }], b: 1 }));
    expect(canonical({ a: 1 })).not.toBe(canonical({ a: '1' }));
  });
});
