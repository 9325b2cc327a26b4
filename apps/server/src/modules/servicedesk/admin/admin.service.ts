import { and, asc, eq, inArray } from 'drizzle-orm';
import { can } from '../../../platform/access/ability.ts';
import { auditContextOf, type Actor } from '../../../platform/access/actor.ts';
import { recordAudit } from '../../../platform/audit/audit.ts';
import { keyset, mapPage, type PageRequest } from '../../../platform/db/pagination.ts';
import { inOrg } from '../../../platform/db/scope.ts';
import { badRequest, conflict, forbidden, notFound } from '../../../platform/errors/app-error.ts';
import { renderTemplate, unknownPlaceholders } from './canned.ts';
import { compileCustomFieldsSchema } from './custom-fields.ts';
import { cannedResponses, sdTeamMembers, sdTeams, servicedeskSettings } from '../servicedesk.schema.ts';
import type { TicketRow } from '../tickets/tickets.repository.ts';
import { inUseCase, type ServicedeskDeps } from '../servicedesk.context.ts';
import { linkToken, requesterLink } from '../portal/links.ts';
import type { TicketsService } from '../tickets/tickets.service.ts';

type Mode = (typeof sdTeams.$inferSelect)['assignment'];
export interface TeamInput {
  name: string;
  assignment?: Mode | undefined;
  managerId?: string | null | undefined;
}

const isUnique = (err: unknown) => (err as { code?: string; cause?: { code?: string } }).code === '23505' || (err as { cause?: { code?: string } }).cause?.code === '23505';

