import { and, eq, inArray } from 'drizzle-orm';
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { can } from '../../../platform/access/ability.ts';
import type { Actor } from '../../../platform/access/actor.ts';
import { recordAudit } from '../../../platform/audit/audit.ts';
import type { Executor, Tx } from '../../../platform/db/client.ts';
import { inOrg } from '../../../platform/db/scope.ts';
import { unchanged } from '../../../platform/db/tracking.ts';
import { publishEvents } from '../../../platform/events/outbox.ts';
import { AppError, badRequest, conflict, forbidden, notFound } from '../../../platform/errors/app-error.ts';
import type { Page } from '../../../platform/db/pagination.ts';
import { enqueueNotification } from '../../../platform/notify/notify.ts';
import type { RequestMeta } from '../../../platform/access/actor.ts';
import { autoAssign, teamMemberIds } from './assignment.ts';
import { checkCustomFields } from '../admin/custom-fields.ts';
import { linkToken, requesterLink, ticketMessageId } from '../portal/links.ts';
import { sdTeams, ticketReplies, tickets, type Channel, type TicketPriority, type TicketStatus } from '../servicedesk.schema.ts';
import {
  auditableTicket,
  auditOf,
  claimFiles,
  inUseCase,
  customFieldsSchemaOf,
  ticketEvents,
  type Author,
  type ServicedeskDeps,
} from '../servicedesk.context.ts';
import {
  addTimeline,
  findTicket,
  listTickets,
  nextTicketNumber,
  reachCondition,
  ticketInReach,
  ticketReachOf,
  toTicketView,
  type TicketFilters,
  type TicketReach,
  type TicketRow,
  type TicketView,
} from './tickets.repository.ts';
import { allowedMoves, canMove } from './tickets.transitions.ts';
import type { SlaService } from '../sla/sla.service.ts';

/**
 * Who the ticket is for: a person of the org (`userId`: the name and address come from their
 * account), or a contact by name with an email address or a mobile number.
 */
export interface RequesterInput {
  userId?: string | undefined;
  name?: string | undefined;
  email?: string | null | undefined;
  mobile?: string | null | undefined;
}

export interface TicketInput {
  subject: string;
  description?: string | undefined;
  requester: RequesterInput;
  priority?: TicketPriority | undefined;
  category?: string | null | undefined;
  tags?: string[] | undefined;
  teamId?: string | null | undefined;
  assigneeId?: string | null | undefined;
  channel?: Channel | undefined;
  customFields?: Record<string, unknown> | undefined;
  attachmentIds?: string[] | undefined;
}

export interface TicketPatch {
  subject?: string | undefined;
  description?: string | undefined;
  status?: TicketStatus | undefined;
  priority?: TicketPriority | undefined;
  category?: string | null | undefined;
  tags?: string[] | undefined;
  addTags?: string[] | undefined;
  removeTags?: string[] | undefined;
  teamId?: string | null | undefined;
  assigneeId?: string | null | undefined;
  customFields?: Record<string, unknown> | undefined;
}

export interface PublicTicketInput {
  org: string;
  name: string;
  email: string;
  mobile?: string | undefined;
  subject: string;
  description: string;
  category?: string | undefined;
  attachmentIds?: string[] | undefined;
  /** The honeypot: people never see this field, so anything in it comes from a bot. */
  website?: string | undefined;
}

/** E.164 from any international notation (`+44 20 7946 0958` → `+442079460958`); refuses what is not a real number. */
export function normaliseMobile(raw: string, path = 'mobile'): string {
  const fail = (why: string) => badRequest('invalid_mobile', `The mobile number ${why}.`, { errors: [{ path, message: `Mobile number ${why}` }] });
  if (!raw.trim().startsWith('+')) throw fail('must be in international format, starting with + and the country code');
  try {
    const n = parsePhoneNumberWithError(raw.trim());
    if (!n.isValid()) throw fail('is not a valid number');
    return n.format('E.164');
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw fail('is not a valid number');
  }
}

