import { sql } from 'drizzle-orm';
import { bigserial, boolean, customType, index, jsonb, pgTable, smallint, text } from 'drizzle-orm/pg-core';
import { createdAt, orgId, orgIsolation } from '../db/columns.ts';

/** Facts about an event's record for the topic's read rule: `kind` names the record kind. */
export type EventVisibility = { kind: string } & Record<string, string | string[] | null>;

/** PostgreSQL's 64-bit transaction id (never wraps); read as its decimal text. */
export const xid8 = customType<{ data: string }>({ dataType: () => 'xid8' });

/**
 * The transactional outbox: use cases insert here in their own transaction; the dispatcher
 * delivers committed rows in id order. Ids increase monotonically, so a client resumes with `since`.
 * `tx` is the writing transaction's id: durable subscriptions (subscriptions.ts) read in commit
 * order by comparing it with snapshots, so a transaction that commits late is never skipped.
 */
export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orgId: orgId(),
    topic: text('topic').notNull(),
    type: text('type').notNull(),
    /** The version of the event type's payload schema (the module's event catalogue). */
    version: smallint('version').notNull().default(1),
    /**
     * The same fact on a further topic (an operation's event goes to `operations` and to
     * `operation:<id>`): realtime subscribers of each topic see it; durable subscriptions are handed
     * each fact once, from the row that is not a copy.
     */
    copy: boolean('copy').notNull().default(false),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /**
     * What the topic's read rule needs to decide whether a subscriber may see this event's record
     * (e.g. the ticket's team, assignee and creator); never sent to clients. Null: every subscriber
     * of the topic may see it.
     */
    visibility: jsonb('visibility').$type<EventVisibility>(),
    createdAt: createdAt(),
    /** The top-level transaction that wrote the row (pg_current_xact_id(), also inside a savepoint). */
    tx: xid8('tx').notNull().default(sql`pg_current_xact_id()`),
  },
  (t) => [
    index('events_org_topic_id').on(t.orgId, t.topic, t.id),
    index('events_created').on(t.createdAt),
    index('events_tx').on(t.tx),
    orgIsolation(),
  ],
).enableRLS();
