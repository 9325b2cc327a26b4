import { and, asc, eq, isNotNull, lte } from 'drizzle-orm';
import type { Executor, Tx } from '../../../platform/db/client.ts';
import { inSystem } from '../../../platform/db/scope.ts';
import { publishEvents } from '../../../platform/events/outbox.ts';
import { recordAudit } from '../../../platform/audit/audit.ts';
import { enqueueNotification } from '../../../platform/notify/notify.ts';
import { autoAssign, teamMemberIds } from '../tickets/assignment.ts';
import { sdTeams, slaFirings, tickets, ticketSla, ticketTimeline, type TicketPriority } from '../servicedesk.schema.ts';
import type { ServicedeskDeps } from '../servicedesk.context.ts';
import { inUseCase, ticketEvents } from '../servicedesk.context.ts';
import { addTimeline, ticketColumns, toTicketView, type TicketRow } from '../tickets/tickets.repository.ts';
import { explainTicketSla } from './engine/index.ts';
import { recalculateOpen, type RecalcOptions } from './sla.recalc.ts';
import { clocksOf, dueItems, firingKey, loadSetup, policyFor, timelineFor, type Firing, type SlaSetup } from './sla.setup.ts';

const PRIORITY_UP: Record<TicketPriority, TicketPriority> = { low: 'medium', medium: 'high', high: 'urgent', urgent: 'urgent' };

export function createSlaService(deps: ServicedeskDeps) {
  async function firedOf(tx: Executor, ticketId: string): Promise<Set<string>> {
    const rows = await tx.select().from(slaFirings).where(eq(slaFirings.ticketId, ticketId));
    return new Set(rows.map((r) => firingKey(r as Firing)));
  }

  /** Recomputes the clocks of one ticket from its timeline and stores them; picks (or re-picks) its policy. */
  async function sync(tx: Tx, orgId: string, ticketId: string, setup?: SlaSetup | null, now = deps.clock()) {
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
    const c = clocksOf(s, t, policy, rows, await firedOf(tx, t.id), prev?.policyId ?? null, now);
    const values = {
      policyId: policy.id,
      state: c.state as unknown as Record<string, unknown>,
      nextDueAt: c.next === null ? null : new Date(c.next),
      wakeAt: c.wake === null ? null : new Date(c.wake),
    };
    await tx.insert(ticketSla).values({ ticketId: t.id, orgId, ...values }).onConflictDoUpdate({ target: ticketSla.ticketId, set: values });
    return c.sla;
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
        await publishEvents(tx, ticketEvents(t.orgId, 'ticket.sla_warning', view, current, { ...info, threshold: d.threshold }));
        await notifyUsers(tx, current, current.assigneeId ? [current.assigneeId] : [], `SLA warning on #${current.number}`, `${Math.round((d.threshold ?? 0) * 100)}% of the ${d.target} target of ticket #${current.number} (${current.subject}) has elapsed.`);
      } else if (d.kind === 'breach') {
        await addTimeline(tx, t.orgId, t.id, 'sla_breach', info, new Date(now));
        await publishEvents(tx, ticketEvents(t.orgId, 'ticket.sla_breached', view, current, info));
      } else {
        current = await escalate(tx, current, d.actions ?? [], { ...info, level: d.level }, now);
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
  async function escalate(tx: Tx, t: TicketRow, actions: string[], info: Record<string, unknown>, at: number): Promise<TicketRow> {
    const now = new Date(at);
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
          next = await autoAssign(tx, t.orgId, t.teamId, await deps.users(t.orgId, [...members], tx), now);
        }
        next ??= team?.managerId ?? null;
        if (next && next !== t.assigneeId) {
          set.assigneeId = next;
          await addTimeline(tx, t.orgId, t.id, 'assigned', { from: t.assigneeId, assigneeId: next, by: 'escalation' }, now);
        }
      }
    }
    const [row] = Object.keys(set).length ? await tx.update(tickets).set({ ...set, updatedAt: now }).where(eq(tickets.id, t.id)).returning() : [t];
    await addTimeline(tx, t.orgId, t.id, 'escalation', { ...info, actions, notified }, now);
    await publishEvents(tx, ticketEvents(t.orgId, 'ticket.escalated', toTicketView(row!), row!, { ...info, actions }));
    return row!;
  }

  return {
    sync,
    loadSetup,

    /**
     * One scheduler pass: tickets whose wake time has come, across orgs, claimed with SKIP LOCKED so
     * several workers share them; each firing is exactly-once by its primary key regardless.
     */
    async tick(now = deps.clock(), batch = 100): Promise<number> {
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
        fired += await inUseCase(deps)(
          d.orgId,
          async (tx) => {
          // The ticket row is the lock: another worker on the same ticket skips it.
          const [t] = await tx
            .select(ticketColumns)
            .from(tickets)
            .innerJoin(ticketSla, eq(ticketSla.ticketId, tickets.id))
            .where(and(eq(tickets.id, d.id), lte(ticketSla.wakeAt, new Date(now))))
            .for('update', { of: tickets, skipLocked: true });
            return t ? fire(tx, t, now) : 0;
          },
          // Recomputing a clock is bookkeeping; each firing it carries out is audited.
          { unaudited: 'SLA clock bookkeeping' },
        );
      }
      return fired;
    },

    /** Recomputes the clocks of the org's open tickets (after a calendar or policy change), at the desk's "now". */
    recalculateOpen: (tx: Tx, orgId: string, options: RecalcOptions = {}) => recalculateOpen(tx, orgId, { now: deps.clock(), ...options }),

    /** The explanation of a ticket's SLA: calendar intervals used, pauses and targets. */
    async explain(tx: Executor, t: TicketRow, now = deps.clock()) {
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
