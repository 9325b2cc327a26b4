import { describe, expect, it } from 'vitest';
import type { Condition } from '../../lib/types';
import { firstAbove, grantableRole, reaches } from './access';

const me = (permissions: Record<string, Condition>, department: string | null = 'Ops') => ({ id: 'me', department, permissions });
const user = (id: string, department: string | null) => ({ id, department });

describe('reaches', () => {
  it('follows the condition held: any, department (and oneself), own', () => {
    expect(reaches(me({ 'users:update': 'any' }), 'users:update', user('u', 'Else'))).toBe(true);
    expect(reaches(me({ 'users:update': 'department' }), 'users:update', user('u', 'Ops'))).toBe(true);
    expect(reaches(me({ 'users:update': 'department' }), 'users:update', user('u', 'Else'))).toBe(false);
    expect(reaches(me({ 'users:update': 'department' }), 'users:update', user('me', 'Else'))).toBe(true);
    expect(reaches(me({ 'users:update': 'own' }), 'users:update', user('u', 'Ops'))).toBe(false);
    expect(reaches(me({ 'users:update': 'own' }), 'users:update', user('me', null))).toBe(true);
    expect(reaches(me({}), 'users:update', user('me', null))).toBe(false);
  });

  it('a holder without a department reaches no one else by department (no null = null match)', () => {
    expect(reaches(me({ 'users:update': 'department' }, null), 'users:update', user('u', null))).toBe(false);
  });
});

describe('firstAbove and grantableRole', () => {
  it('names the first grant held more widely than by me, or none', () => {
    const mine = me({ 'users:read': 'department', 'audit:read': 'any' });
    expect(firstAbove(mine, [{ permission: 'audit:read', condition: 'any' }, { permission: 'users:read', condition: 'own' }])).toBeNull();
    expect(firstAbove(mine, [{ permission: 'users:read', condition: 'any' }])).toEqual({ permission: 'users:read', condition: 'any' });
    expect(firstAbove(mine, [{ permission: 'roles:manage', condition: 'any' }])).toEqual({ permission: 'roles:manage', condition: 'any' });
    expect(grantableRole(mine, { permissions: [{ permission: 'users:read', condition: 'department' }] })).toBe(true);
    expect(grantableRole(mine, { permissions: [{ permission: 'users:read', condition: 'any' }] })).toBe(false);
  });
});
