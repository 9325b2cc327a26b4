import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, unique, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, orgIsolation, ts } from '../db/columns.ts';
import type { EventVisibility } from './events.schema.ts';

/**
 * One row per durable subscription (subscriptions.ts): its position in the outbox, in commit order.
 * Platform-wide (a subscription reads every org's events), so no org column and no row security; it
 * is read and written with the owner's rights only.
 *
 * The position is a pair of snapshots (`pg_current_snapshot()` as text):
 * - `snapshot`: every event whose transaction is visible in it has been handled;
 * - `target`: the batch being worked through, the events visible in `target` and not in `snapshot`,
 *   handed over in id order; `after_id` is the last one handled. Null between batches.
 */
export const eventSubscriptions = pgTable('event_subscriptions', {
  name: text('name').primaryKey(),
  /** The event types it is handed (`ticket.breached`, …). */
  types: text('types').array().notNull(),
  snapshot: text('snapshot').notNull(),
  target: text('target'),
  afterId: bigint('after_id', { mode: 'number' }).notNull().default(0),
  /** Bumped by every write of the position: a runner that lost its lock cannot move it back. */
  version: bigint('version', { mode: 'number' }).notNull().default(0),
  /** Failed attempts of the next event (head of the line), its id and org, and when it is tried again. */
  attempts: integer('attempts').notNull().default(0),
  headEventId: bigint('head_event_id', { mode: 'number' }),
  headOrgId: uuid('head_org_id'),
  retryAt: ts('retry_at'),
  lastError: text('last_error'),
  /** Running totals since the subscription was created. */
  handled: bigint('handled', { mode: 'number' }).notNull().default(0),
  retries: bigint('retries', { mode: 'number' }).notNull().default(0),
  deadLettered: bigint('dead_lettered', { mode: 'number' }).notNull().default(0),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const DEAD_LETTER_STATUSES = ['dead', 'queued', 'replayed'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

/**
 * Events a subscription gave up on after its attempts, with a copy of the event (retention may
 * drop the outbox row first). `queued`: an admin asked for a replay, which the subscription's runner
 * delivers next; `replayed`: the replay succeeded. Per org, like the events themselves.
 */
export const eventDeadLetters = pgTable(
  'event_dead_letters',
  {
    id: id(),
    orgId: orgId(),
    subscription: text('subscription').notNull(),
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    eventType: text('event_type').notNull(),
    topic: text('topic').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** The event's read facts (who may see its record), judged by the topic's rule when listed. */
    visibility: jsonb('visibility').$type<EventVisibility>(),
    eventCreatedAt: ts('event_created_at').notNull(),
    attempts: integer('attempts').notNull(),
    lastError: text('last_error').notNull(),
    status: text('status', { enum: DEAD_LETTER_STATUSES }).notNull().default('dead'),
    deadAt: ts('dead_at').notNull(),
    replayRequestedAt: ts('replay_requested_at'),
    replayRequestedBy: uuid('replay_requested_by'),
    replayedAt: ts('replayed_at'),
    createdAt: createdAt(),
  },
  (t) => [
    unique('event_dead_letters_subscription_event').on(t.subscription, t.eventId),
    index('event_dead_letters_org_status').on(t.orgId, t.status, t.createdAt),
    // The list without a status filter (newest first, id as the tie-break).
    index('event_dead_letters_org_created').on(t.orgId, t.createdAt, t.id),
    index('event_dead_letters_queued').on(t.subscription).where(sql`status = 'queued'`),
    orgIsolation(),
  ],
).enableRLS();

/**
 * "This delivery's work is done": written by a handler in its own transaction (`ctx.once`), so a
 * delivery repeated after a crash finds it and does nothing.
 */
export const eventReceipts = pgTable(
  'event_receipts',
  {
    subscription: text('subscription').notNull(),
    eventId: bigint('event_id', { mode: 'number' }).notNull(),
    orgId: orgId(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.subscription, t.eventId] }), index('event_receipts_created').on(t.createdAt), orgIsolation()],
).enableRLS();
