import { and, asc, desc, eq, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { can, reach } from '../../../platform/access/ability.ts';
import { auditContextOf, type Actor } from '../../../platform/access/actor.ts';
import { recordAudit } from '../../../platform/audit/audit.ts';
import { queryRows, type Executor } from '../../../platform/db/client.ts';
import { inOrg } from '../../../platform/db/scope.ts';
import { publishEvents } from '../../../platform/events/outbox.ts';
import { badRequest, forbidden, notFound } from '../../../platform/errors/app-error.ts';
import { agentRatings, csatResponses, sdTeamMembers, sdTeams, slaFirings, tickets, ticketSla } from '../servicedesk.schema.ts';
import { inUseCase, sqlList, type ServicedeskDeps } from '../servicedesk.context.ts';
import { reachCondition, selectTickets, teamsOf, ticketReachOf, toTicketView } from '../tickets/tickets.repository.ts';
import { canReadRating, ratingFactsOf, ratingReachOf, ratingVisibility } from './ratings.ts';
import { OPEN_STATUSES } from '../tickets/tickets.transitions.ts';

const TARGETS = ['firstResponse', 'nextResponse', 'resolution'] as const;
const open = sql`${tickets.status} in (${sqlList(OPEN_STATUSES)})`;
const DAY = 86_400_000;

export interface Period {
  from: Date;
  to: Date;
}

/** A period from optional ISO bounds: the 30 days before `now` by default, at most two years. */
export function periodOf(now: number, from?: string, to?: string): Period {
  const end = to ? new Date(to) : new Date(now);
  const start = from ? new Date(from) : new Date(end.getTime() - 30 * DAY);
  if (start >= end) throw badRequest('invalid_period', '`from` must be before `to`.', { errors: [{ path: 'from', message: 'Must be before to' }] });
  if (end.getTime() - start.getTime() > 731 * DAY) throw badRequest('invalid_period', 'A period may span at most two years.', { errors: [{ path: 'from', message: 'At most two years' }] });
  return { from: start, to: end };
}

/** SLA compliance per target over tickets: achieved in time / (achieved in time + breached). */
function complianceSql(where: SQL) {
  return TARGETS.map(
    (k) => sql`
      select ${k} as target,
        count(*) filter (where s.state->'targets'->${k}->>'breachedAt' is null and s.state->'targets'->${k}->>'achievedAt' is not null)::int as met,
        count(*) filter (where s.state->'targets'->${k}->>'breachedAt' is not null)::int as breached
      from ${tickets} join ${ticketSla} s on s.ticket_id = ${tickets.id} where ${where} and s.state->'targets' ? ${k}`,
  );
}

async function compliance(tx: Executor, where: SQL) {
  const out: Record<string, { met: number; breached: number; percent: number | null }> = {};
  for (const q of complianceSql(where)) {
    const [r] = await queryRows<{ target: string; met: number; breached: number }>(tx, q);
    const total = (r?.met ?? 0) + (r?.breached ?? 0);
    out[r?.target ?? ''] = { met: r?.met ?? 0, breached: r?.breached ?? 0, percent: total ? Math.round((1000 * (r!.met ?? 0)) / total) / 10 : null };
  }
  return out;
}

const hours = (ms: number | null) => (ms === null ? null : Math.round((ms / 3_600_000) * 100) / 100);

/**
 * Service desk dashboards, served by the API: agent (my queue), manager (my teams) and executive
 * (everything, read-only analytics), plus managers' ratings of agents.
 */
export function createDashboardsService(deps: ServicedeskDeps) {
  const { db } = deps;
  const commit = inUseCase(deps);

  /** The teams a manager's dashboard covers: all with `any`, else the ones they manage or belong to. */
  async function teamScope(tx: Executor, actor: Actor, teamId?: string): Promise<string[] | null> {
    const scope = reach(actor, 'servicedesk:analytics');
    if (!scope || scope === 'own') throw forbidden('The team dashboard needs "servicedesk:analytics" for a department or more.');
    if (scope === 'any') {
      if (!teamId) return null;
      const [t] = await tx.select({ id: sdTeams.id }).from(sdTeams).where(and(eq(sdTeams.orgId, actor.orgId), eq(sdTeams.id, teamId)));
      if (!t) throw notFound('Team');
      return [teamId];
    }
    const mine = await teamsOf(tx, actor.orgId, actor.userId);
    if (teamId) {
      if (!mine.includes(teamId)) throw notFound('Team');
      return [teamId];
    }
    return mine;
  }

  return {
    async agent(actor: Actor) {
      if (!reach(actor, 'servicedesk:analytics')) throw forbidden();
      const me = actor.userId ?? '00000000-0000-0000-0000-000000000000';
      return inOrg(db, actor.orgId, async (tx) => {
        const byStatus = await queryRows<{ status: string; n: number }>(tx, sql`select status, count(*)::int as n from ${tickets} where org_id = ${actor.orgId} and assignee_id = ${me} and ${open} group by status`);
        const dueSoon = await selectTickets(tx)
          .where(and(eq(tickets.orgId, actor.orgId), eq(tickets.assigneeId, me), open, lte(ticketSla.nextDueAt, new Date(deps.clock() + 4 * 3_600_000))))
          .orderBy(asc(ticketSla.nextDueAt))
          .limit(10);
        const [csat] = await queryRows<{ avg: number | null; n: number }>(tx, sql`select avg(score)::float as avg, count(*)::int as n from ${csatResponses} where org_id = ${actor.orgId} and agent_id = ${me} and created_at >= ${new Date(deps.clock() - 90 * DAY)}`);
        return {
          queue: Object.fromEntries(OPEN_STATUSES.map((s) => [s, byStatus.find((r) => r.status === s)?.n ?? 0])),
          openTotal: byStatus.reduce((a, r) => a + r.n, 0),
          dueSoon: dueSoon.map(toTicketView),
          csat: { average: csat?.avg === null || csat?.avg === undefined ? null : Math.round(csat.avg * 100) / 100, responses: csat?.n ?? 0, days: 90 },
        };
      });
    },

    async manager(actor: Actor, q: { teamId?: string | undefined; from?: string | undefined; to?: string | undefined }) {
      const p = periodOf(deps.clock(), q.from, q.to);
      return inOrg(db, actor.orgId, async (tx) => {
        const teams = await teamScope(tx, actor, q.teamId);
        const inTeams = teams === null ? sql`true` : teams.length ? sql`${tickets.teamId} in (${sql.join(teams.map((t) => sql`${t}::uuid`), sql`, `)})` : sql`false`;
        const base = sql`${tickets.orgId} = ${actor.orgId} and ${inTeams}`;
        const periodWhere = sql`${base} and ${tickets.createdAt} >= ${p.from} and ${tickets.createdAt} < ${p.to}`;
        const workload = await queryRows<{ agentId: string | null; open: number; dueSoon: number }>(tx, sql`
          select assignee_id as "agentId", count(*)::int as open,
                 count(*) filter (where s.next_due_at < now() + interval '4 hours')::int as "dueSoon"
          from ${tickets} left join ${ticketSla} s on s.ticket_id = ${tickets.id} where ${base} and ${open} group by assignee_id order by open desc`);
        const perAgent = await queryRows<{
          agentId: string;
          tickets: number;
          firstResponseMs: number | null;
          resolutionMs: number | null;
          firstResponseWallMs: number | null;
          resolutionWallMs: number | null;
        }>(tx, sql`
          select assignee_id as "agentId", count(*)::int as tickets,
                 avg((s.state->'targets'->'firstResponse'->>'elapsedBusinessMs')::float) filter (where s.state->'targets'->'firstResponse'->>'achievedAt' is not null) as "firstResponseMs",
                 avg((s.state->'targets'->'resolution'->>'elapsedBusinessMs')::float) filter (where s.state->'targets'->'resolution'->>'achievedAt' is not null) as "resolutionMs",
                 avg(extract(epoch from (first_responded_at - created_at)) * 1000) as "firstResponseWallMs",
                 avg(extract(epoch from (resolved_at - created_at)) * 1000) as "resolutionWallMs"
          from ${tickets} left join ${ticketSla} s on s.ticket_id = ${tickets.id} where ${periodWhere} and assignee_id is not null group by assignee_id`);
        const breaches = await queryRows<{ kind: string; n: number }>(tx, sql`
          select f.kind, count(*)::int as n from ${slaFirings} f join ${tickets} on ${tickets.id} = f.ticket_id
          where ${base} and f.created_at >= ${p.from} and f.created_at < ${p.to} and f.kind in ('breach', 'escalation') group by f.kind`);
        // Counts follow the analytics scope; a ticket's number and subject only the ticket read rule.
        const ticketReach = await ticketReachOf(tx, actor, 'tickets:read');
        const readable = ticketReach ? (reachCondition(ticketReach) ?? sql`true`) : sql`false`;
        const recent = await queryRows<Record<string, unknown>>(tx, sql`
          select f.ticket_id as "ticketId", ${tickets.number} as number, ${tickets.subject} as subject, f.kind, f.target, f.level, f.created_at as at
          from ${slaFirings} f join ${tickets} on ${tickets.id} = f.ticket_id
          where ${base} and ${readable} and f.kind in ('breach', 'escalation') order by f.created_at desc limit 20`);
        const period = `${p.from.toISOString().slice(0, 7)}`;
        const ratings = await tx
          .select()
          .from(agentRatings)
          .where(and(eq(agentRatings.orgId, actor.orgId), gte(agentRatings.period, p.from.toISOString().slice(0, 7)), lte(agentRatings.period, p.to.toISOString().slice(0, 7))))
          .orderBy(desc(agentRatings.period));
        const ratingReach = await ratingReachOf(tx, actor, deps.canReadUser);
        const ratingFacts = await ratingFactsOf(tx, deps.profiles, actor.orgId, ratings.map((x) => x.agentId));
        const members = teams === null ? null : new Set((await tx.select({ userId: sdTeamMembers.userId }).from(sdTeamMembers).where(teams.length ? inArray(sdTeamMembers.teamId, teams) : sql`false`)).map((m) => m.userId));
        return {
          period: { from: p.from.toISOString(), to: p.to.toISOString(), month: period },
          teams,
          workload,
          compliance: await compliance(tx, periodWhere),
          breaches: Object.fromEntries(['breach', 'escalation'].map((k) => [k, breaches.find((b) => b.kind === k)?.n ?? 0])),
          recentBreaches: recent.map((r) => ({ ...r, at: new Date(r.at as string).toISOString() })),
          agents: perAgent.map((a) => ({
            agentId: a.agentId,
            tickets: a.tickets,
            firstResponseBusinessHours: hours(a.firstResponseMs),
            resolutionBusinessHours: hours(a.resolutionMs),
            firstResponseHours: hours(a.firstResponseWallMs === null ? null : Number(a.firstResponseWallMs)),
            resolutionHours: hours(a.resolutionWallMs === null ? null : Number(a.resolutionWallMs)),
          })),
          ratings: ratings
            .filter((r) => (members === null || members.has(r.agentId)) && !!ratingReach && canReadRating(ratingReach, ratingFacts.get(r.agentId)!))
            .map((r) => ({ agentId: r.agentId, period: r.period, score: r.score, comment: r.comment, raterId: r.raterId })),
        };
      });
    },

    async executive(actor: Actor, q: { from?: string | undefined; to?: string | undefined }) {
      if (reach(actor, 'servicedesk:analytics') !== 'any') throw forbidden('The executive dashboard needs "servicedesk:analytics" for the whole organization.');
      const p = periodOf(deps.clock(), q.from, q.to);
      return inOrg(db, actor.orgId, async (tx) => {
        const org = sql`${tickets.orgId} = ${actor.orgId}`;
        const periodWhere = sql`${org} and ${tickets.createdAt} >= ${p.from} and ${tickets.createdAt} < ${p.to}`;
        const volume = await queryRows<{ day: string; created: number; resolved: number }>(tx, sql`
          select to_char(date_trunc('day', created_at at time zone 'UTC'), 'YYYY-MM-DD') as day, count(*)::int as created,
                 count(*) filter (where resolved_at is not null)::int as resolved
          from ${tickets} where ${periodWhere} group by 1 order by 1`);
        const backlog = (await queryRows<{ under1d: number; from1to3d: number; from3to7d: number; over7d: number; averageAgeHours: number }>(tx, sql`
          select
            count(*) filter (where created_at > now() - interval '1 day')::int as "under1d",
            count(*) filter (where created_at <= now() - interval '1 day' and created_at > now() - interval '3 days')::int as "from1to3d",
            count(*) filter (where created_at <= now() - interval '3 days' and created_at > now() - interval '7 days')::int as "from3to7d",
            count(*) filter (where created_at <= now() - interval '7 days')::int as "over7d",
            coalesce(avg(extract(epoch from now() - created_at) / 3600), 0)::float as "averageAgeHours"
          from ${tickets} where ${org} and ${open}`))[0]!;
        const [csat] = await queryRows<{ avg: number | null; n: number }>(tx, sql`select avg(score)::float as avg, count(*)::int as n from ${csatResponses} where org_id = ${actor.orgId} and created_at >= ${p.from} and created_at < ${p.to}`);
        const categories = await queryRows<{
          category: string;
          tickets: number;
        }>(tx, sql`
          select coalesce(category, '(none)') as category, count(*)::int as tickets from ${tickets} where ${periodWhere} group by 1 order by 2 desc, 1 limit 10`);
        return {
          period: { from: p.from.toISOString(), to: p.to.toISOString() },
          volume,
          totals: { created: volume.reduce((a, v) => a + v.created, 0), resolved: volume.reduce((a, v) => a + v.resolved, 0) },
          compliance: await compliance(tx, periodWhere),
          backlog: { ...backlog, averageAgeHours: Math.round((backlog.averageAgeHours ?? 0) * 10) / 10 },
          csat: { average: csat?.avg === null || csat?.avg === undefined ? null : Math.round(csat.avg * 100) / 100, responses: csat?.n ?? 0 },
          topCategories: categories,
        };
      });
    },

    /** A manager rates an agent for a period (one rating per agent and month; a new one replaces it). */
    async rate(actor: Actor, input: { agentId: string; period: string; score: number; comment?: string | undefined }) {
      const scope = reach(actor, 'ratings:manage');
      if (!scope) throw forbidden();
      if (actor.userId === input.agentId) throw forbidden('You cannot rate yourself.');
      const known = await deps.users(actor.orgId, [input.agentId]);
      if (!known.has(input.agentId)) throw notFound('Agent');
      return commit(actor.orgId, async (tx) => {
        if (scope !== 'any') {
          const teams = await teamsOf(tx, actor.orgId, actor.userId);
          const [m] = teams.length
            ? await tx.select().from(sdTeamMembers).where(and(inArray(sdTeamMembers.teamId, teams), eq(sdTeamMembers.userId, input.agentId))).limit(1)
            : [];
          if (!m) throw forbidden('You may rate only agents of your teams.');
        }
        const [before] = await tx.select().from(agentRatings).where(and(eq(agentRatings.orgId, actor.orgId), eq(agentRatings.agentId, input.agentId), eq(agentRatings.period, input.period)));
        const [row] = await tx
          .insert(agentRatings)
          .values({ orgId: actor.orgId, agentId: input.agentId, raterId: actor.userId!, period: input.period, score: input.score, comment: input.comment ?? '' })
          .onConflictDoUpdate({
            target: [agentRatings.orgId, agentRatings.agentId, agentRatings.period],
            set: { score: input.score, comment: input.comment ?? '', raterId: actor.userId!, updatedAt: new Date(deps.clock()) },
          })
          .returning();
        await recordAudit(tx, auditContextOf(actor), {
          action: 'agent.rate',
          entityType: 'agent_rating',
          entityId: row!.id,
          before: before ? { score: before.score, comment: before.comment } : null,
          after: { agentId: row!.agentId, period: row!.period, score: row!.score, comment: row!.comment },
        });
        const facts = (await ratingFactsOf(tx, deps.profiles, actor.orgId, [row!.agentId])).get(row!.agentId)!;
        await publishEvents(tx, [
          { orgId: actor.orgId, topic: 'tickets', type: 'agent.rated', payload: { agentId: row!.agentId, period: row!.period, score: row!.score }, visibility: ratingVisibility(facts) },
        ]);
        return { id: row!.id, agentId: row!.agentId, raterId: row!.raterId, period: row!.period, score: row!.score, comment: row!.comment, updatedAt: row!.updatedAt.toISOString() };
      });
    },

    async ratings(actor: Actor, q: { agentId?: string | undefined; period?: string | undefined }) {
      const scope = reach(actor, 'ratings:manage');
      const own = !scope && can(actor, 'servicedesk:analytics');
      if (!scope && !own) throw forbidden();
      return inOrg(db, actor.orgId, async (tx) => {
        const r = (await ratingReachOf(tx, actor, deps.canReadUser))!;
        if (q.agentId && q.agentId !== actor.userId) {
          // Someone the actor may not read is not found, as the user record answers.
          const person = (await deps.profiles(actor.orgId, [q.agentId], tx)).get(q.agentId);
          if (!person || !deps.canReadUser(actor, { id: q.agentId, department: person.department })) throw notFound('User');
        }
        const conds: SQL[] = [eq(agentRatings.orgId, actor.orgId)];
        // Agents see their own ratings; managers those of their teams; `any` everyone's.
        if (own) conds.push(eq(agentRatings.agentId, actor.userId ?? '00000000-0000-0000-0000-000000000000'));
        else if (scope !== 'any') {
          const teams = await teamsOf(tx, actor.orgId, actor.userId);
          conds.push(
            teams.length
              ? sql`${agentRatings.agentId} in (select user_id from ${sdTeamMembers} where team_id in (${sql.join(teams.map((t) => sql`${t}::uuid`), sql`, `)}))`
              : sql`false`,
          );
        }
        if (q.agentId) conds.push(eq(agentRatings.agentId, q.agentId));
        if (q.period) conds.push(eq(agentRatings.period, q.period));
        const found = await tx.select().from(agentRatings).where(and(...conds)).orderBy(desc(agentRatings.period)).limit(500);
        const facts = await ratingFactsOf(tx, deps.profiles, actor.orgId, found.map((x) => x.agentId));
        const rows = found.filter((x) => canReadRating(r, facts.get(x.agentId)!));
        return rows.map((r) => ({ id: r.id, agentId: r.agentId, raterId: r.raterId, period: r.period, score: r.score, comment: r.comment, updatedAt: r.updatedAt.toISOString() }));
      });
    },
  };
}

export type DashboardsService = ReturnType<typeof createDashboardsService>;
