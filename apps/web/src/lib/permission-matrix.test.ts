import { describe, expect, it } from 'vitest';
import type { Condition } from './types';
import { cellChoices, changes, draftOf, grantsOf, groupByResource, resourceLabel } from './permission-matrix';

describe('groupByResource', () => {
  it('keeps the catalogue order and labels the resources', () => {
    const groups = groupByResource([
      { resource: 'users', key: 'users:read' },
      { resource: 'api_keys', key: 'api_keys:read' },
      { resource: 'users', key: 'users:create' },
      { resource: 'work_orders', key: 'work_orders:read' },
    ]);
    expect(groups.map((g) => [g.label, g.items.map((i) => i.key)])).toEqual([
      ['Users', ['users:read', 'users:create']],
      ['API keys', ['api_keys:read']],
      ['Work orders', ['work_orders:read']],
    ]);
    expect(resourceLabel('telemetry')).toBe('Telemetry');
  });
});

describe('cellChoices: nobody grants what they don’t hold', () => {
  const manager = { permissions: { 'users:read': 'any', 'users:update': 'department', 'roles:read': 'any', 'activity:read': 'own' } as Record<string, Condition> };

  it('offers the conditions held at least as widely, widest first', () => {
    expect(cellChoices(manager, 'users:read', true, undefined)).toEqual({ choices: ['any', 'department', 'own'], locked: false });
    expect(cellChoices(manager, 'users:update', true, undefined)).toEqual({ choices: ['department', 'own'], locked: false });
    expect(cellChoices(manager, 'activity:read', true, 'own')).toEqual({ choices: ['own'], locked: false });
  });

  it('a permission without scope is on or off, at the held condition', () => {
    expect(cellChoices(manager, 'roles:read', false, undefined)).toEqual({ choices: ['any'], locked: false });
  });

  it('offers nothing the actor lacks, and locks a grant they could not give', () => {
    expect(cellChoices(manager, 'users:erase', true, undefined)).toEqual({ choices: [], locked: false });
    expect(cellChoices(manager, 'users:erase', true, 'any')).toEqual({ choices: ['any'], locked: true });
    expect(cellChoices(manager, 'users:update', true, 'any')).toEqual({ choices: ['any'], locked: true });
    expect(cellChoices(manager, 'users:update', true, 'own').locked).toBe(false);
  });
});

describe('drafts', () => {
  it('round-trip grants, sorted, and count the differences', () => {
    const d = draftOf([
      { permission: 'users:read', condition: 'own' },
      { permission: 'audit:read', condition: 'any' },
    ]);
    expect(grantsOf(d)).toEqual([
      { permission: 'audit:read', condition: 'any' },
      { permission: 'users:read', condition: 'own' },
    ]);
    expect(changes(d, { ...d })).toBe(0);
    expect(changes(d, { 'users:read': 'any', 'roles:read': 'any' })).toBe(3);
  });
});
