import { and, eq } from 'drizzle-orm';
import type { RequestMeta } from '../../../platform/access/actor.ts';
import { recordAudit } from '../../../platform/audit/audit.ts';
import type { Tx } from '../../../platform/db/client.ts';
import type { ChatChannel, InboundText } from '../../../platform/messaging/provider.ts';
import { enqueueNotification } from '../../../platform/notify/notify.ts';
import { step, openedReply, type ConversationData } from './conversation.ts';
import { linkToken, requesterLink } from '../portal/links.ts';
import type { RepliesService } from '../tickets/replies.service.ts';
import { inboundMessages, whatsappConversations } from '../servicedesk.schema.ts';
import { auditOf, inUseCase, type Author, type ServicedeskDeps } from '../servicedesk.context.ts';
import { findTicket } from '../tickets/tickets.repository.ts';
import type { TicketsService } from '../tickets/tickets.service.ts';

export type ConversationRow = typeof whatsappConversations.$inferSelect;

/**
 * Applies the conversation state machine to inbound chat messages: each message is one
 * transaction holding its de-duplication mark, the conversation row, the ticket or customer reply
 * it leads to (with their audit records and events) and the answer queued on the same channel.
 */
export function createConversationsService(deps: ServicedeskDeps, tickets: TicketsService, replies: RepliesService) {
  const commit = inUseCase(deps);

  /** The conversation with this number, locked: messages from one customer are applied one at a time. */
  async function conversationOf(tx: Tx, orgId: string, channel: ChatChannel, phone: string): Promise<ConversationRow> {
    await tx.insert(whatsappConversations).values({ orgId, channel, phone }).onConflictDoNothing();
    const [row] = await tx
      .select()
      .from(whatsappConversations)
      .where(and(eq(whatsappConversations.orgId, orgId), eq(whatsappConversations.channel, channel), eq(whatsappConversations.phone, phone)))
      .for('update');
    return row!;
  }

  return {
    /**
     * One customer message. A message id already seen (the provider redelivered the webhook)
     * changes nothing and answers 'duplicate'.
     */
    async receive(orgId: string, provider: string, channel: ChatChannel, msg: InboundText, meta: RequestMeta): Promise<'processed' | 'duplicate'> {
      return commit(orgId, async (tx) => {
        const [fresh] = await tx
          .insert(inboundMessages)
          .values({ orgId, provider, messageId: msg.id })
          .onConflictDoNothing()
          .returning({ id: inboundMessages.messageId });
        if (!fresh) return 'duplicate';

        const conv = await conversationOf(tx, orgId, channel, msg.from);
        const found = conv.ticketId ? await findTicket(tx, orgId, conv.ticketId, true) : null;
        const ticket = found ? await replies.resolveMerged(tx, orgId, found) : null;
        const out = step(conv.state, conv.data as ConversationData, msg.text, ticket && { number: ticket.number, subject: ticket.subject, status: ticket.status });
        const author: Author = { kind: 'requester', orgId, meta };

        let ticketId = ticket?.id ?? null;
        let reply = out.reply;
        if (out.effect.kind === 'create_ticket') {
          const view = await tickets.insertInTx(
            tx,
            orgId,
            author,
            {
              subject: out.effect.subject,
              description: out.effect.description,
              requesterName: out.effect.name,
              requesterEmail: out.effect.email,
              requesterMobile: msg.from,
              channel,
              status: 'new',
            },
          );
          ticketId = view.id;
          reply = openedReply(view.number, requesterLink(deps.publicUrl, view.id, linkToken(deps.linkKey, view.id, 1)));
        } else if (out.effect.kind === 'add_reply') {
          await replies.addCustomerReply(tx, ticket!, author, { body: out.effect.body, channel });
        }

        const now = new Date(deps.clock());
        await tx
          .update(whatsappConversations)
          .set({ state: out.state, data: out.data as Record<string, unknown>, ticketId, lastMessageAt: now, updatedAt: now })
          .where(eq(whatsappConversations.id, conv.id));
        if (out.state !== conv.state || ticketId !== conv.ticketId) {
          await recordAudit(tx, auditOf(author), {
            action: 'conversation.update',
            entityType: 'conversation',
            entityId: conv.id,
            before: { state: conv.state, ticketId: conv.ticketId },
            after: { state: out.state, ticketId },
            details: { channel },
          });
        }
        if (reply) {
          await enqueueNotification(tx, {
            orgId,
            channel,
            to: msg.from,
            body: reply,
            meta: { template: 'conversation.reply', conversationId: conv.id, ...(ticketId ? { ticketId } : {}), inReplyTo: msg.id },
          });
        }
        return 'processed';
      }, { unaudited: 'each chat message is kept (deduplication, the dialogue’s answers); what it changes of tickets and of the conversation’s state is audited' });
    },
  };
}

export type ConversationsService = ReturnType<typeof createConversationsService>;
