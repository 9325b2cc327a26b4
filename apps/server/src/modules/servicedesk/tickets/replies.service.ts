import { and, eq } from 'drizzle-orm';
import { can } from '../../../platform/access/ability.ts';
import type { Actor, RequestMeta } from '../../../platform/access/actor.ts';
import { recordAudit } from '../../../platform/audit/audit.ts';
import type { Tx } from '../../../platform/db/client.ts';
import { keyset, mapPage, type Page, type PageRequest } from '../../../platform/db/pagination.ts';
import { inOrg, inSystem } from '../../../platform/db/scope.ts';
import { publishEvents } from '../../../platform/events/outbox.ts';
import { conflict, forbidden, notFound } from '../../../platform/errors/app-error.ts';
import { enqueueNotification } from '../../../platform/notify/notify.ts';
import { agentReplyText } from '../channels/conversation.ts';
import { linkToken, replyMessageId, requesterLink, verifyLinkToken } from '../portal/links.ts';
import { newId } from '../../../platform/db/ids.ts';
import { csatResponses, ticketReplies, tickets, ticketTimeline, type Channel, type TicketStatus } from '../servicedesk.schema.ts';
import { auditOf, claimFiles, inUseCase, ticketEvents, type Author, type ServicedeskDeps } from '../servicedesk.context.ts';
import { addTimeline, findTicket, repliesOf, toReplyView, toTicketView, type ReplyView, type TicketRow } from './tickets.repository.ts';
import type { TicketsService } from './tickets.service.ts';
import { canMove, statusAfterAgentReply, statusAfterCustomerReply } from './tickets.transitions.ts';

export interface AgentReplyInput {
  body: string;
  isInternal?: boolean | undefined;
  attachmentIds?: string[] | undefined;
  /** Set the status in the same step (e.g. reply and wait for the customer). */
  status?: TicketStatus | undefined;
}

export interface CustomerReplyInput {
  body: string;
  attachmentIds?: string[] | undefined;
  channel?: Channel | undefined;
  messageId?: string | null | undefined;
}

/** What the requester sees through their link: no internal notes, no agents' identities. */
export interface PortalTicketView {
  id: string;
  number: number;
  subject: string;
  description: string;
  status: TicketStatus;
  createdAt: string;
  attachmentIds: string[];
  replies: { id: string; from: 'you' | 'support'; body: string; attachmentIds: string[]; createdAt: string }[];
  csat: { score: number; comment: string } | null;
  canRate: boolean;
}

