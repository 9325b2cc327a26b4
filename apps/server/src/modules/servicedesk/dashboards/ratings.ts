import { and, eq, inArray } from 'drizzle-orm';
import { can, reach, type AbilityHolder } from '../../../platform/access/ability.ts';
import type { Actor } from '../../../platform/access/actor.ts';
import type { Condition } from '../../../platform/access/catalogue.ts';
import type { Executor } from '../../../platform/db/client.ts';
import type { EventVisibility } from '../../../platform/events/outbox.ts';
import { sdTeamMembers } from '../servicedesk.schema.ts';
import type { CanReadUser, UserProfiles } from '../../identity/index.ts';
import { teamsOf } from '../tickets/tickets.repository.ts';

/** What the rating rule looks at: the agent rated, their department and teams; rating events carry it. */
export interface RatingFacts {
  agentId: string;
  department: string | null;
  teamIds: string[];
}

/** How far an actor reads ratings now: `ratings:manage` and their teams, plus the people rule. */
export interface RatingReach {
  holder: AbilityHolder;
  scope: Condition | null;
  teamIds: string[];
  canReadUser: CanReadUser;
}

/** The actor's reach over ratings (null: neither `ratings:manage` nor `servicedesk:analytics`). */
export async function ratingReachOf(tx: Executor, actor: Actor, canReadUser: CanReadUser): Promise<RatingReach | null> {
  const scope = reach(actor, 'ratings:manage');
  if (!scope && !can(actor, 'servicedesk:analytics')) return null;
  return { holder: actor, scope, teamIds: scope && scope !== 'any' ? await teamsOf(tx, actor.orgId, actor.userId) : [], canReadUser };
}

/**
 * The rating rule: agents read their own ratings; those who rate read the ratings of the agents of
 * their teams (`any`: everyone's), and only of people they may read at all, like the user record.
 * REST (the list and the manager dashboard) and the realtime `agent.rated` events ask this.
 */
export function canReadRating(r: RatingReach, f: RatingFacts): boolean {
  if (r.holder.userId && f.agentId === r.holder.userId) return true;
  if (!r.scope || !r.canReadUser(r.holder, { id: f.agentId, department: f.department })) return false;
  return r.scope === 'any' || f.teamIds.some((t) => r.teamIds.includes(t));
}

/** The facts of the agents rated, from their profiles and team memberships. */
export async function ratingFactsOf(tx: Executor, profiles: UserProfiles, orgId: string, agentIds: string[]): Promise<Map<string, RatingFacts>> {
  const ids = [...new Set(agentIds)];
  if (ids.length === 0) return new Map();
  const people = await profiles(orgId, ids, tx);
  const members = await tx.select({ teamId: sdTeamMembers.teamId, userId: sdTeamMembers.userId }).from(sdTeamMembers).where(and(eq(sdTeamMembers.orgId, orgId), inArray(sdTeamMembers.userId, ids)));
  return new Map(
    ids.map((agentId) => [
      agentId,
      { agentId, department: people.get(agentId)?.department ?? null, teamIds: members.filter((m) => m.userId === agentId).map((m) => m.teamId) },
    ]),
  );
}

export const ratingVisibility = (f: RatingFacts): EventVisibility => ({ kind: 'rating', agentId: f.agentId, department: f.department, teamIds: f.teamIds });

/** The facts a rating event carries, or null when the event is about no rating. */
export function ratingFactsFromVisibility(v: EventVisibility | null): RatingFacts | null {
  if (v?.kind !== 'rating' || typeof v.agentId !== 'string') return null;
  return { agentId: v.agentId, department: typeof v.department === 'string' ? v.department : null, teamIds: Array.isArray(v.teamIds) ? v.teamIds : [] };
}
