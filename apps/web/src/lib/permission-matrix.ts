/** The roles × permissions matrix: grouping, and what an actor may put in a role (pure). */
import { can } from './permissions';
import type { Condition, Me } from './types';

export const CONDITIONS: Condition[] = ['any', 'department', 'own'];
export const CONDITION_LABEL: Record<Condition, string> = { any: 'All records', department: 'Department', own: 'Own' };

const RESOURCE_LABEL: Record<string, string> = {
  users: 'Users',
  roles: 'Roles',
  permissions: 'Permissions',
  api_keys: 'API keys',
  audit: 'Audit log',
  activity: 'Activity log',
  org: 'Organization',
  operations: 'Operations',
  resources: 'Resources',
  devices: 'Devices',
  telemetry: 'Telemetry',
  alarms: 'Alarms and alert rules',
};
export const resourceLabel = (r: string) => RESOURCE_LABEL[r] ?? r.charAt(0).toUpperCase() + r.slice(1).replaceAll('_', ' ');

/** The resources in the order of the server's catalogue (identity first, then the domains). */
const RESOURCE_ORDER = Object.keys(RESOURCE_LABEL);

/** Items grouped by resource: known resources in catalogue order, others after them as they first appear. */
export function groupByResource<T extends { resource: string }>(items: T[]): { resource: string; label: string; items: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const g = groups.get(it.resource);
    if (g) g.push(it);
    else groups.set(it.resource, [it]);
  }
  const rank = (r: string) => (RESOURCE_ORDER.includes(r) ? RESOURCE_ORDER.indexOf(r) : RESOURCE_ORDER.length);
  return [...groups]
    .map(([resource, list], i) => ({ resource, label: resourceLabel(resource), items: list, i }))
    .sort((a, b) => rank(a.resource) - rank(b.resource) || a.i - b.i)
    .map(({ i: _i, ...g }) => g);
}

/** A role being edited: permission → condition; absent means not granted. */
export type Draft = Record<string, Condition>;
export const draftOf = (grants: { permission: string; condition: Condition }[]): Draft => Object.fromEntries(grants.map((g) => [g.permission, g.condition]));
export const grantsOf = (d: Draft) =>
  Object.entries(d)
    .map(([permission, condition]) => ({ permission, condition }))
    .sort((a, b) => a.permission.localeCompare(b.permission));

/**
 * What a cell of the edited role offers. Nobody grants what they don't hold (the API refuses it
 * with 403): the choices are the conditions the actor holds at least as widely, widest first; for
 * a permission without scope only the held condition. A saved grant the actor could not give is
 * locked, since removing or changing it is refused too; a draft one (the actor's permissions
 * shrank meanwhile) can still be taken out.
 */
export function cellChoices(
  me: Pick<Me, 'permissions'>,
  permission: string,
  scoped: boolean,
  current: Condition | undefined,
  saved: Condition | undefined,
): { choices: Condition[]; locked: boolean } {
  const held = me.permissions[permission] as Condition | undefined;
  if (saved && current === saved && !can(me, permission, saved)) return { choices: [], locked: true };
  if (!held) return { choices: [], locked: false };
  const choices = scoped ? CONDITIONS.filter((c) => can(me, permission, c)) : [held];
  return { choices, locked: false };
}

/** How many permissions differ between a role and its draft. */
export function changes(before: Draft, after: Draft): number {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).length;
}
