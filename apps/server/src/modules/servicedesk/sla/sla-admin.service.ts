import { and, asc, eq, ne, sql } from 'drizzle-orm';
import { can } from '../../../platform/access/ability.ts';
import { auditContextOf, type Actor } from '../../../platform/access/actor.ts';
import { recordAudit } from '../../../platform/audit/audit.ts';
import type { Tx } from '../../../platform/db/client.ts';
import { keyset, mapPage, type PageRequest } from '../../../platform/db/pagination.ts';
import { inOrg } from '../../../platform/db/scope.ts';
import { publishEvents } from '../../../platform/events/outbox.ts';
import { badRequest, conflict, forbidden, notFound } from '../../../platform/errors/app-error.ts';
import { sdTeams, slaCalendars, slaPolicies } from '../servicedesk.schema.ts';
import { inUseCase, type ServicedeskDeps } from '../servicedesk.context.ts';
import type { SlaService } from './sla.service.ts';
import { ALWAYS_OPEN } from './sla.setup.ts';
import { importHolidaysFromIcs, parseCalendar, parseEscalationPlan, parsePolicy, type CalendarDefinition, type Holiday } from './engine/index.ts';
import type { TicketsService } from '../tickets/tickets.service.ts';

export interface CalendarInput {
  name: string;
  timeZone: string;
  weeklyHours: Record<string, unknown>;
  holidays?: Holiday[] | undefined;
  teamId?: string | null | undefined;
}

export interface PolicyInput {
  name: string;
  position?: number | undefined;
  isDefault?: boolean | undefined;
  conditions?: Record<string, unknown> | undefined;
  targets: Record<string, unknown>;
  warningThresholds?: number[] | undefined;
  escalations?: unknown[] | undefined;
  calendarId?: string | null | undefined;
}

