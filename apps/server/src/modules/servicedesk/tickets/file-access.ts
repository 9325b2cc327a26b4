import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Actor } from '../../../platform/access/actor.ts';
import type { Executor } from '../../../platform/db/client.ts';
import { files } from '../../../platform/files/files.schema.ts';
import { ticketReplies, tickets } from '../servicedesk.schema.ts';
import { reachCondition, ticketReachOf } from './tickets.repository.ts';

/** Who an upload belongs to: the signed-in user, or the API key that sent it. */
export const uploaderOf = (actor: Actor) => actor.userId ?? actor.id;

/** Whether a file hangs off a ticket (its own attachments or any reply's), optionally only public replies. */
export const attachedTo = (fileId: string, publicOnly: boolean) =>
  sql`(${fileId}::uuid = any(${tickets.attachmentIds}) or exists (select 1 from ${ticketReplies} r where r.ticket_id = ${tickets.id} and ${fileId}::uuid = any(r.attachment_ids)${publicOnly ? sql` and not r.is_internal` : sql``}))`;

/**
 * The file rule: an actor reads a file they uploaded, or one attached to a ticket (or to a reply
 * on it) they can read under the ticket rule. Downloads and attaching both ask this, so knowing a
 * file's id grants nothing. Answers which of `ids` (of the actor's org) the actor may read.
 */
export async function readableFiles(tx: Executor, actor: Actor, ids: string[]): Promise<Set<string>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Set();
  const rows = await tx.select({ id: files.id, uploadedBy: files.uploadedBy }).from(files).where(and(eq(files.orgId, actor.orgId), inArray(files.id, wanted)));
  const out = new Set(rows.filter((f) => f.uploadedBy !== null && f.uploadedBy === uploaderOf(actor)).map((f) => f.id));
  const rest = rows.filter((f) => !out.has(f.id));
  const reach = rest.length ? await ticketReachOf(tx, actor, 'tickets:read') : null;
  if (!reach) return out;
  for (const f of rest) {
    const [t] = await tx
      .select({ id: tickets.id })
      .from(tickets)
      .where(and(eq(tickets.orgId, actor.orgId), attachedTo(f.id, false), reachCondition(reach)))
      .limit(1);
    if (t) out.add(f.id);
  }
  return out;
}
