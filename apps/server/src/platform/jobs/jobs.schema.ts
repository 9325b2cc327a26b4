import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ts } from '../db/columns.ts';

export const JOB_STATUSES = ['pending', 'failed'] as const;

/**
 * Background work waiting to run (jobs.ts). A row is claimed by one instance at a time (SKIP LOCKED,
 * then a lease in `locked_until`), deleted when its handler succeeds, retried with back-off when it
 * fails, and kept as `failed` after its last attempt. Platform-wide (a job names its org in its
 * payload when it has one), so no org column and no row security; the owner's rights only.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    /** Unique per job name while the row exists: a schedule's firing (`<schedule>@<instant>`), or a caller's dedupe key. */
    key: text('key'),
    runAt: ts('run_at').notNull(),
    /** Attempts started (a claim counts one, so a crash mid-run counts too). */
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    lockedUntil: ts('locked_until'),
    lockedBy: text('locked_by'),
    lastError: text('last_error'),
    status: text('status', { enum: JOB_STATUSES }).notNull().default('pending'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('jobs_name_key').on(t.name, t.key), index('jobs_due').on(t.runAt).where(sql`status = 'pending'`)],
);

/**
 * Recurring work: one row per schedule, with the next time it fires. Firing moves `next_run_at` on
 * and inserts the job in one transaction, on one instance (the row is locked), so a firing happens
 * once across instances and is never lost to a crash (rolled back, it fires on the next pass).
 */
export const jobSchedules = pgTable('job_schedules', {
  name: text('name').primaryKey(),
  job: text('job').notNull(),
  /** `every:<ms>` or `daily:<HH:MM>@<IANA zone>`. */
  spec: text('spec').notNull(),
  payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
  nextRunAt: ts('next_run_at').notNull(),
  lastRunAt: ts('last_run_at'),
  fired: bigint('fired', { mode: 'number' }).notNull().default(0),
  updatedAt: ts('updated_at').notNull(),
});