const pgCode = (err: unknown) => (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;

const calendarView = (c: typeof slaCalendars.$inferSelect) => ({
  id: c.id,
  name: c.name,
  timeZone: c.timeZone,
  weeklyHours: c.weekly,
  holidays: c.holidays as Holiday[],
  teamId: c.teamId,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});
const policyView = (p: typeof slaPolicies.$inferSelect) => ({
  id: p.id,
  name: p.name,
  position: p.position,
  isDefault: p.isDefault,
  conditions: p.conditions,
  targets: p.targets,
  warningThresholds: p.warnings,
  escalations: p.escalations,
  calendarId: p.calendarId,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

/**
 * Business calendars and SLA policies (servicedesk:manage). Every change recalculates the due times
 * of the org's open tickets in the same transaction, so lists and the scheduler never see stale clocks.
 */
export function createSlaAdminService(deps: ServicedeskDeps, sla: SlaService, ticketsSvc: TicketsService) {
  const commit = inUseCase(deps);
  const need = (actor: Actor) => {
    if (!can(actor, 'servicedesk:manage')) throw forbidden();
  };

  async function changed(tx: Tx, actor: Actor, what: string, details: Record<string, unknown>) {
    const n = await sla.recalculateOpen(tx, actor.orgId);
    await publishEvents(tx, [{ orgId: actor.orgId, topic: 'tickets', type: 'servicedesk.sla_changed', payload: { what, recalculated: n, ...details } }]);
    return n;
  }

  function checkCalendar(input: Pick<CalendarInput, 'timeZone' | 'weeklyHours' | 'holidays'>): CalendarDefinition {
    return parseCalendar({ timeZone: input.timeZone, weeklyHours: input.weeklyHours, holidays: input.holidays ?? [] });
  }

  async function checkTeam(tx: Tx, orgId: string, teamId: string | null | undefined) {
    if (!teamId) return;
    const [t] = await tx.select({ id: sdTeams.id }).from(sdTeams).where(and(eq(sdTeams.orgId, orgId), eq(sdTeams.id, teamId)));
    if (!t) throw badRequest('unknown_team', `No such team: ${teamId}.`, { errors: [{ path: 'teamId', message: 'Unknown team' }] });
  }

  async function checkPolicy(tx: Tx, orgId: string, input: PolicyInput) {
    if (input.calendarId) {
      const [c] = await tx.select({ id: slaCalendars.id }).from(slaCalendars).where(and(eq(slaCalendars.orgId, orgId), eq(slaCalendars.id, input.calendarId)));
      if (!c) throw badRequest('unknown_calendar', `No such calendar: ${input.calendarId}.`, { errors: [{ path: 'calendarId', message: 'Unknown calendar' }] });
    }
    const policy = parsePolicy({
      id: 'new',
      name: input.name,
      conditions: input.conditions ?? {},
      targets: input.targets,
      warningThresholds: input.warningThresholds ?? [0.75, 0.9],
      calendarId: input.calendarId ?? ALWAYS_OPEN,
    });
    // Stored as parsed, with the defaults filled in (offsets, clocks, thresholds).
    return { policy, escalations: parseEscalationPlan(input.escalations ?? []) };
  }

  return {
    /** Business calendars by name, a page at a time. */
    async listCalendars(actor: Actor, q: PageRequest) {
      if (!can(actor, 'tickets:read')) throw forbidden();
      const page = keyset(q, { column: slaCalendars.name, id: slaCalendars.id, value: 'string', of: (c: typeof slaCalendars.$inferSelect) => c.name });
      const rows = await inOrg(deps.db, actor.orgId, (tx) =>
        tx.select().from(slaCalendars).where(and(eq(slaCalendars.orgId, actor.orgId), page.after)).orderBy(...page.orderBy).limit(page.limit),
      );
      return mapPage(page.page(rows), calendarView);
    },

    async saveCalendar(actor: Actor, id: string | null, input: Partial<CalendarInput>) {
      need(actor);
      try {
        return await commit(actor.orgId, async (tx) => {
          await checkTeam(tx, actor.orgId, input.teamId);
          if (id === null) {
            const def = checkCalendar(input as CalendarInput);
            const [row] = await tx
              .insert(slaCalendars)
              .values({ orgId: actor.orgId, name: input.name!, timeZone: def.timeZone, weekly: def.weeklyHours, holidays: def.holidays ?? [], teamId: input.teamId ?? null })
              .returning();
            await recordAudit(tx, auditContextOf(actor), { action: 'sla_calendar.create', entityType: 'sla_calendar', entityId: row!.id, after: calendarView(row!) });
            return calendarView(row!);
          }
          const [before] = await tx.select().from(slaCalendars).where(and(eq(slaCalendars.orgId, actor.orgId), eq(slaCalendars.id, id))).for('update');
          if (!before) throw notFound('Calendar');
          const def = checkCalendar({
            timeZone: input.timeZone ?? before.timeZone,
            weeklyHours: input.weeklyHours ?? before.weekly,
            holidays: input.holidays ?? (before.holidays as Holiday[]),
          });
          const [row] = await tx
            .update(slaCalendars)
            .set({
              ...(input.name !== undefined ? { name: input.name } : {}),
              ...(input.teamId !== undefined ? { teamId: input.teamId } : {}),
              timeZone: def.timeZone,
              weekly: def.weeklyHours,
              holidays: def.holidays ?? [],
            })
            .where(eq(slaCalendars.id, id))
            .returning();
          await recordAudit(tx, auditContextOf(actor), { action: 'sla_calendar.update', entityType: 'sla_calendar', entityId: id, before: calendarView(before), after: calendarView(row!) });
          const recalculated = await changed(tx, actor, 'calendar', { calendarId: id });
          return { ...calendarView(row!), recalculated };
        });
      } catch (err) {
        if (pgCode(err) === '23505') throw conflict('calendar_exists', `A calendar named "${input.name}" already exists.`);
        throw err;
      }
    },

    /** Adds the holidays of an .ics file (the dates in [from, to]) to a calendar, replacing those dates. */
    async importHolidays(actor: Actor, id: string, input: { ics: string; from: string; to: string; replace?: boolean | undefined }) {
      need(actor);
      return commit(actor.orgId, async (tx) => {
        const [cal] = await tx.select().from(slaCalendars).where(and(eq(slaCalendars.orgId, actor.orgId), eq(slaCalendars.id, id))).for('update');
        if (!cal) throw notFound('Calendar');
        const imported = importHolidaysFromIcs(input.ics, { from: input.from, to: input.to, timeZone: cal.timeZone });
        const kept = input.replace ? [] : (cal.holidays as Holiday[]).filter((h) => !imported.some((i) => i.date === h.date));
        const holidays = [...kept, ...imported].sort((a, b) => a.date.localeCompare(b.date));
        parseCalendar({ timeZone: cal.timeZone, weeklyHours: cal.weekly, holidays });
        const [row] = await tx.update(slaCalendars).set({ holidays }).where(eq(slaCalendars.id, id)).returning();
        await recordAudit(tx, auditContextOf(actor), {
          action: 'sla_calendar.import_holidays',
          entityType: 'sla_calendar',
          entityId: id,
          before: { holidays: cal.holidays },
          after: { holidays },
        });
        const recalculated = await changed(tx, actor, 'calendar', { calendarId: id });
        return { ...calendarView(row!), imported: imported.length, recalculated };
      });
    },

    async deleteCalendar(actor: Actor, id: string) {
      need(actor);
      try {
        await commit(actor.orgId, async (tx) => {
          const [row] = await tx.delete(slaCalendars).where(and(eq(slaCalendars.orgId, actor.orgId), eq(slaCalendars.id, id))).returning();
          if (!row) throw notFound('Calendar');
          await recordAudit(tx, auditContextOf(actor), { action: 'sla_calendar.delete', entityType: 'sla_calendar', entityId: id, before: calendarView(row) });
        });
      } catch (err) {
        if (pgCode(err) === '23503') throw conflict('calendar_in_use', 'A policy still uses this calendar; point it at another calendar first.');
        throw err;
      }
    },

    /** SLA policies in evaluation order (position, then id: creation order), a page at a time. */
    async listPolicies(actor: Actor, q: PageRequest) {
      if (!can(actor, 'tickets:read')) throw forbidden();
      const page = keyset(q, { column: slaPolicies.position, id: slaPolicies.id, value: 'number', of: (p: typeof slaPolicies.$inferSelect) => p.position });
      const rows = await inOrg(deps.db, actor.orgId, (tx) =>
        tx.select().from(slaPolicies).where(and(eq(slaPolicies.orgId, actor.orgId), page.after)).orderBy(...page.orderBy).limit(page.limit),
      );
      return mapPage(page.page(rows), policyView);
    },

    async savePolicy(actor: Actor, id: string | null, patch: Partial<PolicyInput>) {
      need(actor);
      return commit(actor.orgId, async (tx) => {
        const [before] = id ? await tx.select().from(slaPolicies).where(and(eq(slaPolicies.orgId, actor.orgId), eq(slaPolicies.id, id))).for('update') : [];
        if (id && !before) throw notFound('SLA policy');
        const input: PolicyInput = {
          name: patch.name ?? before!.name,
          position: patch.position ?? before?.position,
          isDefault: patch.isDefault ?? before?.isDefault ?? false,
          conditions: patch.conditions ?? before?.conditions ?? {},
          targets: patch.targets ?? before!.targets,
          warningThresholds: patch.warningThresholds ?? before?.warnings ?? [0.75, 0.9],
          escalations: patch.escalations ?? before?.escalations ?? [],
          calendarId: patch.calendarId !== undefined ? patch.calendarId : (before?.calendarId ?? null),
        };
        const parsed = await checkPolicy(tx, actor.orgId, input);
        if (input.isDefault) {
          // One default per org: the new default takes over.
          await tx.update(slaPolicies).set({ isDefault: false }).where(and(eq(slaPolicies.orgId, actor.orgId), id ? ne(slaPolicies.id, id) : sql`true`));
        }
        const values = {
          name: input.name,
          isDefault: input.isDefault ?? false,
          conditions: parsed.policy.conditions,
          targets: parsed.policy.targets,
          warnings: parsed.policy.warningThresholds,
          escalations: parsed.escalations,
          calendarId: input.calendarId ?? null,
        };
        let row: typeof slaPolicies.$inferSelect;
        if (id) {
          [row] = (await tx.update(slaPolicies).set({ ...values, ...(input.position !== undefined ? { position: input.position } : {}) }).where(eq(slaPolicies.id, id)).returning()) as [typeof row];
        } else {
          const [{ max } = { max: -1 }] = await tx.select({ max: sql<number>`coalesce(max(${slaPolicies.position}), -1)::int` }).from(slaPolicies).where(eq(slaPolicies.orgId, actor.orgId));
          [row] = (await tx.insert(slaPolicies).values({ ...values, orgId: actor.orgId, position: input.position ?? max + 1 }).returning()) as [typeof row];
        }
        await recordAudit(tx, auditContextOf(actor), {
          action: id ? 'sla_policy.update' : 'sla_policy.create',
          entityType: 'sla_policy',
          entityId: row.id,
          before: before ? policyView(before) : null,
          after: policyView(row),
        });
        const recalculated = await changed(tx, actor, 'policy', { policyId: row.id });
        return { ...policyView(row), recalculated };
      });
    },

    /** Sets the evaluation order: the ids, first match first. */
    async orderPolicies(actor: Actor, ids: string[]) {
      need(actor);
      return commit(actor.orgId, async (tx) => {
        const all = await tx.select({ id: slaPolicies.id }).from(slaPolicies).where(eq(slaPolicies.orgId, actor.orgId));
        const known = new Set(all.map((p) => p.id));
        const unknown = ids.filter((i) => !known.has(i));
        if (unknown.length || new Set(ids).size !== ids.length || ids.length !== known.size) {
          throw badRequest('invalid_order', 'Give every policy of the organization exactly once.', { errors: [{ path: 'ids', message: unknown.length ? `Unknown: ${unknown.join(', ')}` : 'Each policy once' }] });
        }
        for (const [i, pid] of ids.entries()) await tx.update(slaPolicies).set({ position: i }).where(eq(slaPolicies.id, pid));
        await recordAudit(tx, auditContextOf(actor), { action: 'sla_policy.order', entityType: 'sla_policy', entityId: null, after: { order: ids } });
        await changed(tx, actor, 'policy_order', {});
        return (await tx.select().from(slaPolicies).where(eq(slaPolicies.orgId, actor.orgId)).orderBy(asc(slaPolicies.position), asc(slaPolicies.id))).map(policyView);
      });
    },

    async deletePolicy(actor: Actor, id: string) {
      need(actor);
      await commit(actor.orgId, async (tx) => {
        const [row] = await tx.delete(slaPolicies).where(and(eq(slaPolicies.orgId, actor.orgId), eq(slaPolicies.id, id))).returning();
        if (!row) throw notFound('SLA policy');
        await recordAudit(tx, auditContextOf(actor), { action: 'sla_policy.delete', entityType: 'sla_policy', entityId: id, before: policyView(row) });
        await changed(tx, actor, 'policy', { policyId: id });
      });
    },

    /** GET /api/tickets/:id/sla: the computation explained. */
    async explain(actor: Actor, ticketId: string) {
      return inOrg(deps.db, actor.orgId, async (tx) => {
        const t = await ticketsSvc.visible(tx, actor, ticketId);
        return { ticketId, sla: await sla.explain(tx, t) };
      });
    },
  };
}

export type SlaAdminService = ReturnType<typeof createSlaAdminService>;
