import { conditionRank, type Condition, type Permission } from './catalogue.ts';

/** The widest condition held per permission, merged from roles and direct grants. */
export type Ability = ReadonlyMap<string, Condition>;

export function buildAbility(grants: Iterable<{ permission: string; condition: string }>): Ability {
  const m = new Map<string, Condition>();
  for (const g of grants) {
    const c = g.condition as Condition;
    const prev = m.get(g.permission);
    if (!prev || conditionRank[c] > conditionRank[prev]) m.set(g.permission, c);
  }
  return m;
}

export interface Subject {
  /** The user the record belongs to (for `own`). */
  ownerId?: string | null;
  /** The department the record belongs to (for `department`). */
  department?: string | null;
}

export interface AbilityHolder {
  userId: string | null;
  department: string | null;
  ability: Ability;
}

/**
 * The one check: may this actor do `permission`, on `subject` when given? Without a subject it
 * answers whether the actor holds the permission at all (lists then narrow by `reach`).
 */
export function can(actor: AbilityHolder, permission: Permission, subject?: Subject): boolean {
  const cond = actor.ability.get(permission);
  if (!cond) return false;
  if (!subject || cond === 'any') return true;
  if (cond === 'own') return !!actor.userId && subject.ownerId === actor.userId;
  return (
    (!!actor.userId && subject.ownerId === actor.userId) ||
    (!!actor.department && subject.department === actor.department)
  );
}

export function reach(actor: AbilityHolder, permission: Permission): Condition | null {
  return actor.ability.get(permission) ?? null;
}

/** A grant may only hand out what the granter holds, at most as widely. */
export function holdsAtLeast(actor: AbilityHolder, permission: string, condition: Condition): boolean {
  const held = actor.ability.get(permission);
  return !!held && conditionRank[held] >= conditionRank[condition];
}

/**
 * The first grant of `grants` the actor does not hold at least as widely, or undefined when the
 * actor holds them all. A user whose grants include one is above the actor: nobody changes,
 * deactivates, deletes or strips someone (or a role) holding what they could not give.
 */
export function firstNotHeld<G extends { permission: string; condition: string }>(actor: AbilityHolder, grants: Iterable<G>): G | undefined {
  for (const g of grants) {
    if (!holdsAtLeast(actor, g.permission, g.condition as Condition)) return g;
  }
  return undefined;
}