export function createTicketsService(deps: ServicedeskDeps, sla: SlaService) {
  const { db } = deps;
  const commit = inUseCase(deps);

  /** The actor's `tickets:read` reach; without the permission, 403. */
  async function readReach(tx: Executor, actor: Actor): Promise<TicketReach> {
    const r = await ticketReachOf(tx, actor, 'tickets:read');
    if (!r) throw forbidden();
    return r;
  }
  const scopeOf = async (tx: Executor, actor: Actor) => reachCondition(await readReach(tx, actor));

  /** Loads a ticket the actor can see; other orgs' ids and tickets out of reach are simply not found. */
  async function visible(tx: Executor, actor: Actor, id: string, lock = false): Promise<TicketRow> {
    const r = await readReach(tx, actor);
    if (r.scope !== 'any') {
      const [f] = await tx
        .select({ teamId: tickets.teamId, assigneeId: tickets.assigneeId, createdBy: tickets.createdBy })
        .from(tickets)
        .where(and(eq(tickets.orgId, actor.orgId), eq(tickets.id, id)));
      if (!f || !ticketInReach(r, f)) throw notFound('Ticket');
    }
    const t = await findTicket(tx, actor.orgId, id, lock);
    if (!t) throw notFound('Ticket');
    return t;
  }

  /** May the actor change this ticket? `tickets:update` with the same reach rule as reading. */
  async function checkUpdate(tx: Executor, actor: Actor, t: TicketRow) {
    const r = await ticketReachOf(tx, actor, 'tickets:update');
    if (!r) throw forbidden('You may not change tickets.');
    if (!ticketInReach(r, t)) throw forbidden('This ticket is outside your queue.');
  }

  async function checkPeople(actor: Actor, assigneeId: string | null | undefined) {
    if (!assigneeId) return;
    const found = await deps.users(actor.orgId, [assigneeId]);
    if (!found.has(assigneeId)) {
      throw badRequest('unknown_user', `No such user in this organization: ${assigneeId}.`, { errors: [{ path: 'assigneeId', message: 'Unknown user' }] });
    }
  }

  async function checkTeam(tx: Executor, orgId: string, teamId: string | null | undefined) {
    if (!teamId) return;
    const [t] = await tx.select({ id: sdTeams.id }).from(sdTeams).where(and(eq(sdTeams.orgId, orgId), eq(sdTeams.id, teamId)));
    if (!t) throw badRequest('unknown_team', `No such team: ${teamId}.`, { errors: [{ path: 'teamId', message: 'Unknown team' }] });
  }

  /** Live members of a team, asked of the identity module before the transaction opens. */
  async function liveMembers(orgId: string, teamId: string | null | undefined): Promise<Set<string>> {
    if (!teamId) return new Set();
    const ids = await inOrg(db, orgId, (tx) => teamMemberIds(tx, orgId, teamId));
    return deps.users(orgId, ids);
  }

  /**
   * The assignee for a ticket entering a team with nobody on it: the team's rule picks among its live
   * members (asked inside the caller's transaction when the caller did not ask before opening it).
   */
  async function assignOnEntry(tx: Tx, orgId: string, teamId: string, live?: Set<string>): Promise<string | null> {
    const members = live ?? (await deps.users(orgId, await teamMemberIds(tx, orgId, teamId), tx));
    return autoAssign(tx, orgId, teamId, members, new Date(deps.clock()));
  }

  async function requesterOf(actor: Actor, r: RequesterInput) {
    const mobile = r.mobile ? normaliseMobile(r.mobile, 'requester.mobile') : null;
    if (r.userId) {
      // Another org's user, a departed one, or one the actor may not read (the people read rule:
      // the ticket would show their name and address) is unknown here exactly as an id that exists nowhere.
      const person = (await deps.profiles(actor.orgId, [r.userId])).get(r.userId);
      if (!person || !deps.canReadUser(actor, { id: r.userId, department: person.department })) throw badRequest('unknown_user', `No such user in this organization: ${r.userId}.`, { errors: [{ path: 'requester.userId', message: 'Unknown user' }] });
      return { requesterName: r.name?.trim() || person.name, requesterEmail: r.email?.trim().toLowerCase() || person.email.toLowerCase(), requesterMobile: mobile, requesterUserId: r.userId };
    }
    const email = r.email?.trim().toLowerCase() || null;
    if (!r.name?.trim()) throw badRequest('requester_name', 'Name the requester, or give the id of a person of the organization (userId).', { errors: [{ path: 'requester.name', message: 'Required' }] });
    if (!email && !mobile) {
      throw badRequest('requester_contact', 'A requester needs an email address or a mobile number.', {
        errors: [{ path: 'requester.email', message: 'Email or mobile required' }],
      });
    }
    return { requesterName: r.name.trim(), requesterEmail: email, requesterMobile: mobile, requesterUserId: null };
  }

  /** The insert shared by every channel: number, row, timeline, assignment, audit, events. */
  async function insertTicket(
    tx: Tx,
    orgId: string,
    author: Author,
    values: Omit<typeof tickets.$inferInsert, 'orgId' | 'number'>,
    live?: Set<string>,
  ): Promise<TicketView> {
    if (values.customFields && Object.keys(values.customFields).length) checkCustomFields(await customFieldsSchemaOf(tx, orgId), values.customFields);
    else checkCustomFields(null, {});
    await checkTeam(tx, orgId, values.teamId);
    const number = await nextTicketNumber(tx, orgId);
    let assigneeId = values.assigneeId ?? null;
    if (!assigneeId && values.teamId) assigneeId = await assignOnEntry(tx, orgId, values.teamId, live);
    const now = new Date(deps.clock());
    const [row] = await tx
      .insert(tickets)
      .values({ ...values, orgId, number, assigneeId, status: assigneeId && values.status === 'new' ? 'open' : (values.status ?? 'new'), createdAt: now, updatedAt: now })
      .returning();
    await addTimeline(tx, orgId, row!.id, 'created', { status: row!.status, priority: row!.priority, channel: row!.channel }, row!.createdAt);
    if (assigneeId) await addTimeline(tx, orgId, row!.id, 'assigned', { assigneeId, auto: !values.assigneeId }, row!.createdAt);
    await sla.sync(tx, orgId, row!.id, undefined, now.getTime());
    const view = toTicketView((await findTicket(tx, orgId, row!.id))!);
    await recordAudit(tx, auditOf(author), { action: 'ticket.create', entityType: 'ticket', entityId: row!.id, after: auditableTicket(view) });
    await publishEvents(tx, ticketEvents(orgId, 'ticket.created', view, row!));
    return view;
  }

  /**
   * The public form's confirmation. Anyone can name any address on the form, so the mail carries
   * nothing the requester typed (subject, name, description): a fixed wording, the org's name, the
   * number and the link. What stays possible is documented in docs/servicedesk.md (Public form).
   */
  async function confirm(tx: Tx, orgId: string, orgName: string, t: TicketView, link: string) {
    if (!t.requester.email) return;
    await enqueueNotification(tx, {
      orgId,
      channel: 'email',
      to: t.requester.email,
      subject: `[#${t.number}] ${orgName}: we have received your request`,
      body:
        `Hello,\n\nWe have received your request and opened ticket #${t.number}.\n` +
        `Follow it and reply here: ${link}\n\nYou can also simply reply to this email.\n\n` +
        `If you did not contact ${orgName}, you can ignore this message.\n\n${orgName}`,
      meta: { template: 'ticket.confirmation', ticketId: t.id, messageId: ticketMessageId(t.id) },
    });
  }

  /** Applies a patch after checking it; throws before writing anything, so bulk updates can skip a ticket. */
  async function applyPatch(tx: Tx, actor: Actor, t: TicketRow, patch: TicketPatch): Promise<TicketView> {
    await checkUpdate(tx, actor, t);
    const before = toTicketView(t);
    const set: Partial<typeof tickets.$inferInsert> = {};
    const now = new Date(deps.clock());
    const timeline: [string, Record<string, unknown>][] = [];
    if (t.mergedIntoId) throw conflict('ticket_merged', `Ticket #${t.number} was merged into another ticket and cannot change.`);
    if (patch.status && patch.status !== t.status) {
      if (!canMove(t.status, patch.status)) {
        throw conflict('illegal_transition', `A ticket cannot move from ${t.status} to ${patch.status}.`, {
          from: t.status,
          to: patch.status,
          allowed: allowedMoves(t.status),
        });
      }
      set.status = patch.status;
      if (patch.status === 'resolved') set.resolvedAt = now;
      if (patch.status === 'closed') set.closedAt = now;
      if (patch.status === 'open' && t.status === 'resolved') set.resolvedAt = null;
      timeline.push(['status', { from: t.status, to: patch.status }]);
    }
    if (patch.priority && patch.priority !== t.priority) {
      set.priority = patch.priority;
      timeline.push(['priority', { from: t.priority, to: patch.priority }]);
    }
    if (patch.subject !== undefined) set.subject = patch.subject;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.category !== undefined) set.category = patch.category;
    if (patch.tags !== undefined || patch.addTags || patch.removeTags) {
      const base = new Set(patch.tags ?? t.tags);
      for (const x of patch.addTags ?? []) base.add(x);
      for (const x of patch.removeTags ?? []) base.delete(x);
      set.tags = [...base];
    }
    if (patch.teamId !== undefined && patch.teamId !== t.teamId) {
      await checkTeam(tx, actor.orgId, patch.teamId);
      set.teamId = patch.teamId;
      timeline.push(['team', { from: t.teamId, to: patch.teamId }]);
    }
    if (patch.assigneeId !== undefined && patch.assigneeId !== t.assigneeId) {
      set.assigneeId = patch.assigneeId;
      timeline.push(['assigned', { from: t.assigneeId, assigneeId: patch.assigneeId }]);
    }
    // Entering a team with nobody on the ticket (and nobody named in this change): the team's rule assigns it.
    if (set.teamId && patch.assigneeId === undefined && t.assigneeId === null) {
      const picked = await assignOnEntry(tx, actor.orgId, set.teamId);
      if (picked) {
        set.assigneeId = picked;
        timeline.push(['assigned', { from: null, assigneeId: picked, auto: true }]);
      }
    }
    if (patch.customFields !== undefined) {
      checkCustomFields(await customFieldsSchemaOf(tx, actor.orgId), patch.customFields);
      set.customFields = patch.customFields;
    }
    if (Object.keys(set).length === 0) {
      unchanged(tx, 'the patch matched the ticket as it was: nothing changed (the row was only locked)');
      return before;
    }
    await tx.update(tickets).set({ ...set, updatedAt: now }).where(eq(tickets.id, t.id));
    for (const [kind, data] of timeline) await addTimeline(tx, actor.orgId, t.id, kind, data, now);
    // The clocks at the change's own instant: a new priority or policy is in effect from there.
    await sla.sync(tx, actor.orgId, t.id, undefined, now.getTime());
    const afterRow = (await findTicket(tx, actor.orgId, t.id))!;
    const after = toTicketView(afterRow);
    await recordAudit(tx, auditOf({ kind: 'actor', actor }), {
      action: 'ticket.update',
      entityType: 'ticket',
      entityId: t.id,
      before: auditableTicket(before),
      after: auditableTicket(after),
    });
    // Who may see the event is decided by the ticket as it is after the change.
    await publishEvents(tx, ticketEvents(actor.orgId, 'ticket.updated', after, afterRow, { changes: Object.keys(set) }));
    return after;
  }

  return {
    visible,
    checkUpdate,
    scopeOf,
    /** Recomputes the SLA clocks after a change made elsewhere (replies, inbound channels). */
    touch: (tx: Tx, orgId: string, id: string) => sla.sync(tx, orgId, id, undefined, deps.clock()),
    /** Opens a ticket inside the caller's transaction (inbound channels: email, chat). */
    insertInTx: (tx: Tx, orgId: string, author: Author, values: Omit<typeof tickets.$inferInsert, 'orgId' | 'number'>) =>
      insertTicket(tx, orgId, author, values),

    async list(actor: Actor, f: TicketFilters): Promise<Page<TicketView>> {
      return inOrg(db, actor.orgId, async (tx) => listTickets(tx, actor.orgId, actor, await scopeOf(tx, actor), f, new Date(deps.clock())));
    },

    async get(actor: Actor, id: string): Promise<TicketView> {
      return inOrg(db, actor.orgId, async (tx) => toTicketView(await visible(tx, actor, id)));
    },

    async create(actor: Actor, input: TicketInput): Promise<TicketView> {
      if (!can(actor, 'tickets:create')) throw forbidden();
      if ((input.assigneeId || input.teamId) && !can(actor, 'tickets:update')) throw forbidden('Assigning a ticket needs "tickets:update".');
      const requester = await requesterOf(actor, input.requester);
      await checkPeople(actor, input.assigneeId);
      const live = await liveMembers(actor.orgId, input.teamId);
      return commit(actor.orgId, async (tx) => {
        const attachmentIds = await claimFiles(tx, actor.orgId, input.attachmentIds ?? [], actor);
        return insertTicket(
          tx,
          actor.orgId,
          { kind: 'actor', actor },
          {
            subject: input.subject,
            description: input.description ?? '',
            ...requester,
            priority: input.priority ?? 'medium',
            category: input.category ?? null,
            tags: [...new Set(input.tags ?? [])],
            teamId: input.teamId ?? null,
            assigneeId: input.assigneeId ?? null,
            channel: input.channel ?? 'api',
            customFields: input.customFields ?? {},
            attachmentIds,
            createdBy: actor.userId,
            status: 'new',
          },
          live,
        );
      });
    },

    /** The public form: no account; answers with the number and the requester's signed link. */
    async createPublic(input: PublicTicketInput, meta: RequestMeta) {
      if (input.website) {
        throw badRequest('rejected', 'The submission was rejected.', { errors: [{ path: 'website', message: 'Leave this field empty' }] });
      }
      const org = await deps.orgBySlug(input.org);
      if (!org) throw notFound('Organization');
      const mobile = input.mobile ? normaliseMobile(input.mobile) : null;
      const author: Author = { kind: 'requester', orgId: org.id, meta };
      const out = await commit(org.id, async (tx) => {
        const attachmentIds = await claimFiles(tx, org.id, input.attachmentIds ?? [], 'requester');
        const view = await insertTicket(
          tx,
          org.id,
          author,
          {
            subject: input.subject,
            description: input.description,
            requesterName: input.name.trim(),
            requesterEmail: input.email.trim().toLowerCase(),
            requesterMobile: mobile,
            category: input.category ?? null,
            channel: 'web',
            attachmentIds,
            emailMessageId: null,
            status: 'new',
          },
        );
        const token = linkToken(deps.linkKey, view.id, 1);
        const link = requesterLink(deps.publicUrl, view.id, token);
        await confirm(tx, org.id, org.name, view, link);
        await tx.update(tickets).set({ emailMessageId: ticketMessageId(view.id) }).where(eq(tickets.id, view.id));
        return { id: view.id, number: view.number, status: view.status, token, link };
      });
      return out;
    },

    async update(actor: Actor, id: string, patch: TicketPatch): Promise<TicketView> {
      await checkPeople(actor, patch.assigneeId);
      return commit(actor.orgId, async (tx) => applyPatch(tx, actor, await visible(tx, actor, id, true), patch));
    },

    /** One patch for many tickets: each is checked on its own; the ones that pass change together. */
    async bulkUpdate(actor: Actor, ids: string[], patch: TicketPatch) {
      if (!can(actor, 'tickets:update')) throw forbidden();
      await checkPeople(actor, patch.assigneeId);
      return commit(actor.orgId, async (tx) => {
        const updated: TicketView[] = [];
        const failed: { id: string; code: string; detail: string }[] = [];
        const statuses = new Set<number>();
        for (const id of [...new Set(ids)]) {
          try {
            updated.push(await applyPatch(tx, actor, await visible(tx, actor, id, true), patch));
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500) throw err;
            failed.push({ id, code: err.code, detail: err.message });
            statuses.add(err.status);
          }
        }
        // Nothing changed: the request as a whole failed, with the reason of each ticket.
        if (updated.length === 0) {
          const status = statuses.size === 1 ? [...statuses][0]! : 422;
          throw new AppError(status, 'bulk_update_failed', `None of the ${failed.length} ticket(s) could be updated.`, { failed });
        }
        return { updated, failed };
      });
    },

    async remove(actor: Actor, id: string): Promise<void> {
      if (!can(actor, 'tickets:delete')) throw forbidden();
      await commit(actor.orgId, async (tx) => {
        const t = await visible(tx, actor, id, true);
        await tx.delete(tickets).where(eq(tickets.id, id));
        const view = toTicketView(t);
        await recordAudit(tx, auditOf({ kind: 'actor', actor }), { action: 'ticket.delete', entityType: 'ticket', entityId: id, before: auditableTicket(view) });
        await publishEvents(tx, ticketEvents(actor.orgId, 'ticket.deleted', view, t));
      });
    },

    /**
     * Merges `id` into `intoId`: the source closes, pointing at the target; the target gets an
     * internal note with the source's description and its attachments; both requesters' threads
     * now lead to the target.
     */
    async merge(actor: Actor, id: string, intoId: string) {
      if (!can(actor, 'tickets:merge')) throw forbidden();
      if (id === intoId) throw badRequest('merge_into_self', 'A ticket cannot be merged into itself.', { errors: [{ path: 'intoId', message: 'Same ticket' }] });
      return commit(actor.orgId, async (tx) => {
        // Lock both in id order so two opposite merges cannot deadlock.
        const [first, second] = [id, intoId].sort();
        const a = await visible(tx, actor, first!, true);
        const b = await visible(tx, actor, second!, true);
        const source = a.id === id ? a : b;
        const target = a.id === id ? b : a;
        await checkUpdate(tx, actor, source);
        await checkUpdate(tx, actor, target);
        if (source.mergedIntoId) throw conflict('ticket_merged', `Ticket #${source.number} is already merged.`);
        if (target.mergedIntoId || target.status === 'closed') {
          throw conflict('merge_target_closed', `Ticket #${target.number} is closed or merged; merge into an open ticket.`);
        }
        if (source.status === 'closed') throw conflict('ticket_closed', `Ticket #${source.number} is closed.`);
        const now = new Date(deps.clock());
        const [src] = await tx
          .update(tickets)
          .set({ status: 'closed', closedAt: now, mergedIntoId: target.id, updatedAt: now })
          .where(eq(tickets.id, source.id))
          .returning();
        const [dst] = await tx
          .update(tickets)
          .set({ attachmentIds: [...new Set([...target.attachmentIds, ...source.attachmentIds])], updatedAt: now })
          .where(eq(tickets.id, target.id))
          .returning();
        await tx.insert(ticketReplies).values([
          {
            orgId: actor.orgId,
            ticketId: target.id,
            authorType: 'system',
            authorUserId: actor.userId,
            body: `Merged ticket #${source.number} (${source.subject}) from ${source.requesterName}:\n\n${source.description}`,
            isInternal: true,
            attachmentIds: source.attachmentIds,
            createdAt: now,
          },
          {
            orgId: actor.orgId,
            ticketId: source.id,
            authorType: 'system',
            authorUserId: actor.userId,
            body: `This request was merged into ticket #${target.number}.`,
            isInternal: false,
            createdAt: now,
          },
        ]);
        await addTimeline(tx, actor.orgId, source.id, 'status', { from: source.status, to: 'closed', mergedInto: target.id }, now);
        await addTimeline(tx, actor.orgId, target.id, 'merged', { from: source.id, number: source.number }, now);
        await sla.sync(tx, actor.orgId, source.id, undefined, now.getTime());
        const sv = toTicketView((await findTicket(tx, actor.orgId, src!.id))!);
        const tv = toTicketView(dst!);
        await recordAudit(tx, auditOf({ kind: 'actor', actor }), {
          action: 'ticket.merge',
          entityType: 'ticket',
          entityId: source.id,
          before: auditableTicket(toTicketView(source)),
          after: auditableTicket(sv),
          details: { into: target.id },
        });
        await publishEvents(tx, [...ticketEvents(actor.orgId, 'ticket.merged', sv, src!, { into: target.id }), ...ticketEvents(actor.orgId, 'ticket.updated', tv, dst!)]);
        return { source: sv, target: tv };
      });
    },

    /** Which of these ids the actor can see (used by attachment downloads). */
    async anyVisible(tx: Executor, actor: Actor, ids: string[]) {
      if (ids.length === 0) return false;
      const cond = await scopeOf(tx, actor);
      const rows = await tx.select({ id: tickets.id }).from(tickets).where(and(eq(tickets.orgId, actor.orgId), inArray(tickets.id, ids), cond));
      return rows.length > 0;
    },
  };
}

export type TicketsService = ReturnType<typeof createTicketsService>;
