/**
 * Fault: kill -9 of the server during ticket updates, six writers at once on a private PostgreSQL.
 * Each round creates a ticket under an SLA policy, answers it (a public agent reply, which queues
 * the requester's email and achieves the first-response target) and updates it (pending the
 * customer, priority raised, which pauses the clocks). After the crash:
 * - no acknowledged write is lost;
 * - no use case is half-applied: every ticket, reply and update has exactly its timeline entries,
 *   audit record, outbox events, queued email and SLA clocks, and nothing describes a change that
 *   is not there;
 * - ticket numbers stay gap-free (the counter, the highest number and the count agree);
 * - `imsop audit verify` passes and the server starts again on the same database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashDuringWrites, type Api, type CrashWorkload } from './crash.ts';
import { startPostgres, type PrivatePostgres } from './services.ts';
import type { Answer } from './server.ts';

let pgServer: PrivatePostgres;
beforeAll(async () => {
  pgServer = await startPostgres();
});
afterAll(async () => pgServer?.destroy());

type Write = { kind: 'ticket'; id: string } | { kind: 'reply'; id: string; ticketId: string } | { kind: 'update'; id: string };

function ok(r: Answer, status: number, what: string): Answer {
  if (r.status !== status) throw new Error(`${what} answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r;
}

const targets = { firstResponse: 60, nextResponse: 120, resolution: 480 };

const ticketUpdates: CrashWorkload<Write> = {
  name: 'tickets: create, reply, update',
  async setup(api: Api) {
    ok(
      await api('POST', '/api/servicedesk/sla-policies', { name: 'Crash default', isDefault: true, targets: { low: targets, medium: targets, high: targets, urgent: targets } }),
      201,
      'create policy',
    );
  },
  async round(api: Api, ack, writer, round) {
    const t = ok(
      await api('POST', '/api/tickets', { subject: `crash ${writer}-${round}`, priority: 'medium', requester: { name: 'Crash Requester', email: `crash-${writer}@example.test` } }),
      201,
      'create ticket',
    ).body as { id: string };
    ack({ kind: 'ticket', id: t.id });
    const reply = ok(await api('POST', `/api/tickets/${t.id}/replies`, { body: 'Looking into it.' }), 201, 'reply').body as { id: string };
    ack({ kind: 'reply', id: reply.id, ticketId: t.id });
    ok(await api('PATCH', `/api/tickets/${t.id}`, { status: 'pending_customer', priority: 'high' }), 200, 'update ticket');
    ack({ kind: 'update', id: t.id });
  },

  async verify(db, acked) {
    const rows = async <T>(text: string, values: unknown[] = []) => (await db.query(text, values)).rows as T[];
    const count = (from: string, where: string) => `(select count(*)::int from ${from} where ${where})`;
    const tickets = await rows<{
      id: string;
      status: string;
      priority: string;
      responded: boolean;
      replies: number;
      creates: number;
      updates: number;
      replyAudits: number;
      createdEvents: number;
      updatedEvents: number;
      repliedEvents: number;
      createdLines: number;
      replyLines: number;
      statusLines: number;
      priorityLines: number;
      mails: number;
      slaPolicy: string | null;
      firstResponse: string | null;
      resolution: string | null;
    }>(`
      select t.id, t.status, t.priority, t.first_responded_at is not null as responded,
        ${count('ticket_replies r', 'r.ticket_id = t.id')} as replies,
        ${count('audit_logs a', "a.entity_id = t.id::text and a.action = 'ticket.create'")} as creates,
        ${count('audit_logs a', "a.entity_id = t.id::text and a.action = 'ticket.update'")} as updates,
        ${count('audit_logs a', "a.entity_id = t.id::text and a.action = 'ticket.reply'")} as "replyAudits",
        ${count('events e', "e.type = 'ticket.created' and e.payload -> 'ticket' ->> 'id' = t.id::text")} as "createdEvents",
        ${count('events e', "e.type = 'ticket.updated' and e.payload -> 'ticket' ->> 'id' = t.id::text")} as "updatedEvents",
        ${count('events e', "e.type = 'ticket.replied' and e.payload -> 'ticket' ->> 'id' = t.id::text")} as "repliedEvents",
        ${count('ticket_timeline l', "l.ticket_id = t.id and l.kind = 'created'")} as "createdLines",
        ${count('ticket_timeline l', "l.ticket_id = t.id and l.kind = 'agent_reply'")} as "replyLines",
        ${count('ticket_timeline l', "l.ticket_id = t.id and l.kind = 'status'")} as "statusLines",
        ${count('ticket_timeline l', "l.ticket_id = t.id and l.kind = 'priority'")} as "priorityLines",
        ${count('notifications n', "n.meta ->> 'ticketId' = t.id::text and n.meta ->> 'template' = 'ticket.reply'")} as mails,
        s.policy_id as "slaPolicy", s.state -> 'targets' -> 'firstResponse' ->> 'state' as "firstResponse",
        s.state -> 'targets' -> 'resolution' ->> 'state' as resolution
      from tickets t left join ticket_sla s on s.ticket_id = t.id`);

    // 1. No acknowledged write is lost.
    const byId = new Map(tickets.map((t) => [t.id, t]));
    const lost = acked.filter((w) => {
      const t = byId.get(w.kind === 'reply' ? w.ticketId : w.id);
      if (w.kind === 'ticket') return !t;
      if (w.kind === 'reply') return !t || t.replies !== 1;
      return t?.status !== 'pending_customer' || t.priority !== 'high';
    });
    expect(lost).toEqual([]);

    // 2. Nothing half-applied: each ticket's state matches its timeline, audit, events, email and clocks.
    const half = tickets.filter((t) => {
      const replied = t.replies; // 0 or 1
      const updated = t.status === 'pending_customer' ? 1 : 0;
      return !(
        t.creates === 1 &&
        t.createdEvents === 2 &&
        t.createdLines === 1 &&
        t.replyAudits === replied &&
        t.repliedEvents === 2 * replied &&
        t.replyLines === replied &&
        t.mails === replied &&
        t.responded === (replied === 1) &&
        // A reply on a new ticket opens it (one status line); the update pauses it (another).
        t.statusLines === replied + updated &&
        t.updates === updated &&
        t.updatedEvents === 2 * updated &&
        t.priorityLines === updated &&
        (t.priority === 'high') === (updated === 1) &&
        t.slaPolicy !== null &&
        t.firstResponse === (replied ? 'achieved' : 'active') &&
        t.resolution === (updated ? 'paused' : 'active')
      );
    });
    expect(half).toEqual([]);
    const orphans = await rows<{ n: number }>(`
      select (select count(*)::int from audit_logs a where a.entity_type = 'ticket' and not exists (select 1 from tickets t where t.id::text = a.entity_id))
           + (select count(*)::int from events e where e.type like 'ticket.%' and not exists (select 1 from tickets t where t.id::text = e.payload -> 'ticket' ->> 'id'))
           + (select count(*)::int from ticket_replies r where not exists (select 1 from ticket_timeline l where l.kind = 'agent_reply' and l.data ->> 'replyId' = r.id::text)) as n`);
    expect(orphans[0]!.n).toBe(0);

    // 3. Numbers stay gap-free: the counter, the highest number and the count agree.
    const [numbers] = await rows<{ n: number; max: number; min: number; last: number }>(
      `select count(*)::int as n, max(number)::int as max, min(number)::int as min, (select max(last)::int from ticket_counters) as last from tickets`,
    );
    expect(numbers).toEqual({ n: tickets.length, max: tickets.length, min: 1, last: tickets.length });

    const ackedTickets = acked.filter((w) => w.kind === 'ticket').length;
    return (
      `${acked.length} acknowledged writes (${ackedTickets} tickets, ${acked.filter((w) => w.kind === 'reply').length} replies, ` +
      `${acked.filter((w) => w.kind === 'update').length} updates) all present; ${tickets.length - ackedTickets} ticket(s) committed but unanswered at the kill; ` +
      `numbers 1–${numbers!.max} without gaps; none half-applied`
    );
  },
};

describe('kill -9 during ticket updates', () => {
  it(`loses no acknowledged write and half-applies nothing (${ticketUpdates.name})`, async () => {
    const r = await crashDuringWrites(ticketUpdates, pgServer, { writers: 6, killAfterAcks: 300 });
    expect(r.acked.length).toBeGreaterThanOrEqual(300);
    console.log(`kill -9 (${ticketUpdates.name}): ${r.summary}; audit verify: ${r.auditVerify}`);
  });
});