/** Teams and their members, canned responses and custom-field settings (servicedesk:manage). */
export function createAdminService(deps: ServicedeskDeps, ticketsSvc: TicketsService) {
  const { db } = deps;
  const commit = inUseCase(deps);
  const need = (actor: Actor) => {
    if (!can(actor, 'servicedesk:manage')) throw forbidden();
  };
  const audit = (actor: Actor) => auditContextOf(actor);

  async function teamView(orgId: string, teamId: string) {
    return inOrg(db, orgId, async (tx) => {
      const [t] = await tx.select().from(sdTeams).where(and(eq(sdTeams.orgId, orgId), eq(sdTeams.id, teamId)));
      if (!t) throw notFound('Team');
      const members = await tx.select().from(sdTeamMembers).where(eq(sdTeamMembers.teamId, teamId)).orderBy(asc(sdTeamMembers.createdAt));
      return toTeam(t, members);
    });
  }
  const toTeam = (t: typeof sdTeams.$inferSelect, members: (typeof sdTeamMembers.$inferSelect)[]) => ({
    id: t.id,
    name: t.name,
    assignment: t.assignment,
    managerId: t.managerId,
    members: members.map((m) => ({ userId: m.userId, away: m.away, lastAssignedAt: m.lastAssignedAt?.toISOString() ?? null })),
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  });

  async function checkUsers(actor: Actor, ids: (string | null | undefined)[], path: string) {
    const wanted = [...new Set(ids.filter((x): x is string => !!x))];
    if (!wanted.length) return;
    const found = await deps.users(actor.orgId, wanted);
    const missing = wanted.filter((x) => !found.has(x));
    if (missing.length) {
      throw badRequest('unknown_user', `No such user in this organization: ${missing.join(', ')}.`, {
        errors: missing.map(() => ({ path, message: 'Unknown user' })),
      });
    }
  }

  return {
    /** Teams by name with their members, a page at a time. */
    async listTeams(actor: Actor, q: PageRequest) {
      if (!can(actor, 'tickets:read')) throw forbidden();
      const page = keyset(q, { column: sdTeams.name, id: sdTeams.id, value: 'string', of: (t: typeof sdTeams.$inferSelect) => t.name });
      return inOrg(db, actor.orgId, async (tx) => {
        const teams = page.page(await tx.select().from(sdTeams).where(and(eq(sdTeams.orgId, actor.orgId), page.after)).orderBy(...page.orderBy).limit(page.limit));
        const ids = teams.data.map((t) => t.id);
        const members = ids.length ? await tx.select().from(sdTeamMembers).where(inArray(sdTeamMembers.teamId, ids)).orderBy(asc(sdTeamMembers.createdAt)) : [];
        return mapPage(teams, (t) => toTeam(t, members.filter((m) => m.teamId === t.id)));
      });
    },

    async createTeam(actor: Actor, input: TeamInput) {
      need(actor);
      await checkUsers(actor, [input.managerId], 'managerId');
      try {
        const id = await commit(actor.orgId, async (tx) => {
          const [t] = await tx
            .insert(sdTeams)
            .values({ orgId: actor.orgId, name: input.name, assignment: input.assignment ?? 'manual', managerId: input.managerId ?? null })
            .returning();
          await recordAudit(tx, audit(actor), { action: 'team.create', entityType: 'team', entityId: t!.id, after: { name: t!.name, assignment: t!.assignment, managerId: t!.managerId } });
          return t!.id;
        });
        return teamView(actor.orgId, id);
      } catch (err) {
        if (isUnique(err)) throw conflict('team_exists', `A team named "${input.name}" already exists.`);
        throw err;
      }
    },

    async updateTeam(actor: Actor, id: string, patch: Partial<TeamInput>) {
      need(actor);
      await checkUsers(actor, [patch.managerId], 'managerId');
      try {
        await commit(actor.orgId, async (tx) => {
          const [before] = await tx.select().from(sdTeams).where(and(eq(sdTeams.orgId, actor.orgId), eq(sdTeams.id, id))).for('update');
          if (!before) throw notFound('Team');
          const set: Partial<typeof sdTeams.$inferInsert> = {};
          if (patch.name !== undefined) set.name = patch.name;
          if (patch.assignment !== undefined) set.assignment = patch.assignment;
          if (patch.managerId !== undefined) set.managerId = patch.managerId;
          if (!Object.keys(set).length) return;
          const [after] = await tx.update(sdTeams).set(set).where(eq(sdTeams.id, id)).returning();
          const pick = (t: typeof before) => ({ name: t.name, assignment: t.assignment, managerId: t.managerId });
          await recordAudit(tx, audit(actor), { action: 'team.update', entityType: 'team', entityId: id, before: pick(before), after: pick(after!) });
        });
      } catch (err) {
        if (isUnique(err)) throw conflict('team_exists', `A team named "${patch.name}" already exists.`);
        throw err;
      }
      return teamView(actor.orgId, id);
    },

    async deleteTeam(actor: Actor, id: string) {
      need(actor);
      await commit(actor.orgId, async (tx) => {
        const [t] = await tx.delete(sdTeams).where(and(eq(sdTeams.orgId, actor.orgId), eq(sdTeams.id, id))).returning();
        if (!t) throw notFound('Team');
        await recordAudit(tx, audit(actor), { action: 'team.delete', entityType: 'team', entityId: id, before: { name: t.name } });
      });
    },

    /** Replaces the member list (keeping each staying member's away flag and turn). */
    async setMembers(actor: Actor, id: string, userIds: string[]) {
      need(actor);
      const wanted = [...new Set(userIds)];
      await checkUsers(actor, wanted, 'userIds');
      await commit(actor.orgId, async (tx) => {
        const [t] = await tx.select().from(sdTeams).where(and(eq(sdTeams.orgId, actor.orgId), eq(sdTeams.id, id))).for('update');
        if (!t) throw notFound('Team');
        const current = await tx.select().from(sdTeamMembers).where(eq(sdTeamMembers.teamId, id));
        const have = new Set(current.map((m) => m.userId));
        for (const m of current) if (!wanted.includes(m.userId)) await tx.delete(sdTeamMembers).where(and(eq(sdTeamMembers.teamId, id), eq(sdTeamMembers.userId, m.userId)));
        const add = wanted.filter((u) => !have.has(u));
        if (add.length) await tx.insert(sdTeamMembers).values(add.map((userId) => ({ orgId: actor.orgId, teamId: id, userId })));
        await recordAudit(tx, audit(actor), {
          action: 'team.members',
          entityType: 'team',
          entityId: id,
          before: { members: [...have].sort() },
          after: { members: [...wanted].sort() },
        });
      });
      return teamView(actor.orgId, id);
    },

    /** Marks an agent away (skipped by automatic assignment) or back: themselves, or anyone with servicedesk:manage. */
    async setAway(actor: Actor, userId: string, away: boolean) {
      if (userId !== actor.userId) need(actor);
      else if (!can(actor, 'tickets:update')) throw forbidden();
      const n = await commit(actor.orgId, async (tx) => {
        const rows = await tx
          .update(sdTeamMembers)
          .set({ away })
          .where(and(eq(sdTeamMembers.orgId, actor.orgId), eq(sdTeamMembers.userId, userId)))
          .returning();
        if (rows.length) await recordAudit(tx, audit(actor), { action: 'agent.away', entityType: 'user', entityId: userId, after: { away } });
        return rows.length;
      });
      if (n === 0) throw notFound('Team member');
      return { userId, away, teams: n };
    },

    /** Canned responses by title, a page at a time. */
    async listCanned(actor: Actor, q: PageRequest) {
      if (!can(actor, 'tickets:read')) throw forbidden();
      const page = keyset(q, { column: cannedResponses.title, id: cannedResponses.id, value: 'string', of: (c: typeof cannedResponses.$inferSelect) => c.title });
      const rows = await inOrg(db, actor.orgId, (tx) =>
        tx.select().from(cannedResponses).where(and(eq(cannedResponses.orgId, actor.orgId), page.after)).orderBy(...page.orderBy).limit(page.limit),
      );
      return mapPage(page.page(rows), toCanned);
    },

    async saveCanned(actor: Actor, id: string | null, input: { title?: string | undefined; body?: string | undefined }) {
      need(actor);
      const unknown = input.body ? unknownPlaceholders(input.body) : [];
      if (unknown.length) {
        throw badRequest('unknown_placeholder', `Unknown placeholder(s): ${unknown.map((u) => `{{${u}}}`).join(', ')}.`, {
          errors: unknown.map((u) => ({ path: 'body', message: `Unknown placeholder {{${u}}}` })),
        });
      }
      try {
        return await commit(actor.orgId, async (tx) => {
          if (id === null) {
            const [row] = await tx.insert(cannedResponses).values({ orgId: actor.orgId, title: input.title!, body: input.body!, createdBy: actor.userId }).returning();
            await recordAudit(tx, audit(actor), { action: 'canned.create', entityType: 'canned_response', entityId: row!.id, after: { title: row!.title, body: row!.body } });
            return toCanned(row!);
          }
          const [before] = await tx.select().from(cannedResponses).where(and(eq(cannedResponses.orgId, actor.orgId), eq(cannedResponses.id, id))).for('update');
          if (!before) throw notFound('Canned response');
          const [row] = await tx
            .update(cannedResponses)
            .set({ ...(input.title !== undefined ? { title: input.title } : {}), ...(input.body !== undefined ? { body: input.body } : {}) })
            .where(eq(cannedResponses.id, id))
            .returning();
          await recordAudit(tx, audit(actor), {
            action: 'canned.update',
            entityType: 'canned_response',
            entityId: id,
            before: { title: before.title, body: before.body },
            after: { title: row!.title, body: row!.body },
          });
          return toCanned(row!);
        });
      } catch (err) {
        if (isUnique(err)) throw conflict('canned_exists', `A canned response titled "${input.title}" already exists.`);
        throw err;
      }
    },

    async deleteCanned(actor: Actor, id: string) {
      need(actor);
      await commit(actor.orgId, async (tx) => {
        const [row] = await tx.delete(cannedResponses).where(and(eq(cannedResponses.orgId, actor.orgId), eq(cannedResponses.id, id))).returning();
        if (!row) throw notFound('Canned response');
        await recordAudit(tx, audit(actor), { action: 'canned.delete', entityType: 'canned_response', entityId: id, before: { title: row.title } });
      });
    },

    /** Fills a canned response for one ticket: the agent reviews the text before sending it. */
    async renderCanned(actor: Actor, ticketId: string, cannedId: string) {
      return inOrg(db, actor.orgId, async (tx) => {
        const t = await ticketsSvc.visible(tx, actor, ticketId);
        const [c] = await tx.select().from(cannedResponses).where(and(eq(cannedResponses.orgId, actor.orgId), eq(cannedResponses.id, cannedId)));
        if (!c) throw notFound('Canned response');
        return { t, c };
      }).then(async ({ t, c }) => {
        const me = actor.userId ? (await deps.profiles(actor.orgId, [actor.userId])).get(actor.userId) : undefined;
        return renderTemplate(c.body, valuesFor(t, me, deps.publicUrl, deps.linkKey));
      });
    },

    async settings(actor: Actor) {
      if (!can(actor, 'tickets:read')) throw forbidden();
      return inOrg(db, actor.orgId, async (tx) => {
        const [row] = await tx.select().from(servicedeskSettings).where(eq(servicedeskSettings.orgId, actor.orgId));
        return { customFieldsSchema: row?.customFieldsSchema ?? null };
      });
    },

    async updateSettings(actor: Actor, input: { customFieldsSchema: Record<string, unknown> | null }) {
      need(actor);
      if (input.customFieldsSchema) compileCustomFieldsSchema(input.customFieldsSchema);
      return commit(actor.orgId, async (tx) => {
        const [before] = await tx.select().from(servicedeskSettings).where(eq(servicedeskSettings.orgId, actor.orgId)).for('update');
        await tx
          .insert(servicedeskSettings)
          .values({ orgId: actor.orgId, customFieldsSchema: input.customFieldsSchema })
          .onConflictDoUpdate({ target: servicedeskSettings.orgId, set: { customFieldsSchema: input.customFieldsSchema, updatedAt: new Date() } });
        await recordAudit(tx, audit(actor), {
          action: 'servicedesk.settings',
          entityType: 'servicedesk_settings',
          entityId: actor.orgId,
          before: { customFieldsSchema: before?.customFieldsSchema ?? null },
          after: { customFieldsSchema: input.customFieldsSchema },
        });
        return { customFieldsSchema: input.customFieldsSchema };
      });
    },
  };
}

const toCanned = (c: typeof cannedResponses.$inferSelect) => ({
  id: c.id,
  title: c.title,
  body: c.body,
  createdBy: c.createdBy,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

function valuesFor(t: TicketRow, me: { name: string; email: string } | undefined, publicUrl: string, key: Buffer) {
  return {
    'ticket.number': t.number,
    'ticket.subject': t.subject,
    'ticket.status': t.status,
    'ticket.priority': t.priority,
    'ticket.link': requesterLink(publicUrl, t.id, linkToken(key, t.id, t.linkVersion)),
    'requester.name': t.requesterName,
    'requester.email': t.requesterEmail,
    'agent.name': me?.name,
    'agent.email': me?.email,
  };
}
