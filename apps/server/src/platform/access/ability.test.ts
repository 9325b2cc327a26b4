import { describe, expect, it } from 'vitest';
import { buildAbility, can, firstNotHeld, holdsAtLeast, reach } from './ability.ts';

const actor = (grants: [string, string][], extra: { userId?: string; department?: string | null } = {}) => ({
  userId: extra.userId ?? 'u1',
  department: extra.department ?? 'ops',
  ability: buildAbility(grants.map(([permission, condition]) => ({ permission, condition }))),
});

describe('buildAbility', () => {
  it('keeps the widest condition per permission across roles and grants', () => {
    const a = buildAbility([
      { permission: 'users:read', condition: 'own' },
      { permission: 'users:read', condition: 'any' },
      { permission: 'users:read', condition: 'department' },
      { permission: 'roles:read', condition: 'department' },
    ]);
    expect(a.get('users:read')).toBe('any');
    expect(a.get('roles:read')).toBe('department');
    expect(a.has('users:create')).toBe(false);
  });
});

describe('can', () => {
  const cases: { name: string; grants: [string, string][]; subject?: { ownerId?: string; department?: string | null }; expected: boolean }[] = [
    { name: 'no grant', grants: [], expected: false },
    { name: 'any, no subject', grants: [['users:read', 'any']], expected: true },
    { name: 'any, someone else', grants: [['users:read', 'any']], subject: { ownerId: 'u2', department: 'x' }, expected: true },
    { name: 'own, own record', grants: [['users:read', 'own']], subject: { ownerId: 'u1' }, expected: true },
    { name: 'own, other record', grants: [['users:read', 'own']], subject: { ownerId: 'u2', department: 'ops' }, expected: false },
    { name: 'department, same', grants: [['users:read', 'department']], subject: { ownerId: 'u2', department: 'ops' }, expected: true },
    { name: 'department, other', grants: [['users:read', 'department']], subject: { ownerId: 'u2', department: 'sales' }, expected: false },
    { name: 'department, own record elsewhere', grants: [['users:read', 'department']], subject: { ownerId: 'u1', department: 'sales' }, expected: true },
    { name: 'department, null department never matches', grants: [['users:read', 'department']], subject: { ownerId: 'u2', department: null }, expected: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(can(actor(c.grants), 'users:read', c.subject)).toBe(c.expected);
    });
  }

  it('an actor without a department never matches department-scoped records', () => {
    expect(can(actor([['users:read', 'department']], { department: null }), 'users:read', { ownerId: 'u2', department: null })).toBe(false);
  });
});

describe('holdsAtLeast and reach', () => {
  it('orders any > department > own', () => {
    const a = actor([['users:update', 'department']]);
    expect(holdsAtLeast(a, 'users:update', 'own')).toBe(true);
    expect(holdsAtLeast(a, 'users:update', 'department')).toBe(true);
    expect(holdsAtLeast(a, 'users:update', 'any')).toBe(false);
    expect(holdsAtLeast(a, 'users:delete', 'own')).toBe(false);
    expect(reach(a, 'users:update')).toBe('department');
    expect(reach(a, 'users:delete')).toBeNull();
  });
});

describe('firstNotHeld', () => {
  const a = actor([['users:read', 'any'], ['users:update', 'department']]);
  it('is undefined when every grant is held at least as widely', () => {
    expect(firstNotHeld(a, [{ permission: 'users:read', condition: 'own' }, { permission: 'users:update', condition: 'department' }])).toBeUndefined();
    expect(firstNotHeld(a, [])).toBeUndefined();
  });
  it('names a permission not held, or held more narrowly', () => {
    expect(firstNotHeld(a, [{ permission: 'users:read', condition: 'any' }, { permission: 'users:erase', condition: 'own' }])).toEqual({
      permission: 'users:erase',
      condition: 'own',
    });
    expect(firstNotHeld(a, [{ permission: 'users:update', condition: 'any' }])).toEqual({ permission: 'users:update', condition: 'any' });
  });
});
