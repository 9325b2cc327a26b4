import { and, eq, sql } from 'drizzle-orm';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { queryRows, type AppDb, type Executor } from '../db/client.ts';
import { inSystem } from '../db/scope.ts';
import { trackingOf } from '../db/tracking.ts';
import { defineJob, insertJob, type Jobs } from '../jobs/jobs.ts';
import { scrapedMetrics } from '../metrics/metrics.ts';
import { NOTIFY_CHANNELS, notifications, type NotifyChannel } from './notify.schema.ts';

export interface NewNotification {
  orgId: string;
  channel: NotifyChannel;
  to: string;
  subject?: string;
  body: string;
  meta?: Record<string, unknown>;
}

export type NotificationRow = typeof notifications.$inferSelect;

/** The job that sends one message (one per message, in the jobs facility). */
export const NOTIFY_JOB = 'platform.notify.send';

/**
 * Queues a message in the caller's transaction, with the job that sends it: both commit with the use
 * case or neither does. Due now on the platform's clock (the use case's), or the system's outside one.
 */
export async function enqueueNotification(tx: Executor, n: NewNotification): Promise<string> {
  const tracking = trackingOf(tx);
  const now = new Date(tracking?.now?.() ?? Date.now());
  const [row] = await tx
    .insert(notifications)
    .values({ orgId: n.orgId, channel: n.channel, to: n.to, subject: n.subject ?? '', body: n.body, meta: n.meta ?? {}, nextAttemptAt: now })
    .returning({ id: notifications.id });
  await insertJob(tx, { name: NOTIFY_JOB, payload: { id: row!.id }, runAt: now, maxAttempts: MAX_ATTEMPTS, createdAt: now });
  if (tracking) tracking.notifications++;
  return row!.id;
}

/** Delivers one message on its channel; throws to retry later. Returns facts to keep (e.g. the provider's id). */
export interface Transport {
  send(n: NotificationRow): Promise<Record<string, unknown> | void>;
}

export const MAX_ATTEMPTS = 8;
/** 10 s, 20 s, 40 s … capped at one hour. */
export const backoffMs = (attempt: number) => Math.min(3600_000, 10_000 * 2 ** Math.max(0, attempt - 1));

/**
 * The sender: the job `platform.notify.send`, one per message, run by the jobs facility (claimed by
 * one instance at a time, retried with `backoffMs`, at most MAX_ATTEMPTS runs). The message's row
 * mirrors the outcome for the outgoing-messages log: attempts, last error, next attempt, sent or
 * failed. A channel without a transport keeps its messages as the notifications log, marked as logged.
 */
export function createNotifier(opts: { db: AppDb; jobs: Jobs; transports: Partial<Record<NotifyChannel, Transport>> }) {
  const { db, jobs } = opts;
  const send = defineJob({
    name: NOTIFY_JOB,
    payload: z.object({ id: z.uuid() }),
    maxAttempts: MAX_ATTEMPTS,
    backoff: backoffMs,
    handler: async ({ id }, ctx) => {
      // Only a pending message is sent: a repeated run (after a crash past the send) finds it sent.
      const [row] = await inSystem(db, (tx) =>
        tx
          .update(notifications)
          .set({ attempts: ctx.attempt })
          .where(and(eq(notifications.id, id), eq(notifications.status, 'pending')))
          .returning(),
      );
      if (!row) return;
      const transport = opts.transports[row.channel];
      try {
        const facts = transport ? await transport.send(row) : { transport: 'log' };
        await inSystem(db, (tx) =>
          tx
            .update(notifications)
            .set({ status: 'sent', sentAt: new Date(ctx.now), lastError: null, meta: { ...row.meta, ...(facts ?? {}) } })
            .where(eq(notifications.id, id)),
        );
      } catch (err) {
        const failed = ctx.attempt >= MAX_ATTEMPTS;
        await inSystem(db, (tx) =>
          tx
            .update(notifications)
            .set({
              status: failed ? 'failed' : 'pending',
              lastError: String((err as Error)?.message ?? err).slice(0, 500),
              nextAttemptAt: new Date(ctx.now + backoffMs(ctx.attempt)),
            })
            .where(eq(notifications.id, id)),
        );
        throw err;
      }
    },
  });
  jobs.register(send);

  return {
    /** How each channel delivers: through its provider, or only into the notifications log. */
    delivery: (): Record<NotifyChannel, 'provider' | 'log'> => Object.fromEntries(NOTIFY_CHANNELS.map((c) => [c, opts.transports[c] ? 'provider' : 'log'])) as Record<NotifyChannel, 'provider' | 'log'>,
    /** Runs every job due now, message sends included, to the end (tests; the facility does it on its own). */
    drain: () => jobs.runDue(),
    /** Called after a commit that queued messages: send now instead of at the next poll. */
    wake: () => jobs.wake(),
  };
}

export type Notifier = ReturnType<typeof createNotifier>;

export const UNSENT_NOTIFICATIONS_SQL = sql`select status, channel, count(*)::int as n from ${notifications} where status <> 'sent' group by status, channel`;

/**
 * On /metrics, over every org, per channel: messages waiting to be sent (`pending`: queued, or
 * between retries) and given up on (`failed`, kept for the outgoing-messages log). Sent messages are
 * not counted (they pile up; the index `notifications_unsent` leaves them out).
 */
export function registerNotificationMetrics(registry: Registry, db: AppDb) {
  const read = async () => {
    const rows = await queryRows<{ status: string; channel: string; n: number }>(db, UNSENT_NOTIFICATIONS_SQL);
    return (['pending', 'failed'] as const).flatMap((status) =>
      NOTIFY_CHANNELS.map((channel) => [{ status, channel }, rows.find((r) => r.status === status && r.channel === channel)?.n ?? 0] as const),
    );
  };
  scrapedMetrics(registry, read, [
    {
      name: 'imsop_notifications',
      help: 'Outgoing messages not sent, by status (pending: queued or between retries; failed: given up) and channel, over every organization',
      labelNames: ['status', 'channel'],
      series: (r) => r,
    },
  ]);
}
