import { trackingOf } from '../db/tracking.ts';
import { and, eq, lte, sql } from 'drizzle-orm';
import type { AppDb, Executor } from '../db/client.ts';
import { inSystem } from '../db/scope.ts';
import { notifications, type NotifyChannel } from './notify.schema.ts';

export interface NewNotification {
  orgId: string;
  channel: NotifyChannel;
  to: string;
  subject?: string;
  body: string;
  meta?: Record<string, unknown>;
}

export type NotificationRow = typeof notifications.$inferSelect;

/** Queues a message in the caller's transaction: it is sent only if the use case commits. */
export async function enqueueNotification(tx: Executor, n: NewNotification): Promise<string> {
  const [row] = await tx
    .insert(notifications)
    .values({ orgId: n.orgId, channel: n.channel, to: n.to, subject: n.subject ?? '', body: n.body, meta: n.meta ?? {} })
    .returning({ id: notifications.id });
  const tracking = trackingOf(tx);
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
 * The sender: claims due messages with SKIP LOCKED (so several instances share the queue without
 * sending twice), delivers them and records the outcome. A channel without a transport keeps its
 * messages as the notifications log, marked as logged.
 */
export function createNotifier(opts: {
  db: AppDb;
  transports: Partial<Record<NotifyChannel, Transport>>;
  onError?: (err: unknown) => void;
  intervalMs?: number;
}) {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let stopped = true;

  async function sendOne(row: NotificationRow): Promise<void> {
    const transport = opts.transports[row.channel];
    try {
      const facts = transport ? await transport.send(row) : { transport: 'log' };
      await inSystem(opts.db, (tx) =>
        tx
          .update(notifications)
          .set({ status: 'sent', sentAt: new Date(), lastError: null, meta: { ...row.meta, ...(facts ?? {}) } })
          .where(eq(notifications.id, row.id)),
      );
    } catch (err) {
      const attempts = row.attempts;
      const failed = attempts >= MAX_ATTEMPTS;
      await inSystem(opts.db, (tx) =>
        tx
          .update(notifications)
          .set({
            status: failed ? 'failed' : 'pending',
            lastError: String((err as Error)?.message ?? err).slice(0, 500),
            nextAttemptAt: new Date(Date.now() + backoffMs(attempts)),
          })
          .where(eq(notifications.id, row.id)),
      );
    }
  }

  /** Sends what is due now; returns how many were attempted. */
  async function drain(batch = 20): Promise<number> {
    // Claim: bump attempts and push the next attempt out, so a crash mid-send retries later, once.
    const claimed = await inSystem(opts.db, async (tx) => {
      const due = await tx
        .select({ id: notifications.id })
        .from(notifications)
        .where(and(eq(notifications.status, 'pending'), lte(notifications.nextAttemptAt, new Date())))
        .orderBy(notifications.nextAttemptAt)
        .limit(batch)
        .for('update', { skipLocked: true });
      if (due.length === 0) return [];
      return tx
        .update(notifications)
        .set({ attempts: sql`${notifications.attempts} + 1`, nextAttemptAt: new Date(Date.now() + 5 * 60_000) })
        .where(sql`${notifications.id} in (${sql.join(due.map((d) => sql`${d.id}::uuid`), sql`, `)})`)
        .returning();
    });
    for (const row of claimed) await sendOne(row);
    return claimed.length;
  }

  const tick = () => {
    if (stopped || running) return;
    running = drain()
      .catch((err) => {
        opts.onError?.(err);
        return 0;
      })
      .finally(() => {
        running = null;
      });
  };

  return {
    drain,
    /** Called after a commit that queued messages: send now instead of at the next poll. */
    wake: tick,
    start() {
      stopped = false;
      timer = setInterval(tick, opts.intervalMs ?? 1000);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
