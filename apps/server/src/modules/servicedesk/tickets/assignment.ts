import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/client.ts';
import { sdTeamMembers, sdTeams, tickets } from '../servicedesk.schema.ts';
import { OPEN_STATUSES } from './tickets.transitions.ts';

export interface Candidate {
  userId: string;
  away: boolean;
  lastAssignedAt: Date | null;
  openTickets: number;
}

const byTurn = (a: Candidate, b: Candidate) =>
  (a.lastAssignedAt?.getTime() ?? -Infinity) - (b.lastAssignedAt?.getTime() ?? -Infinity) || a.userId.localeCompare(b.userId);

/**
 * Who gets the next ticket of a team. Round-robin: the present member served longest ago.
 * Load-based: the present member with the fewest open tickets (ties go by turn). Away members are skipped.
 */
export function choose(mode: 'manual' | 'round_robin' | 'load_based', members: Candidate[]): string | null {
  const present = members.filter((m) => !m.away);
  if (mode === 'manual' || present.length === 0) return null;
  const sorted = [...present].sort(mode === 'round_robin' ? byTurn : (a, b) => a.openTickets - b.openTickets || byTurn(a, b));
  return sorted[0]!.userId;
}

/**
 * Picks and records the assignee for a new ticket of the team, under a lock on the team row so that
 * concurrent tickets take turns instead of landing on the same person.
 */
/** `live`: the members who are active users (asked of the identity module before the transaction); `at`: now. */
export async function autoAssign(tx: Executor, orgId: string, teamId: string, live: Set<string>, at: Date): Promise<string | null> {
  const [team] = await tx.select().from(sdTeams).where(and(eq(sdTeams.orgId, orgId), eq(sdTeams.id, teamId))).for('update');
  if (!team || team.assignment === 'manual') return null;
  const rows = await tx
    .select({
      userId: sdTeamMembers.userId,
      away: sdTeamMembers.away,
      lastAssignedAt: sdTeamMembers.lastAssignedAt,
      openTickets: sql<number>`(select count(*)::int from ${tickets} t where t.org_id = ${orgId} and t.assignee_id = ${sdTeamMembers.userId} and t.status in (${sql.join(
        OPEN_STATUSES.map((s) => sql`${s}`),
        sql`, `,
      )}))`,
    })
    .from(sdTeamMembers)
    .where(and(eq(sdTeamMembers.orgId, orgId), eq(sdTeamMembers.teamId, teamId)));
  const pick = choose(
    team.assignment,
    rows.filter((r) => live.has(r.userId)),
  );
  if (pick) {
    await tx
      .update(sdTeamMembers)
      .set({ lastAssignedAt: at })
      .where(and(eq(sdTeamMembers.teamId, teamId), eq(sdTeamMembers.userId, pick)));
  }
  return pick;
}

export async function teamMemberIds(tx: Executor, orgId: string, teamId: string): Promise<string[]> {
  const rows = await tx
    .select({ userId: sdTeamMembers.userId })
    .from(sdTeamMembers)
    .where(and(eq(sdTeamMembers.orgId, orgId), eq(sdTeamMembers.teamId, teamId)));
  return rows.map((r) => r.userId);
}
