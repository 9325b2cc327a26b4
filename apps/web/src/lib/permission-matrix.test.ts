import { describe, expect, it } from 'vitest';
import type { Condition } from './types';
import { cellChoices, changes, draftOf, grantsOf, groupByResource, resourceLabel } from './permission-matrix';

describe('groupByResource', () => {
  it('orders known resources as the catalogue does, unknown ones after, and labels them', () => {
    const groups = groupByResource([
      { resource: 'work_orders', key: 'work_orders:read' },
      { resource: 'api_keys', key: 'api_keys:read' },
      { resource: 'activity', key: 'activity:read' },
      { resource: 'users', key: 'users:read' },
      { resource: 'users', key: 'users:create' },
      { resource: 'tickets', key: 'tickets:read' },
    ]);
    expect(groups.map((g) => [g.label, g.items.map((i) => i.key)])).toEqual([
      ['Users', ['users:read', 'users:create']],
      ['API keys', ['api_keys:read']],
      ['Activity log', ['activity:read']],
      ['Work orders', ['work_orders:read']],
      ['Tickets', ['tickets:read']],
    ]);
    expect(resourceLabel('telemetry')).toBe('Telemetry');
  });
});

describe('cellChoices: nobody grants what they don’t hold', () => {
  const manager = { permissions: { 'users:read': 'any', 'users:update': 'department', 'roles:read': 'any', 'activity:read': 'own' } as Record<string, Condition> };

  it('offers the conditions held at least as widely, widest first', () => {
    expect(cellChoices(manager, 'users:read', true, undefined, undefined)).toEqual({ choices: ['any', 'department', 'own'], locked: false });
    expect(cellChoices(manager, 'users:update', true, undefined, undefined)).toEqual({ choices: ['department', 'own'], locked: false });
    expect(cellChoices(manager, 'activity:read', true, 'own', 'own')).toEqual({ choices: ['own'], locked: false });
  });

  it('a permission without scope is on or off, at the held condition', () => {
    expect(cellChoices(manager, 'roles:read', false, undefined, undefined)).toEqual({ choices: ['any'], locked: false });
  });

  it('offers nothing the actor lacks, and locks a saved grant they could not give', () => {
    expect(cellChoices(manager, 'users:erase', true, undefined, undefined)).toEqual({ choices: [], locked: false });
    expect(cellChoices(manager, 'users:erase', true, 'any', 'any')).toEqual({ choices: [], locked: true });
    expect(cellChoices(manager, 'users:update', true, 'any', 'any')).toEqual({ choices: [], locked: true });
    expect(cellChoices(manager, 'users:update', true, 'own', 'own').locked).toBe(false);
  });

  it('a draft grant the actor no longer holds is not locked: it can be taken out', () => {
    expect(cellChoices(manager, 'audit:read', false, 'any', undefined)).toEqual({ choices: [], locked: false });
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
