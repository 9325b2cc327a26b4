/**
 * What an org's administrator sees of the durable subscriptions: each subscription with what waits
 * for it in their org, its retries, and their org's dead letters, which they may replay. Everything
 * runs in the actor's org scope (row-level security): another org's dead letter answers 404.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import { can } from '../access/ability.ts';
import { auditContextOf, type Actor } from '../access/actor.ts';
import { recordAudit } from '../audit/audit.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { AppDb } from '../db/client.ts';
import { inOrg } from '../db/scope.ts';
import { conflict, forbidden, notFound } from '../errors/app-error.ts';
import { decodeCursor, encodeCursor, pageOf } from '../db/pagination.ts';
import { visibleEvents, type TopicRule } from '../realtime/topic-access.ts';
import { eventDeadLetters, type DeadLetterStatus } from './subscriptions.schema.ts';
import type { Subscriptions } from './subscriptions.ts';

type DeadLetterRow = typeof eventDeadLetters.$inferSelect;

/** `shown`: the actor may read the record the event is about (else its payload is withheld). */
const toView = (r: DeadLetterRow, shown: boolean) => ({
  id: r.id,
  subscription: r.subscription,
  eventId: r.eventId,
  eventType: r.eventType,
  topic: r.topic,
  payload: shown ? r.payload : null,
  payloadHidden: !shown,
  eventCreatedAt: r.eventCreatedAt.toISOString(),
  attempts: r.attempts,
  lastError: r.lastError,
  status: r.status,
  deadAt: r.deadAt.toISOString(),
  replayRequestedAt: r.replayRequestedAt?.toISOString() ?? null,
  replayRequestedBy: r.replayRequestedBy,
  replayedAt: r.replayedAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
});

export type DeadLetterView = ReturnType<typeof toView>;

export interface DeadLetterQuery {
  subscription?: string | undefined;
  status?: DeadLetterStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}

/**
 * `topics`: the modules' topic rules. A dead letter's payload is a copy of a record (a ticket, an
 * operation), so it is shown only to whoever could read that record now, by the rule realtime uses
 * (`visibleEvents`); managing subscriptions does not grant reading every record. The rest of the
 * dead letter (type, error, attempts) is shown, and it can be replayed, without it.
 */
export function createDeadLettersService(deps: { db: AppDb; subscriptions: Subscriptions; topics: readonly TopicRule[]; clock?: Clock }) {
  const { db, subscriptions, topics } = deps;
  const clock = deps.clock ?? systemClock;
  const allowed = (actor: Actor) => {
    if (!can(actor, 'subscriptions:manage')) throw forbidden();
  };
  const viewsOf = async (actor: Actor, rows: DeadLetterRow[]) => {
    const shown = await visibleEvents(
      topics,
      actor,
      rows.map((r) => ({ id: r.eventId, topic: r.topic, payload: r.payload, visibility: r.visibility })),
    );
    return rows.map((r) => toView(r, shown.has(r.eventId)));
  };

  return {
    /** Each registered subscription with what waits for it in the actor's org. */
    async overview(actor: Actor) {
      allowed(actor);
      const stats = await subscriptions.stats(actor.orgId);
      return {
        data: stats.map((s) => ({
          name: s.name,
          types: s.types,
          pending: s.pending,
          lagSeconds: Math.round(s.lagMs / 1000),
          retrying: s.attempts > 0,
          attempts: s.attempts,
          retryAt: s.retryAt,
          // The failing event and its error only when it is this org's.
          headEventId: s.headEventId,
          lastError: s.lastError,
          deadLetters: s.deadLetters,
        })),
      };
    },

    async list(actor: Actor, q: DeadLetterQuery) {
      allowed(actor);
      const cursor = decodeCursor(q.cursor, { value: 'timestamp' });
      const rows = await inOrg(db, actor.orgId, (tx) =>
        tx
          .select()
          .from(eventDeadLetters)
          .where(
            and(
              eq(eventDeadLetters.orgId, actor.orgId),
              q.subscription ? eq(eventDeadLetters.subscription, q.subscription) : undefined,
              q.status ? eq(eventDeadLetters.status, q.status) : undefined,
              // A row comparison, which the index scan starts from (an OR of the two cases is a filter on every row before it).
              cursor ? sql`(${eventDeadLetters.createdAt}, ${eventDeadLetters.id}) < (${String(cursor.value)}::timestamptz, ${cursor.id}::uuid)` : undefined,
            ),
          )
          .orderBy(desc(eventDeadLetters.createdAt), desc(eventDeadLetters.id))
          .limit(q.limit + 1),
      );
      const page = pageOf(rows, q.limit, (r) => encodeCursor(r.createdAt.toISOString(), r.id));
      return { data: await viewsOf(actor, page.data), nextCursor: page.nextCursor };
    },

    async get(actor: Actor, id: string) {
      allowed(actor);
      const [row] = await inOrg(db, actor.orgId, (tx) =>
        tx.select().from(eventDeadLetters).where(and(eq(eventDeadLetters.orgId, actor.orgId), eq(eventDeadLetters.id, id))),
      );
      if (!row) throw notFound('Dead letter');
      return (await viewsOf(actor, [row]))[0]!;
    },

    /**
     * Queues a dead letter for another delivery: the subscription's runner (on whichever instance
     * holds it) delivers it next, marks it `replayed` on success, or `dead` again with the new error.
     */
    async replay(actor: Actor, id: string) {
      allowed(actor);
      const view = await inOrg(db, actor.orgId, async (tx) => {
        const [row] = await tx
          .select()
          .from(eventDeadLetters)
          .where(and(eq(eventDeadLetters.orgId, actor.orgId), eq(eventDeadLetters.id, id)))
          .for('update');
        if (!row) throw notFound('Dead letter');
        if (row.status === 'queued') throw conflict('replay_queued', 'This dead letter is already queued for a replay.');
        if (row.status === 'replayed') throw conflict('already_replayed', 'This dead letter was replayed successfully already.');
        if (!subscriptions.has(row.subscription)) {
          throw conflict('subscription_unknown', `No subscription "${row.subscription}" runs on this server any more, so nothing could replay it.`);
        }
        const [queued] = await tx
          .update(eventDeadLetters)
          .set({ status: 'queued', replayRequestedAt: new Date(clock()), replayRequestedBy: actor.id })
          .where(eq(eventDeadLetters.id, id))
          .returning();
        await recordAudit(tx, auditContextOf(actor), {
          action: 'event_dead_letter.replay',
          entityType: 'event_dead_letter',
          entityId: id,
          before: { status: row.status },
          after: { status: 'queued' },
          details: { subscription: row.subscription, eventId: row.eventId, eventType: row.eventType, attempts: row.attempts },
        });
        return queued!;
      });
      subscriptions.wake();
      return (await viewsOf(actor, [view]))[0]!;
    },
  };
}

export type DeadLettersService = ReturnType<typeof createDeadLettersService>;
