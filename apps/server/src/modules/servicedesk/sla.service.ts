import { performance } from 'node:perf_hooks';
import { and, asc, eq, gte, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../../platform/db/client.ts';
import { inOrg, inSystem } from '../../platform/db/scope.ts';
import { publishEvents } from '../../platform/events/outbox.ts';
import { recordAudit } from '../../platform/audit/audit.ts';
import { enqueueNotification } from '../../platform/notify/notify.ts';
import { autoAssign, teamMemberIds } from './assignment.ts';
import { sdTeams, slaCalendars, slaFirings, slaPolicies, tickets, ticketSla, ticketTimeline, type TicketPriority } from './servicedesk.schema.ts';
import type { ServicedeskDeps } from './servicedesk.context.ts';
import { ticketEvents } from './servicedesk.context.ts';
import { addTimeline, ticketColumns, toTicketView, type TicketRow } from './tickets.repository.ts';
import {
  compileCalendar,
  computeTicketSla,
  evaluateEscalations,
  explainTicketSla,
  matchPolicy,
  twentyFourSeven,
  TARGET_KINDS,
  type BusinessCalendar,
  type EscalationLevel,
  type Policy,
  type TicketSla,
  type TicketTimeline,
  type TimelineEvent,
} from './sla/index.ts';

/** The calendar of policies that name none: always open, UTC. */
export const ALWAYS_OPEN = '24x7';

/** What an org's SLA needs, loaded once per use case. */
export interface SlaSetup {
  ordered: Policy[];
  fallback: Policy | null;
  byId: Map<string, Policy>;
  levels: Map<string, EscalationLevel[]>;
  calendars: Map<string, BusinessCalendar>;
}

/** Per-target state kept on the ticket (lists, dashboards, compliance). */
export interface StoredTarget {
  state: string;
  cycle: number;
  dueAt: string;
  breachedAt: string | null;
  achievedAt: string | null;
  goalMinutes: number;
  elapsedBusinessMs: number;
}
export interface StoredSla {
  policyId: string;
  evaluatedAt: string;
  targets: Partial<Record<(typeof TARGET_KINDS)[number], StoredTarget>>;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
/** A PostgreSQL array literal (for `unnest`): the same text on node-postgres and PGlite. */
export function pgArray(values: (string | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)).join(',')}}`;
}
const PRIORITY_UP: Record<TicketPriority, TicketPriority> = { low: 'medium', medium: 'high', high: 'urgent', urgent: 'urgent' };

export function policyFromRow(r: typeof slaPolicies.$inferSelect): Policy {
  return {
    id: r.id,
    name: r.name,
    conditions: r.conditions as Policy['conditions'],
    targets: r.targets as Policy['targets'],
    warningThresholds: r.warnings,
    calendarId: r.calendarId ?? ALWAYS_OPEN,
  };
}

export async function loadSetup(tx: Executor, orgId: string): Promise<SlaSetup | null> {
  const rows = await tx.select().from(slaPolicies).where(eq(slaPolicies.orgId, orgId)).orderBy(asc(slaPolicies.position), asc(slaPolicies.createdAt));
  if (rows.length === 0) return null;
  const cals = await tx.select().from(slaCalendars).where(eq(slaCalendars.orgId, orgId));
  const calendars = new Map<string, BusinessCalendar>([[ALWAYS_OPEN, compileCalendar(twentyFourSeven())]]);
  for (const c of cals) calendars.set(c.id, compileCalendar({ timeZone: c.timeZone, weeklyHours: c.weekly, holidays: c.holidays }));
  const policies = rows.map(policyFromRow);
  const fallbackRow = rows.find((r) => r.isDefault);
  return {
    ordered: policies.filter((p) => p.id !== fallbackRow?.id),
    fallback: fallbackRow ? policyFromRow(fallbackRow) : null,
    byId: new Map(policies.map((p) => [p.id, p])),
    levels: new Map(rows.map((r) => [r.id, r.escalations as EscalationLevel[]])),
    calendars,
  };
}

/** The policy whose conditions the ticket meets (first in order), else the default; null without one. */
/** What policy matching and the clocks read of a ticket. */
export type ClockTicket = Pick<TicketRow, 'id' | 'createdAt' | 'priority' | 'category' | 'channel' | 'requesterEmail' | 'tags'>;

export function policyFor(setup: SlaSetup, t: ClockTicket): Policy | null {
  const facts = { priority: t.priority, category: t.category, channel: t.channel, requesterEmail: t.requesterEmail, tags: t.tags };
  const idx = setup.ordered.findIndex((p) => matchPolicy(facts, [p], p).matchedBy === 'conditions');
  if (idx >= 0) return setup.ordered[idx]!;
  return setup.fallback;
}

type TimelineRow = typeof ticketTimeline.$inferSelect;

/** The engine's view of a ticket: its timeline rows turned into clock events. */
export function timelineFor(t: ClockTicket, rows: Pick<TimelineRow, 'at' | 'kind' | 'data'>[], setup: SlaSetup, current: Policy, storedPolicyId: string | null = null): TicketTimeline {
  const created = rows.find((r) => r.kind === 'created');
  const firstChange = rows.find((r) => r.kind === 'policy');
  // The policy at creation: the one the first change moved away from, else the ticket's own.
  const initialId = (created?.data.policyId as string | undefined) ?? (firstChange?.data.from as string | undefined) ?? storedPolicyId ?? current.id;
  const events: TimelineEvent[] = [];
  for (const r of rows) {
    const at = r.at.getTime();
    if (r.kind === 'status') events.push({ type: 'status', at, status: r.data.to as TicketRow['status'] });
    else if (r.kind === 'priority') events.push({ type: 'priority', at, priority: r.data.to as TicketPriority });
    else if (r.kind === 'agent_reply') events.push({ type: 'reply', at, author: 'agent' });
    else if (r.kind === 'internal_note') events.push({ type: 'reply', at, author: 'agent', isInternal: true });
    else if (r.kind === 'customer_reply') events.push({ type: 'reply', at, author: 'customer' });
    else if (r.kind === 'policy') {
      const p = setup.byId.get(r.data.policyId as string);
      if (p) events.push({ type: 'policy', at, policy: p });
    }
  }
  return {
    createdAt: t.createdAt.getTime(),
    status: ((created?.data.status as TicketRow['status'] | undefined) ?? 'new'),
    priority: ((created?.data.priority as TicketPriority | undefined) ?? t.priority),
    policy: setup.byId.get(initialId) ?? current,
    events,
  };
}

function stored(sla: TicketSla): StoredSla {
  const targets: StoredSla['targets'] = {};
  for (const k of TARGET_KINDS) {
    const c = sla.targets[k];
    if (!c) continue;
    targets[k] = {
      state: c.state,
      cycle: c.cycle,
      dueAt: iso(c.dueAt)!,
      breachedAt: iso(c.breachedAt),
      achievedAt: iso(c.achievedAt),
      goalMinutes: c.goalMinutes,
      elapsedBusinessMs: Math.round(c.elapsedBusinessMs),
    };
  }
  return { policyId: sla.policyId, evaluatedAt: iso(sla.evaluatedAt)!, targets };
}

type Firing = { kind: 'warning' | 'breach' | 'escalation'; target: string; level: number; cycle: number };
const firingKey = (f: Firing) => `${f.kind}:${f.target}:${f.level}:${f.cycle}`;
const warnLevel = (threshold: number) => Math.round(threshold * 1000);

/** Everything that is or will become due for a ticket: warnings, breaches, escalation levels. */
function dueItems(sla: TicketSla, levels: EscalationLevel[], fired: Set<string>, calendars: SlaSetup['calendars'], now: number) {
  const due: (Firing & { at: number; actions?: string[]; threshold?: number })[] = [];
  let wake: number | null = null;
  const consider = (at: number) => {
    if (at > now && (wake === null || at < wake)) wake = at;
  };
  for (const target of TARGET_KINDS) {
    const c = sla.targets[target];
    if (!c || c.achievedAt !== null || c.state === 'paused') continue;
    c.warningThresholds.forEach((threshold, i) => {
      const f: Firing = { kind: 'warning', target, level: warnLevel(threshold), cycle: c.cycle };
      if (fired.has(firingKey(f))) return;
      const at = c.warningsDueAt[i]!;
      if (at <= now) due.push({ ...f, at, threshold });
      else consider(at);
    });
    const breachAt = c.breachedAt ?? c.dueAt;
    const breach: Firing = { kind: 'breach', target, level: 0, cycle: c.cycle };
    if (!fired.has(firingKey(breach))) {
      if (breachAt <= now) due.push({ ...breach, at: breachAt });
      else consider(breachAt);
    }
  }
  // A breach that happened and was then achieved late still counts (and is announced) once.
  for (const target of TARGET_KINDS) {
    const c = sla.targets[target];
    if (c?.achievedAt !== null && c?.breachedAt != null && c.breachedAt <= now) {
      const f: Firing = { kind: 'breach', target, level: 0, cycle: c.cycle };
      if (!fired.has(firingKey(f)) && !due.some((d) => firingKey(d) === firingKey(f))) due.push({ ...f, at: c.breachedAt });
    }
  }
  const done = new Set([...fired].filter((k) => k.startsWith('escalation:')).map((k) => {
    const [, target, level, cycle] = k.split(':');
    return `${target}:${cycle}:${levels[Number(level)]?.id ?? `#${level}`}`;
  }));
  const esc = evaluateEscalations(levels, sla, now, { done, calendars });
  for (const d of esc.due) due.push({ kind: 'escalation', target: d.target, level: d.levelIndex, cycle: d.cycle, at: d.dueAt, actions: d.actions });
  if (esc.nextAt !== null) consider(esc.nextAt);
  due.sort((a, b) => a.at - b.at);
  return { due, wake: due.length ? now : wake };
}

/** The earliest due time of a running target (for "breaching soon" and sorting). */
function nextDue(sla: TicketSla): number | null {
  let min: number | null = null;
  for (const k of TARGET_KINDS) {
    const c = sla.targets[k];
    if (!c || c.achievedAt !== null || c.state === 'paused' || c.state === 'breached') continue;
    if (min === null || c.dueAt < min) min = c.dueAt;
  }
  return min;
}

export function createSlaService(deps: ServicedeskDeps) {
  async function firedOf(tx: Executor, ticketId: string): Promise<Set<string>> {
    const rows = await tx.select().from(slaFirings).where(eq(slaFirings.ticketId, ticketId));
    return new Set(rows.map((r) => firingKey(r as Firing)));
  }

  /** Recomputes the clocks of one ticket from its timeline and stores them; picks (or re-picks) its policy. */
  async function sync(tx: Tx, orgId: string, ticketId: string, setup?: SlaSetup | null, now = Date.now()) {
    const s = setup === undefined ? await loadSetup(tx, orgId) : setup;
    const [t] = await tx.select(ticketColumns).from(tickets).where(and(eq(tickets.orgId, orgId), eq(tickets.id, ticketId)));
    if (!t) return;
    const [prev] = await tx.select({ policyId: ticketSla.policyId }).from(ticketSla).where(eq(ticketSla.ticketId, ticketId));
    const policy = s ? policyFor(s, t) : null;
    if (!s || !policy) {
      if (prev) await tx.delete(ticketSla).where(eq(ticketSla.ticketId, ticketId));
      return;
    }
    if (prev && prev.policyId !== policy.id) await addTimeline(tx, orgId, t.id, 'policy', { policyId: policy.id, from: prev.policyId }, new Date(now));
    const rows = await tx.select().from(ticketTimeline).where(eq(ticketTimeline.ticketId, t.id)).orderBy(asc(ticketTimeline.at), asc(ticketTimeline.id));
    const sla = computeTicketSla(timelineFor(t, rows, s, policy, prev?.policyId ?? null), { calendars: s.calendars, now });
    const { wake } = dueItems(sla, s.levels.get(sla.policyId) ?? [], await firedOf(tx, t.id), s.calendars, now);
    const next = nextDue(sla);
    const values = {
      policyId: policy.id,
      state: stored(sla) as unknown as Record<string, unknown>,
      nextDueAt: next === null ? null : new Date(next),
      wakeAt: wake === null ? null : new Date(wake),
    };
    await tx.insert(ticketSla).values({ ticketId: t.id, orgId, ...values }).onConflictDoUpdate({ target: ticketSla.ticketId, set: values });
    return sla;
  }

  /** Carries out what is due for one ticket, each firing exactly once (its primary key decides who wins). */
  async function fire(tx: Tx, t: TicketRow, now: number) {
    const s = await loadSetup(tx, t.orgId);
    if (!s) return 0;
    const sla = await sync(tx, t.orgId, t.id, s, now);
    if (!sla) return 0;
    const { due } = dueItems(sla, s.levels.get(sla.policyId) ?? [], await firedOf(tx, t.id), s.calendars, now);
    let done = 0;
    let current = t;
    for (const d of due) {
      const [won] = await tx
        .insert(slaFirings)
        .values({ orgId: t.orgId, ticketId: t.id, kind: d.kind, target: d.target, level: d.level, cycle: d.cycle })
        .onConflictDoNothing()
        .returning();
      if (!won) continue;
      done++;
      const [fresh] = await tx.select(ticketColumns).from(tickets).where(eq(tickets.id, t.id));
      current = fresh ?? current;
      const view = toTicketView(current);
      const info = { target: d.target, cycle: d.cycle, at: new Date(d.at).toISOString() };
      if (d.kind === 'warning') {
        await addTimeline(tx, t.orgId, t.id, 'sla_warning', { ...info, threshold: d.threshold }, new Date(now));
        await publishEvents(tx, ticketEvents(t.orgId, 'ticket.sla_warning', view, { ...info, threshold: d.threshold }));
        await notifyUsers(tx, current, current.assigneeId ? [current.assigneeId] : [], `SLA warning on #${current.number}`, `${Math.round((d.threshold ?? 0) * 100)}% of the ${d.target} target of ticket #${current.number} (${current.subject}) has elapsed.`);
      } else if (d.kind === 'breach') {
        await addTimeline(tx, t.orgId, t.id, 'sla_breach', info, new Date(now));
        await publishEvents(tx, ticketEvents(t.orgId, 'ticket.sla_breached', view, info));
      } else {
        current = await escalate(tx, current, d.actions ?? [], { ...info, level: d.level });
      }
      await recordAudit(
        tx,
        { orgId: t.orgId, actorType: 'system', actorId: null },
        { action: `ticket.sla_${d.kind}`, entityType: 'ticket', entityId: t.id, details: { ...info, level: d.level, ...(d.actions ? { actions: d.actions } : {}) } },
      );
    }
    if (done) await sync(tx, t.orgId, t.id, s, now);
    return done;
  }

  async function notifyUsers(tx: Tx, t: TicketRow, userIds: string[], subject: string, body: string) {
    const people = await deps.profiles(t.orgId, [...new Set(userIds)], tx);
    for (const p of people.values()) {
      await enqueueNotification(tx, { orgId: t.orgId, channel: 'email', to: p.email, subject, body, meta: { template: 'ticket.sla', ticketId: t.id } });
    }
  }

  /** An escalation level's actions: notify the team manager or the executives, raise the priority, reassign. */
  async function escalate(tx: Tx, t: TicketRow, actions: string[], info: Record<string, unknown>): Promise<TicketRow> {
    const now = new Date();
    const [team] = t.teamId ? await tx.select().from(sdTeams).where(eq(sdTeams.id, t.teamId)) : [];
    const set: Partial<typeof tickets.$inferInsert> = {};
    const notified: string[] = [];
    for (const a of actions) {
      if (a === 'notify_manager') {
        const managers = team?.managerId ? [team.managerId] : (await deps.roleMembers(t.orgId, 'manager', tx)).map((m) => m.id);
        notified.push(...managers);
        await notifyUsers(tx, t, managers, `Escalation: ticket #${t.number} breached its SLA`, `Ticket #${t.number} (${t.subject}) breached its ${String(info.target)} target.`);
      } else if (a === 'notify_executive') {
        const execs = (await deps.roleMembers(t.orgId, 'executive', tx)).map((m) => m.id);
        notified.push(...execs);
        await notifyUsers(tx, t, execs, `Escalation to executives: ticket #${t.number}`, `Ticket #${t.number} (${t.subject}) is still in breach of its ${String(info.target)} target.`);
      } else if (a === 'raise_priority') {
        const up = PRIORITY_UP[set.priority ?? t.priority];
        if (up !== t.priority) {
          set.priority = up;
          await addTimeline(tx, t.orgId, t.id, 'priority', { from: t.priority, to: up, by: 'escalation' }, now);
        }
      } else if (a === 'reassign') {
        let next: string | null = null;
        if (t.teamId) {
          const members = new Set((await teamMemberIds(tx, t.orgId, t.teamId)).filter((m) => m !== t.assigneeId));
          next = await autoAssign(tx, t.orgId, t.teamId, await deps.users(t.orgId, [...members], tx));
        }
        next ??= team?.managerId ?? null;
        if (next && next !== t.assigneeId) {
          set.assigneeId = next;
          await addTimeline(tx, t.orgId, t.id, 'assigned', { from: t.assigneeId, assigneeId: next, by: 'escalation' }, now);
        }
      }
    }
    const [row] = Object.keys(set).length ? await tx.update(tickets).set(set).where(eq(tickets.id, t.id)).returning() : [t];
    await addTimeline(tx, t.orgId, t.id, 'escalation', { ...info, actions, notified }, now);
    await publishEvents(tx, ticketEvents(t.orgId, 'ticket.escalated', toTicketView(row!), { ...info, actions }));
    return row!;
  }

  return {
    sync,
    loadSetup,

    /**
     * One scheduler pass: tickets whose wake time has come, across orgs, claimed with SKIP LOCKED so
     * several workers share them; each firing is exactly-once by its primary key regardless.
     */
    async tick(now = Date.now(), batch = 100): Promise<number> {
      const due = await inSystem(deps.db, (tx) =>
        tx
          .select({ id: ticketSla.ticketId, orgId: ticketSla.orgId })
          .from(ticketSla)
          .where(and(isNotNull(ticketSla.wakeAt), lte(ticketSla.wakeAt, new Date(now))))
          .orderBy(asc(ticketSla.wakeAt))
          .limit(batch),
      );
      let fired = 0;
      for (const d of due) {
        fired += await inOrg(deps.db, d.orgId, async (tx) => {
          // The ticket row is the lock: another worker on the same ticket skips it.
          const [t] = await tx
            .select(ticketColumns)
            .from(tickets)
            .innerJoin(ticketSla, eq(ticketSla.ticketId, tickets.id))
            .where(and(eq(tickets.id, d.id), lte(ticketSla.wakeAt, new Date(now))))
            .for('update', { of: tickets, skipLocked: true });
          return t ? fire(tx, t, now) : 0;
        });
      }
      if (fired) {
        deps.dispatcher.notify();
        deps.notifier.wake();
      }
      return fired;
    },

    /** Recomputes the clocks of the org's open tickets (after a calendar or policy change), in batches. */
    async recalculateOpen(tx: Tx, orgId: string, now = Date.now(), stats?: { loadMs: number; fetchMs: number; computeMs: number; writeMs: number }): Promise<number> {
      let mark = performance.now();
      const lap = (k: 'loadMs' | 'fetchMs' | 'computeMs' | 'writeMs') => {
        const t = performance.now();
        if (stats) stats[k] += t - mark;
        mark = t;
      };
      const setup = await loadSetup(tx, orgId);
      const open = await tx
        .select({
          id: tickets.id,
          createdAt: tickets.createdAt,
          priority: tickets.priority,
          category: tickets.category,
          channel: tickets.channel,
          requesterEmail: tickets.requesterEmail,
          tags: tickets.tags,
          storedPolicyId: ticketSla.policyId,
        })
        .from(tickets)
        .leftJoin(ticketSla, eq(ticketSla.ticketId, tickets.id))
        .where(and(eq(tickets.orgId, orgId), inArray(tickets.status, ['new', 'open', 'pending_customer', 'on_hold'])))
        .orderBy(asc(tickets.id));
      if (!setup) {
        await tx.delete(ticketSla).where(eq(ticketSla.orgId, orgId));
        return open.length;
      }
      lap('loadMs');
      const CHUNK = 5000;
      // One connection, one query at a time (node-postgres deprecates queueing a query on a busy client).
      const fetchChunk = async (first: string, last: string) => {
        // A range of ticket ids (the chunk is in id order) reads the timeline index in one sweep;
        // rows of tickets outside the chunk (closed ones in the range) are dropped below.
        const rows = await tx
          .select({ ticketId: ticketTimeline.ticketId, at: ticketTimeline.at, kind: ticketTimeline.kind, data: ticketTimeline.data })
          .from(ticketTimeline)
          .where(and(eq(ticketTimeline.orgId, orgId), gte(ticketTimeline.ticketId, first), lte(ticketTimeline.ticketId, last)))
          .orderBy(asc(ticketTimeline.at), asc(ticketTimeline.id));
        const fired = await tx
          .select()
          .from(slaFirings)
          .where(and(eq(slaFirings.orgId, orgId), gte(slaFirings.ticketId, first), lte(slaFirings.ticketId, last)));
        return [rows, fired] as const;
      };
      for (let i = 0; i < open.length; i += CHUNK) {
        const chunk = open.slice(i, i + CHUNK);
        const [rows, fired] = await fetchChunk(chunk[0]!.id, chunk[chunk.length - 1]!.id);
        lap('fetchMs');
        const byTicket = new Map<string, (typeof rows)[number][]>();
        for (const r of rows) (byTicket.get(r.ticketId) ?? byTicket.set(r.ticketId, []).get(r.ticketId)!).push(r);
        const firedBy = new Map<string, Set<string>>();
        for (const f of fired) (firedBy.get(f.ticketId) ?? firedBy.set(f.ticketId, new Set()).get(f.ticketId)!).add(firingKey(f as Firing));
        const out: { id: string; policy: string; state: unknown; next: string | null; wake: string | null }[] = [];
        for (const t of chunk) {
          const policy = policyFor(setup, t);
          if (!policy) continue;
          const sla = computeTicketSla(timelineFor(t, byTicket.get(t.id) ?? [], setup, policy, t.storedPolicyId), { calendars: setup.calendars, now });
          const { wake } = dueItems(sla, setup.levels.get(sla.policyId) ?? [], firedBy.get(t.id) ?? new Set(), setup.calendars, now);
          out.push({ id: t.id, policy: policy.id, state: stored(sla), next: iso(nextDue(sla)), wake: iso(wake) });
        }
        lap('computeMs');
        if (out.length) {
          // One JSON document per chunk, unpacked by PostgreSQL: one parameter, parsed once.
          await tx.execute(sql`
            insert into ticket_sla (ticket_id, org_id, policy_id, state, next_due_at, wake_at)
            select v.id, ${orgId}::uuid, v.policy, v.state, v.next, v.wake
            from jsonb_to_recordset(${JSON.stringify(out)}::jsonb) as v(id uuid, policy uuid, state jsonb, next timestamptz, wake timestamptz)
            on conflict (ticket_id) do update set policy_id = excluded.policy_id, state = excluded.state, next_due_at = excluded.next_due_at, wake_at = excluded.wake_at`);
        }
        lap('writeMs');
      }
      return open.length;
    },

    /** The explanation of a ticket's SLA: calendar intervals used, pauses and targets. */
    async explain(tx: Executor, t: TicketRow, now = Date.now()) {
      const setup = await loadSetup(tx, t.orgId);
      const policy = setup ? policyFor(setup, t) : null;
      if (!setup || !policy) return null;
      const rows = await tx.select().from(ticketTimeline).where(eq(ticketTimeline.ticketId, t.id)).orderBy(asc(ticketTimeline.at), asc(ticketTimeline.id));
      const [prev] = await tx.select({ policyId: ticketSla.policyId }).from(ticketSla).where(eq(ticketSla.ticketId, t.id));
      return explainTicketSla(timelineFor(t, rows, setup, policy, prev?.policyId ?? null), { calendars: setup.calendars, now });
    },
  };
}

export type SlaService = ReturnType<typeof createSlaService>;
