/**
 * What the signed-in user may do to another user, as the API decides it (pure): a scoped
 * permission reaches a user by its condition (any; their department or themselves; themselves),
 * and nobody changes a user who holds something they don't hold at least as widely.
 */
import { can } from '../../lib/permissions';
import type { Condition, Me } from '../../lib/types';

type Holder = Pick<Me, 'id' | 'department' | 'permissions'>;
export interface Grant {
  permission: string;
  condition: Condition;
}

/** Whether `me` holds `permission` over the user `u` (the server's `can(actor, permission, subject)`). */
export function reaches(me: Holder, permission: string, u: { id: string; department: string | null }): boolean {
  const held = me.permissions[permission] as Condition | undefined;
  if (!held) return false;
  if (held === 'any') return true;
  if (u.id === me.id) return true;
  return held === 'department' && !!me.department && u.department === me.department;
}

/** The first of the user's grants `me` does not hold as widely: then the API refuses any change to them. */
export function firstAbove(me: Pick<Me, 'permissions'>, grants: Grant[]): Grant | null {
  return grants.find((g) => !can(me, g.permission, g.condition)) ?? null;
}

/** A role `me` may hand out or take away: every permission it grants is held as widely. */
export const grantableRole = (me: Pick<Me, 'permissions'>, role: { permissions: Grant[] }) => firstAbove(me, role.permissions) === null;

/** A user's grants, direct and via roles, as one list (what `firstAbove` compares). */
export const allGrants = (view: { direct: Grant[]; viaRoles: Grant[] }): Grant[] => [...view.direct, ...view.viaRoles];
