import { describe, expect, it } from 'vitest';
import { merge } from './cn';
import { formatDuration, formatRelative, fromLocalInput, toLocalInput } from './format';
import { can } from './permissions';

describe('formatting', () => {
  it.each([
    [42, '42 s'],
    [600, '10 min'],
    [5400, '1 h 30 min'],
    [7200, '2 h'],
    [3 * 86400 + 3600, '3 d 1 h'],
  ])('formatDuration(%i) is %s', (s, out) => expect(formatDuration(s)).toBe(out));

  it('formatRelative', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(formatRelative('2026-01-01T11:59:50Z', now)).toBe('just now');
    expect(formatRelative('2026-01-01T11:55:00Z', now)).toMatch(/5 min/);
    expect(formatRelative('2026-01-03T12:00:00Z', now)).toMatch(/2 days|in 2/);
  });

  it('datetime-local round trip in the local zone', () => {
    const iso = '2026-03-04T05:06:00.000Z';
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
    expect(fromLocalInput('')).toBeNull();
  });
});

describe('merge', () => {
  it('lets the caller override width, height and padding', () => {
    expect(merge('h-8 w-full px-2.5 rounded-md', 'w-40')).toBe('h-8 px-2.5 rounded-md w-40');
    expect(merge('h-8 w-full', 'h-7 text-xs')).toBe('w-full h-7 text-xs');
    expect(merge('h-8 w-full')).toBe('h-8 w-full');
  });
});

describe('can', () => {
  const me = { permissions: { 'users:read': 'department', 'operations:read': 'any' } as Record<string, 'any' | 'department' | 'own'> };
  it('ranks conditions any > department > own', () => {
    expect(can(me, 'users:read')).toBe(true);
    expect(can(me, 'users:read', 'department')).toBe(true);
    expect(can(me, 'users:read', 'any')).toBe(false);
    expect(can(me, 'operations:read', 'any')).toBe(true);
    expect(can(me, 'users:create')).toBe(false);
    expect(can(null, 'users:read')).toBe(false);
  });
});
