import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, orgIsolation, ts } from '../db/columns.ts';

export const NOTIFY_CHANNELS = ['email', 'sms', 'whatsapp'] as const;
export const NOTIFY_STATUSES = ['pending', 'sent', 'failed'] as const;
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];

/**
 * The one outbound queue: a message is written in the use case's transaction with the job that
 * sends it (`platform.notify.send`, in `jobs`), which delivers it with retries and back-off and
 * records the outcome here. Without a provider it stays here as the notifications log.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: id(),
    orgId: orgId(),
    channel: text('channel', { enum: NOTIFY_CHANNELS }).notNull(),
    to: text('to').notNull(),
    subject: text('subject').notNull().default(''),
    body: text('body').notNull(),
    /** Channel details: email headers (Message-ID, In-Reply-To, References), template name, links. */
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status', { enum: NOTIFY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    lastError: text('last_error'),
    sentAt: ts('sent_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('notifications_org_created').on(t.orgId, t.createdAt),
    // Messages not sent (pending or failed), for /metrics: sent ones pile up and are never read there.
    index('notifications_unsent').on(t.status, t.channel).where(sql`status <> 'sent'`),
    orgIsolation(),
  ],
).enableRLS();
