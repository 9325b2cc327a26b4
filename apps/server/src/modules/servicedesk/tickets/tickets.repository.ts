import { and, asc, desc, eq, getTableColumns, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { reach } from '../../../platform/access/ability.ts';
import type { Actor } from '../../../platform/access/actor.ts';
import type { Condition, Permission } from '../../../platform/access/catalogue.ts';
import type { Executor } from '../../../platform/db/client.ts';
import type { EventVisibility } from '../../../platform/events/outbox.ts';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../../../platform/db/pagination.ts';
import { sdTeamMembers, sdTeams, ticketCounters, ticketReplies, tickets, ticketSla, ticketTimeline, type TicketPriority } from '../servicedesk.schema.ts';
import { allowedMoves, OPEN_STATUSES } from './tickets.transitions.ts';

/** A ticket as read: every column but the search vector (an index input nobody reads back). */
const { search: _search, ...columns } = getTableColumns(tickets);
export const ticketColumns = columns;
export type TicketRow = Omit<typeof tickets.$inferSelect, 'search'> & { search?: string | null };
/** The ticket's columns and its earliest open SLA due time (from ticket_sla). */
export const ticketSelection = {
  ...columns,
  slaNextDueAt: ticketSla.nextDueAt,
  /** A target is in breach now: breached and not (yet) achieved. */
  // A breached target not achieved since (stored state leaves out instants that did not happen).
  slaBreached: sql<boolean>`coalesce(${ticketSla.state} @? '$.targets.* ? (@.breachedAt != null && !(@.achievedAt != null))', false)`,
};
export type TicketWithSla = TicketRow & { slaNextDueAt: Date | null; slaBreached: boolean };

/** Tickets with their SLA due time; add `.where()`. */
export const selectTickets = (tx: Executor) => tx.select(ticketSelection).from(tickets).leftJoin(ticketSla, eq(ticketSla.ticketId, tickets.id));
export type ReplyRow = typeof ticketReplies.$inferSelect;

export interface TicketView {
  id: string;
  number: number;
  subject: string;
  description: string;
  status: TicketRow['status'];
  /** Statuses the ticket may move to now (the transition table), so clients need no copy of it. */
  allowedStatuses: TicketRow['status'][];
  priority: TicketRow['priority'];
  category: string | null;
  tags: string[];
  teamId: string | null;
  assigneeId: string | null;
  channel: TicketRow['channel'];
  requester: { name: string; email: string | null; mobile: string | null; userId: string | null };
  customFields: Record<string, unknown>;
  attachmentIds: string[];
  mergedIntoId: string | null;
  firstRespondedAt: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
  slaNextDueAt: string | null;
  slaBreached: boolean;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function toTicketView(t: TicketRow & { slaNextDueAt?: Date | null; slaBreached?: boolean }): TicketView {
  return {
    id: t.id,
    number: t.number,
    subject: t.subject,
    description: t.description,
    status: t.status,
    allowedStatuses: [...allowedMoves(t.status)],
    priority: t.priority,
    category: t.category,
    tags: t.tags,
    teamId: t.teamId,
    assigneeId: t.assigneeId,
    channel: t.channel,
    requester: { name: t.requesterName, email: t.requesterEmail, mobile: t.requesterMobile, userId: t.requesterUserId },
    customFields: t.customFields,
    attachmentIds: t.attachmentIds,
    mergedIntoId: t.mergedIntoId,
    firstRespondedAt: iso(t.firstRespondedAt),
    resolvedAt: iso(t.resolvedAt),
    closedAt: iso(t.closedAt),
    slaNextDueAt: iso(t.slaNextDueAt ?? null),
    slaBreached: t.slaBreached ?? false,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

export interface ReplyView {
  id: string;
  ticketId: string;
  authorType: ReplyRow['authorType'];
  authorUserId: string | null;
  body: string;
  isInternal: boolean;
  channel: ReplyRow['channel'];
  attachmentIds: string[];
  createdAt: string;
}

export const toReplyView = (r: ReplyRow): ReplyView => ({
  id: r.id,
  ticketId: r.ticketId,
  authorType: r.authorType,
  authorUserId: r.authorUserId,
  body: r.body,
  isInternal: r.isInternal,
  channel: r.channel,
  attachmentIds: r.attachmentIds,
  createdAt: r.createdAt.toISOString(),
});

/** The next human number of the org: the counter row's lock serialises concurrent creations, with no gaps. */
export async function nextTicketNumber(tx: Executor, orgId: string): Promise<number> {
  const [row] = await tx
    .insert(ticketCounters)
    .values({ orgId, last: 1 })
    .onConflictDoUpdate({ target: ticketCounters.orgId, set: { last: sql`${ticketCounters.last} + 1` } })
    .returning({ last: ticketCounters.last });
  return row!.last;
}

export async function findTicket(tx: Executor, orgId: string, id: string, lock = false): Promise<TicketWithSla | undefined> {
  const q = selectTickets(tx).where(and(eq(tickets.orgId, orgId), eq(tickets.id, id)));
  const [t] = lock ? await q.for('update', { of: tickets }) : await q;
  return t;
}

export async function addTimeline(tx: Executor, orgId: string, ticketId: string, kind: string, data: Record<string, unknown>, at: Date) {
  await tx.insert(ticketTimeline).values({ orgId, ticketId, kind, data, at });
}

/** Teams the user belongs to or manages. */
export async function teamsOf(tx: Executor, orgId: string, userId: string | null): Promise<string[]> {
  if (!userId) return [];
  const rows = await tx
    .select({ id: sdTeams.id })
    .from(sdTeams)
    .leftJoin(sdTeamMembers, and(eq(sdTeamMembers.teamId, sdTeams.id), eq(sdTeamMembers.userId, userId)))
    .where(and(eq(sdTeams.orgId, orgId), or(eq(sdTeams.managerId, userId), eq(sdTeamMembers.userId, userId))));
  return [...new Set(rows.map((r) => r.id))];
}

/** How far a ticket permission reaches for one actor now: its condition, and their teams for `department`. */
export interface TicketReach {
  scope: Condition;
  userId: string | null;
  teamIds: string[];
}

/** What the ticket rule looks at; ticket events carry it as their visibility. */
export type TicketFacts = Pick<TicketRow, 'teamId' | 'assigneeId' | 'createdBy'>;

/** The actor's reach for a ticket permission (null: they do not hold it). */
export async function ticketReachOf(tx: Executor, actor: Actor, permission: Permission = 'tickets:read'): Promise<TicketReach | null> {
  const scope = reach(actor, permission);
  if (!scope) return null;
  return { scope, userId: actor.userId, teamIds: scope === 'department' ? await teamsOf(tx, actor.orgId, actor.userId) : [] };
}

/**
 * The ticket rule: `any` reaches every ticket; `department` the actor's teams, the team-less general
 * queue and their own; `own` those assigned to or opened by the actor. REST reads, realtime events
 * and file access ask this; `reachCondition` is the same rule as SQL, for lists.
 */
export function ticketInReach(r: TicketReach, t: TicketFacts): boolean {
  if (r.scope === 'any') return true;
  const own = !!r.userId && (t.assigneeId === r.userId || t.createdBy === r.userId);
  if (r.scope === 'own') return own;
  return own || t.teamId === null || r.teamIds.includes(t.teamId);
}

/** `ticketInReach` as a condition on the tickets table (undefined: every ticket). */
export function reachCondition(r: TicketReach): SQL | undefined {
  if (r.scope === 'any') return undefined;
  const me = r.userId ?? '00000000-0000-0000-0000-000000000000';
  const own = or(eq(tickets.assigneeId, me), eq(tickets.createdBy, me))!;
  if (r.scope === 'own') return own;
  return or(own, isNull(tickets.teamId), r.teamIds.length ? inArray(tickets.teamId, r.teamIds) : undefined);
}

export const ticketVisibility = (t: TicketFacts): EventVisibility => ({ kind: 'ticket', teamId: t.teamId, assigneeId: t.assigneeId, createdBy: t.createdBy });

/** The read facts of these tickets as they are now (the `current` rule of the ticket topics). */
export async function ticketFactsNow(tx: Executor, ids: string[]): Promise<Map<string, EventVisibility>> {
  const rows = await tx.select({ id: tickets.id, teamId: tickets.teamId, assigneeId: tickets.assigneeId, createdBy: tickets.createdBy }).from(tickets).where(inArray(tickets.id, ids));
  return new Map(rows.map((r) => [r.id, ticketVisibility(r)]));
}

/** The facts a ticket event carries, or null when the event is about no ticket. */
export function ticketFactsOf(v: EventVisibility | null): TicketFacts | null {
  if (v?.kind !== 'ticket') return null;
  const str = (x: unknown) => (typeof x === 'string' ? x : null);
  return { teamId: str(v.teamId), assigneeId: str(v.assigneeId), createdBy: str(v.createdBy) };
}

export const VIEWS = ['all', 'my_open', 'unassigned', 'breaching_soon'] as const;
export type TicketListView = (typeof VIEWS)[number];
export const TICKET_SORTS = ['createdAt', 'updatedAt', 'number', 'priority', 'slaNextDueAt'] as const;

export interface TicketFilters {
  limit: number;
  cursor?: string | undefined;
  sort?: { field: (typeof TICKET_SORTS)[number]; desc: boolean } | undefined;
  view?: TicketListView | undefined;
  status?: string[] | undefined;
  priority?: string[] | undefined;
  assigneeId?: string | undefined;
  teamId?: string | undefined;
  category?: string | undefined;
  tag?: string | undefined;
  channel?: string | undefined;
  requesterUserId?: string | undefined;
  requesterEmail?: string | undefined;
  requesterMobile?: string | undefined;
  q?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

const PRIORITY_RANK = sql`(case ${tickets.priority} when 'low' then 1 when 'medium' then 2 when 'high' then 3 else 4 end)`;
const RANK: Record<TicketPriority, number> = { low: 1, medium: 2, high: 3, urgent: 4 };
/** "Breaching soon": an open target falls due within this window. */
export const BREACHING_SOON_MS = 2 * 3600_000;

export async function listTickets(
  tx: Executor,
  orgId: string,
  actor: { userId: string | null },
  reach: SQL | undefined,
  f: TicketFilters,
  now: Date,
): Promise<Page<TicketView>> {
  const view = f.view ?? 'all';
  const sort = f.sort ?? (view === 'breaching_soon' ? { field: 'slaNextDueAt' as const, desc: false } : { field: 'createdAt' as const, desc: true });
  const col: SQL | AnyPgColumn = {
    createdAt: tickets.createdAt,
    updatedAt: tickets.updatedAt,
    number: tickets.number,
    priority: PRIORITY_RANK,
    slaNextDueAt: ticketSla.nextDueAt,
  }[sort.field];
  const numeric = sort.field === 'number' || sort.field === 'priority';
  const nullable = sort.field === 'slaNextDueAt';
  const cursor = decodeCursor(f.cursor, { value: numeric ? 'number' : 'timestamp', nullable });
  const conds: (SQL | undefined)[] = [eq(tickets.orgId, orgId), reach];
  const open = inArray(tickets.status, OPEN_STATUSES as TicketRow['status'][]);
  if (view === 'my_open') conds.push(open, eq(tickets.assigneeId, actor.userId ?? '00000000-0000-0000-0000-000000000000'));
  if (view === 'unassigned') conds.push(open, isNull(tickets.assigneeId));
  if (view === 'breaching_soon') conds.push(open, sql`${ticketSla.nextDueAt} <= ${new Date(now.getTime() + BREACHING_SOON_MS)}`);
  if (f.status?.length) conds.push(inArray(tickets.status, f.status as TicketRow['status'][]));
  if (f.priority?.length) conds.push(inArray(tickets.priority, f.priority as TicketRow['priority'][]));
  if (f.assigneeId) conds.push(eq(tickets.assigneeId, f.assigneeId));
  if (f.teamId) conds.push(eq(tickets.teamId, f.teamId));
  if (f.category) conds.push(eq(tickets.category, f.category));
  if (f.channel) conds.push(eq(tickets.channel, f.channel as TicketRow['channel']));
  if (f.requesterUserId) conds.push(eq(tickets.requesterUserId, f.requesterUserId));
  if (f.requesterEmail) conds.push(eq(tickets.requesterEmail, f.requesterEmail.trim().toLowerCase()));
  if (f.requesterMobile) conds.push(eq(tickets.requesterMobile, f.requesterMobile));
  if (f.tag) conds.push(sql`${f.tag} = any(${tickets.tags})`);
  if (f.from) conds.push(sql`${tickets.createdAt} >= ${new Date(f.from)}`);
  if (f.to) conds.push(sql`${tickets.createdAt} <= ${new Date(f.to)}`);
  if (f.q) {
    const n = /^#?(\d{1,9})$/.exec(f.q.trim());
    conds.push(
      n ? or(eq(tickets.number, Number(n[1])), sql`${tickets.search} @@ websearch_to_tsquery('simple', ${f.q})`) : sql`${tickets.search} @@ websearch_to_tsquery('simple', ${f.q})`,
    );
  }
  if (cursor) {
    const cmp = sort.desc ? sql`<` : sql`>`;
    const v = cursor.value;
    const value = v === null ? null : numeric ? sql`${v}` : sql`${v}::timestamptz`;
    conds.push(
      value === null
        ? sql`(${col} is null and ${tickets.id} ${cmp} ${cursor.id}::uuid)`
        : nullable
          ? sql`((${col}, ${tickets.id}) ${cmp} (${value}, ${cursor.id}::uuid) or ${col} is null)`
          : sql`(${col}, ${tickets.id}) ${cmp} (${value}, ${cursor.id}::uuid)`,
    );
  }
  // "nulls last" only where there can be nulls: on a NOT NULL column it would keep PostgreSQL from
  // reading the (org, created_at) index backwards, and sort every matching row instead.
  const order = nullable ? (sort.desc ? sql`${col} desc nulls last` : sql`${col} asc nulls last`) : sort.desc ? sql`${col} desc` : sql`${col} asc`;
  const rows = await selectTickets(tx)
    .where(and(...conds))
    .orderBy(order, sort.desc ? desc(tickets.id) : asc(tickets.id))
    .limit(f.limit + 1);
  const page = pageOf(rows, f.limit, (t) => {
    const v = sort.field === 'priority' ? RANK[t.priority] : sort.field === 'number' ? t.number : (t[sort.field] as Date | null);
    return encodeCursor(v instanceof Date ? v.toISOString() : v, t.id);
  });
  return { data: page.data.map(toTicketView), nextCursor: page.nextCursor };
}

export async function repliesOf(tx: Executor, orgId: string, ticketId: string, includeInternal: boolean): Promise<ReplyView[]> {
  const rows = await tx
    .select()
    .from(ticketReplies)
    .where(and(eq(ticketReplies.orgId, orgId), eq(ticketReplies.ticketId, ticketId), includeInternal ? undefined : eq(ticketReplies.isInternal, false)))
    .orderBy(asc(ticketReplies.createdAt), asc(ticketReplies.id));
  return rows.map(toReplyView);
}
