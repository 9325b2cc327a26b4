import type { Ability, AbilityHolder } from './ability.ts';

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** Who is acting: a signed-in user or an API key, always inside one org. Services take this, never a request. */
export interface Actor extends AbilityHolder {
  type: 'user' | 'api_key';
  /** The user's id, or the API key's id. */
  id: string;
  orgId: string;
  userId: string | null;
  department: string | null;
  ability: Ability;
  isPlatformAdmin: boolean;
  sessionId: string | null;
  meta: RequestMeta;
}

/**
 * Whose access just changed, on any instance: sessions revoked, a user's roles, grants or row
 * (`userId` absent: everyone of the org), an API key revoked, or everything (caches started afresh).
 */
export type AccessChange =
  | { kind: 'sessions'; sessionIds: string[] }
  | { kind: 'user'; orgId: string; userId?: string }
  | { kind: 'key'; keyId: string }
  | { kind: 'all' };

export const auditContextOf = (actor: Actor) => ({
  orgId: actor.orgId,
  actorType: actor.type,
  actorId: actor.id,
  ip: actor.meta.ip,
  userAgent: actor.meta.userAgent,
  requestId: actor.meta.requestId,
});