export function createRepliesService(deps: ServicedeskDeps, ticketsSvc: TicketsService) {
  const { db } = deps;
  const commit = inUseCase(deps);

  /**
   * An agent's public reply reaches the requester where the ticket came from: a chat ticket on its
   * own channel (WhatsApp or SMS) to the customer's phone, any other ticket by email.
   */
  async function notifyRequester(tx: Tx, t: TicketRow, replyId: string, body: string) {
    const token = linkToken(deps.linkKey, t.id, t.linkVersion);
    if ((t.channel === 'whatsapp' || t.channel === 'sms') && t.requesterMobile) {
      const link = requesterLink(deps.publicUrl, t.id, token);
      await enqueueNotification(tx, {
        orgId: t.orgId,
        channel: t.channel,
        to: t.requesterMobile,
        body: agentReplyText(t.number, body, link, deps.chat[t.channel].maxText),
        meta: { template: 'ticket.reply', ticketId: t.id, replyId },
      });
      return;
    }
    if (!t.requesterEmail) return;
    await enqueueNotification(tx, {
      orgId: t.orgId,
      channel: 'email',
      to: t.requesterEmail,
      subject: `Re: [#${t.number}] ${t.subject}`,
      body: `${body}\n\n--\nFollow ticket #${t.number}: ${requesterLink(deps.publicUrl, t.id, token)}\nReply to this email to answer.`,
      meta: {
        template: 'ticket.reply',
        ticketId: t.id,
        messageId: replyMessageId(replyId),
        ...(t.emailMessageId ? { inReplyTo: t.emailMessageId, references: [t.emailMessageId] } : {}),
      },
    });
  }

  /**
   * A customer's reply through any channel: waiting on them or resolved → open (a closed ticket
   * takes no more replies; the customer opens a new one).
   */
  async function addCustomerReply(tx: Tx, t: TicketRow, author: Author, input: CustomerReplyInput): Promise<ReplyView> {
    if (t.status === 'closed') {
      throw conflict('ticket_closed', `Ticket #${t.number} is closed; please open a new request.`);
    }
    const attachmentIds = await claimFiles(tx, t.orgId, input.attachmentIds ?? [], 'requester');
    const now = new Date(deps.clock());
    const [reply] = await tx
      .insert(ticketReplies)
      .values({
        orgId: t.orgId,
        ticketId: t.id,
        authorType: 'requester',
        body: input.body,
        channel: input.channel ?? 'web',
        attachmentIds,
        messageId: input.messageId ?? null,
        createdAt: now,
      })
      .returning();
    const status = statusAfterCustomerReply(t.status);
    const [row] = await tx
      .update(tickets)
      .set({ lastCustomerReplyAt: now, updatedAt: now, ...(status !== t.status ? { status, resolvedAt: null } : {}) })
      .where(eq(tickets.id, t.id))
      .returning();
    await addTimeline(tx, t.orgId, t.id, 'customer_reply', { replyId: reply!.id }, now);
    if (status !== t.status) await addTimeline(tx, t.orgId, t.id, 'status', { from: t.status, to: status, by: 'customer_reply' }, now);
    await ticketsSvc.touch(tx, t.orgId, t.id);
    const view = toTicketView((await findTicket(tx, t.orgId, row!.id)) ?? row!);
    await recordAudit(tx, auditOf(author), {
      action: 'ticket.reply',
      entityType: 'ticket',
      entityId: t.id,
      ...(status !== t.status ? { before: { status: t.status }, after: { status } } : {}),
      details: { replyId: reply!.id, from: 'requester', channel: reply!.channel },
    });
    const rv = toReplyView(reply!);
    await publishEvents(tx, ticketEvents(t.orgId, 'ticket.replied', view, row!, { reply: rv }));
    return rv;
  }

  /** The ticket behind a requester link; a wrong token or a merged-away ticket answers 404 (or leads on). */
  async function byLink(tx: Tx, ticketId: string, token: string): Promise<TicketRow> {
    const t = await tx.select().from(tickets).where(eq(tickets.id, ticketId)).then((r) => r[0]);
    if (!t || !verifyLinkToken(deps.linkKey, t.id, t.linkVersion, token)) throw notFound('Ticket');
    return t;
  }

  /** Portal calls run in the ticket's org scope once the link proves which ticket it is. */
  async function inTicketOrg<T>(ticketId: string, token: string, fn: (tx: Tx, t: TicketRow) => Promise<T>, write = false): Promise<T> {
    const orgId = await lookupOrg(ticketId);
    if (!orgId) throw notFound('Ticket');
    const run = write ? commit : (o: string, f: (tx: Tx) => Promise<T>) => inOrg(db, o, f);
    return run(orgId, async (tx) => fn(tx, await byLink(tx, ticketId, token)));
  }

  /** The org of a ticket id: the one read across orgs, since the link names a ticket, not an org. */
  async function lookupOrg(ticketId: string): Promise<string | null> {
    const rows = await inSystem(db, (tx) => tx.select({ orgId: tickets.orgId }).from(tickets).where(eq(tickets.id, ticketId)));
    return rows[0]?.orgId ?? null;
  }

  return {
    addCustomerReply,

    /** The org of the ticket behind a valid link (404 otherwise). */
    async verifyLink(ticketId: string, token: string): Promise<string> {
      return inTicketOrg(ticketId, token, async (_tx, t) => t.orgId);
    },

    /** A ticket's replies and internal notes, oldest first, a page at a time. */
    async list(actor: Actor, ticketId: string, q: PageRequest): Promise<Page<ReplyView>> {
      const page = keyset(q, { column: ticketReplies.createdAt, id: ticketReplies.id, value: 'timestamp', of: (r: typeof ticketReplies.$inferSelect) => r.createdAt });
      return inOrg(db, actor.orgId, async (tx) => {
        await ticketsSvc.visible(tx, actor, ticketId);
        const rows = await tx
          .select()
          .from(ticketReplies)
          .where(and(eq(ticketReplies.orgId, actor.orgId), eq(ticketReplies.ticketId, ticketId), page.after))
          .orderBy(...page.orderBy)
          .limit(page.limit);
        return mapPage(page.page(rows), toReplyView);
      });
    },

    /** What happened to a ticket, in order, a page at a time. */
    async timeline(actor: Actor, ticketId: string, q: PageRequest) {
      const page = keyset(q, { column: ticketTimeline.at, id: ticketTimeline.id, value: 'timestamp', of: (r: typeof ticketTimeline.$inferSelect) => r.at });
      return inOrg(db, actor.orgId, async (tx) => {
        await ticketsSvc.visible(tx, actor, ticketId);
        const rows = await tx
          .select()
          .from(ticketTimeline)
          .where(and(eq(ticketTimeline.orgId, actor.orgId), eq(ticketTimeline.ticketId, ticketId), page.after))
          .orderBy(...page.orderBy)
          .limit(page.limit);
        return mapPage(page.page(rows), (r) => ({ id: r.id, at: r.at.toISOString(), kind: r.kind, data: r.data }));
      });
    },

    /** An agent's public reply (counts as a response) or internal note (never leaves the team). */
    async reply(actor: Actor, ticketId: string, input: AgentReplyInput): Promise<ReplyView> {
      if (!can(actor, 'tickets:update')) throw forbidden();
      return commit(actor.orgId, async (tx) => {
        const t = await ticketsSvc.visible(tx, actor, ticketId, true);
        await ticketsSvc.checkUpdate(tx, actor, t);
        if (t.mergedIntoId) throw conflict('ticket_merged', `Ticket #${t.number} was merged; reply on the ticket it was merged into.`);
        const isInternal = input.isInternal ?? false;
        if (!isInternal && t.status === 'closed') throw conflict('ticket_closed', `Ticket #${t.number} is closed.`);
        const wanted = input.status ?? (isInternal ? t.status : statusAfterAgentReply(t.status));
        if (!canMove(t.status, wanted)) {
          throw conflict('illegal_transition', `A ticket cannot move from ${t.status} to ${wanted}.`, { from: t.status, to: wanted });
        }
        const attachmentIds = await claimFiles(tx, actor.orgId, input.attachmentIds ?? [], actor);
        const now = new Date(deps.clock());
        // A public reply carries the Message-ID its email will have, so the customer's answer threads back to it.
        const replyId = newId();
        const [reply] = await tx
          .insert(ticketReplies)
          .values({
            id: replyId,
            orgId: actor.orgId,
            ticketId,
            authorType: 'agent',
            authorUserId: actor.userId,
            body: input.body,
            isInternal,
            attachmentIds,
            messageId: isInternal ? null : replyMessageId(replyId),
            createdAt: now,
          })
          .returning();
        const set: Partial<typeof tickets.$inferInsert> = {};
        if (!isInternal) {
          set.lastAgentReplyAt = now;
          if (!t.firstRespondedAt) set.firstRespondedAt = now;
        }
        if (wanted !== t.status) {
          set.status = wanted;
          if (wanted === 'resolved') set.resolvedAt = now;
          if (wanted === 'closed') set.closedAt = now;
        }
        const [row] = Object.keys(set).length ? await tx.update(tickets).set({ ...set, updatedAt: now }).where(eq(tickets.id, ticketId)).returning() : [t];
        await addTimeline(tx, actor.orgId, ticketId, isInternal ? 'internal_note' : 'agent_reply', { replyId: reply!.id, by: actor.userId }, now);
        if (wanted !== t.status) await addTimeline(tx, actor.orgId, ticketId, 'status', { from: t.status, to: wanted }, now);
        if (!isInternal) await notifyRequester(tx, row!, reply!.id, input.body);
        await ticketsSvc.touch(tx, actor.orgId, ticketId);
        const view = toTicketView((await findTicket(tx, actor.orgId, ticketId)) ?? row!);
        await recordAudit(tx, auditOf({ kind: 'actor', actor }), {
          action: isInternal ? 'ticket.note' : 'ticket.reply',
          entityType: 'ticket',
          entityId: ticketId,
          ...(wanted !== t.status ? { before: { status: t.status }, after: { status: wanted } } : {}),
          details: { replyId: reply!.id },
        });
        const rv = toReplyView(reply!);
        await publishEvents(tx, ticketEvents(actor.orgId, 'ticket.replied', view, row!, { reply: rv }));
        return rv;
      });
    },

    /** The requester's view through their signed link. */
    async portalView(ticketId: string, token: string): Promise<PortalTicketView> {
      return inTicketOrg(ticketId, token, async (tx, t) => {
        const replies = await repliesOf(tx, t.orgId, t.id, false);
        const [csat] = await tx.select().from(csatResponses).where(eq(csatResponses.ticketId, t.id));
        return {
          id: t.id,
          number: t.number,
          subject: t.subject,
          description: t.description,
          status: t.status,
          createdAt: t.createdAt.toISOString(),
          attachmentIds: t.attachmentIds,
          replies: replies.map((r) => ({
            id: r.id,
            from: r.authorType === 'requester' ? ('you' as const) : ('support' as const),
            body: r.body,
            attachmentIds: r.attachmentIds,
            createdAt: r.createdAt,
          })),
          csat: csat ? { score: csat.score, comment: csat.comment } : null,
          canRate: !csat && (t.status === 'resolved' || t.status === 'closed') && !t.mergedIntoId,
        };
      });
    },

    async portalReply(ticketId: string, token: string, input: CustomerReplyInput, meta: RequestMeta): Promise<ReplyView> {
      return inTicketOrg(ticketId, token, (tx, t) => addCustomerReply(tx, t, { kind: 'requester', orgId: t.orgId, meta }, input), true);
    },

    /** The requester rates a resolved ticket once (CSAT 1–5). */
    async rate(ticketId: string, token: string, input: { score: number; comment?: string | undefined }, meta: RequestMeta) {
      return inTicketOrg(
        ticketId,
        token,
        async (tx, t) => {
          if (t.status !== 'resolved' && t.status !== 'closed') throw conflict('not_resolved', 'A ticket can be rated once it is resolved.');
          const [row] = await tx
            .insert(csatResponses)
            .values({ orgId: t.orgId, ticketId: t.id, agentId: t.assigneeId, score: input.score, comment: input.comment ?? '', createdAt: new Date(deps.clock()) })
            .onConflictDoNothing()
            .returning();
          if (!row) throw conflict('already_rated', 'This ticket has already been rated.');
          await recordAudit(tx, auditOf({ kind: 'requester', orgId: t.orgId, meta }), {
            action: 'ticket.csat',
            entityType: 'ticket',
            entityId: t.id,
            after: { csat: input.score },
          });
          await publishEvents(tx, ticketEvents(t.orgId, 'ticket.rated', toTicketView(t), t, { score: input.score }));
          return { score: row.score, comment: row.comment };
        },
        true,
      );
    },

    /** Finds a ticket for inbound messages, following merges to the surviving ticket. */
    async resolveMerged(tx: Tx, orgId: string, t: TicketRow): Promise<TicketRow> {
      let cur = t;
      for (let i = 0; i < 10 && cur.mergedIntoId; i++) {
        const next = await findTicket(tx, orgId, cur.mergedIntoId, true);
        if (!next) break;
        cur = next;
      }
      return cur;
    },

  };
}

export type RepliesService = ReturnType<typeof createRepliesService>;
