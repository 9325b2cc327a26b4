import type { Condition, Me } from './types';

const RANK: Record<Condition, number> = { own: 1, department: 2, any: 3 };

/** Whether `me` holds `permission` with at least the condition `min` (default: any condition). */
export function can(me: Pick<Me, 'permissions'> | null | undefined, permission: string, min: Condition = 'own'): boolean {
  const held = me?.permissions[permission] as Condition | undefined;
  return !!held && RANK[held] >= RANK[min];
}
