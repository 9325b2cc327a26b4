import { and, eq, inArray, sql } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { can } from '../../../platform/access/ability.ts';
import type { Actor } from '../../../platform/access/actor.ts';
import type { Tx } from '../../../platform/db/client.ts';
import { AppError, badRequest, forbidden } from '../../../platform/errors/app-error.ts';
import { fromParsed, ourIds, ticketNumberInSubject, type InboundEmail } from './email-inbound.ts';
import type { FilesService } from '../tickets/files.service.ts';
import type { RepliesService } from '../tickets/replies.service.ts';
import { ticketReplies, tickets } from '../servicedesk.schema.ts';
import { inUseCase, type Author, type ServicedeskDeps } from '../servicedesk.context.ts';
import type { TicketRow } from '../tickets/tickets.repository.ts';
import type { TicketsService } from '../tickets/tickets.service.ts';

export interface InboundResult {
  ticketId: string;
  number: number;
  created: boolean;
  duplicate: boolean;
  replyId: string | null;
  rejectedAttachments: { filename: string; reason: string }[];
}

/**
 * Inbound email (raw MIME from the mail relay): a reply threads onto its ticket by Message-ID,
 * In-Reply-To and References (then by "[#number]" in the subject from the requester's own
 * address); anything else opens a ticket. A redelivered message is recognised by its Message-ID.
 */
export function createInboundService(deps: ServicedeskDeps, ticketsSvc: TicketsService, replies: RepliesService, files: FilesService) {
  const commit = inUseCase(deps);

  async function findThread(tx: Tx, orgId: string, mail: InboundEmail): Promise<TicketRow | null> {
    const ids = mail.threadIds;
    if (ids.length) {
      const ours = ourIds(ids);
      const viaReply = await tx
        .select({ ticketId: ticketReplies.ticketId })
        .from(ticketReplies)
        .where(and(eq(ticketReplies.orgId, orgId), inArray(ticketReplies.messageId, ids)))
        .limit(1);
      const candidates = [...viaReply.map((r) => r.ticketId), ...ours.tickets];
      if (ours.replies.length) {
        const r = await tx.select({ ticketId: ticketReplies.ticketId }).from(ticketReplies).where(and(eq(ticketReplies.orgId, orgId), inArray(ticketReplies.id, ours.replies)));
        candidates.push(...r.map((x) => x.ticketId));
      }
      const byRoot = await tx
        .select()
        .from(tickets)
        .where(and(eq(tickets.orgId, orgId), sql`(${tickets.emailMessageId} in (${sql.join(ids.map((i) => sql`${i}`), sql`, `)})${candidates.length ? sql` or ${tickets.id} in (${sql.join(candidates.map((c) => sql`${c}::uuid`), sql`, `)})` : sql``})`))
        .limit(1)
        .for('update');
      if (byRoot[0]) return byRoot[0];
    }
    const n = ticketNumberInSubject(mail.subject);
    if (n !== null && mail.from) {
      const [t] = await tx
        .select()
        .from(tickets)
        .where(and(eq(tickets.orgId, orgId), eq(tickets.number, n), eq(tickets.requesterEmail, mail.from.email)))
        .for('update');
      if (t) return t;
    }
    return null;
  }

  async function alreadySeen(tx: Tx, orgId: string, messageId: string | null): Promise<TicketRow | null> {
    if (!messageId) return null;
    const [r] = await tx.select({ ticketId: ticketReplies.ticketId }).from(ticketReplies).where(and(eq(ticketReplies.orgId, orgId), eq(ticketReplies.messageId, messageId)));
    const [t] = await tx
      .select()
      .from(tickets)
      .where(and(eq(tickets.orgId, orgId), r ? eq(tickets.id, r.ticketId) : eq(tickets.emailMessageId, messageId)))
      .limit(1);
    return t ?? null;
  }

  return {
    async receiveEmail(actor: Actor, raw: Buffer): Promise<InboundResult> {
      if (!can(actor, 'tickets:create')) throw forbidden();
      let mail: InboundEmail;
      try {
        mail = fromParsed(await simpleParser(raw, { skipHtmlToText: false, maxHtmlLengthToParse: 2_000_000 }));
      } catch (err) {
        throw badRequest('invalid_email', `The message could not be parsed as MIME: ${(err as Error).message}`);
      }
      if (!mail.from) throw badRequest('no_sender', 'The message has no From address.', { errors: [{ path: 'from', message: 'Required' }] });
      const from = mail.from;

      // Attachments are stored first (each sniffed and scanned); a refused one is reported, never fatal.
      const stored: string[] = [];
      const rejectedAttachments: InboundResult['rejectedAttachments'] = [];
      for (const a of mail.attachments.slice(0, 20)) {
        try {
          stored.push((await files.upload(actor.orgId, null, { name: a.filename, bytes: a.content }, actor.meta)).id);
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          rejectedAttachments.push({ filename: a.filename ?? 'file', reason: err.message });
        }
      }
      const author: Author = { kind: 'requester', orgId: actor.orgId, meta: actor.meta };
      const note = rejectedAttachments.length ? `\n\n[Attachments not accepted: ${rejectedAttachments.map((r) => `${r.filename} (${r.reason})`).join('; ')}]` : '';

      return commit(actor.orgId, async (tx) => {
        const seen = await alreadySeen(tx, actor.orgId, mail.messageId);
        if (seen) return { ticketId: seen.id, number: seen.number, created: false, duplicate: true, replyId: null, rejectedAttachments };
        const thread = await findThread(tx, actor.orgId, mail);
        const live = thread ? await replies.resolveMerged(tx, actor.orgId, thread) : null;
        if (live && live.status !== 'closed') {
          const reply = await replies.addCustomerReply(tx, live, author, {
            body: (mail.text || '(no text)') + note,
            channel: 'email',
            attachmentIds: stored,
            messageId: mail.messageId,
          });
          return { ticketId: live.id, number: live.number, created: false, duplicate: false, replyId: reply.id, rejectedAttachments };
        }
        // New request, or a follow-up to a closed ticket.
        const view = await ticketsSvc.insertInTx(tx, actor.orgId, author, {
          subject: (mail.subject || '(no subject)').slice(0, 300),
          description: (live ? `Follow-up to ticket #${live.number}.\n\n` : '') + (mail.text || '') + note,
          requesterName: from.name.slice(0, 200),
          requesterEmail: from.email,
          channel: 'email',
          attachmentIds: stored,
          emailMessageId: mail.messageId,
          tags: live ? ['follow-up'] : [],
          status: 'new',
        });
        return { ticketId: view.id, number: view.number, created: true, duplicate: false, replyId: null, rejectedAttachments };
      });
    },
  };
}

export type InboundService = ReturnType<typeof createInboundService>;
