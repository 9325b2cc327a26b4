import { asc, gt, lt, sql } from 'drizzle-orm';
import type { Bus } from '../bus/bus.ts';
import type { AppDb } from '../db/client.ts';
import { inSystem } from '../db/scope.ts';
import { events } from './events.schema.ts';

export interface DeliveredEvent {
  id: number;
  orgId: string;
  topic: string;
  type: string;
  payload: Record<string, unknown>;
  createdAt: string;
}

export type EventHandler = (e: DeliveredEvent) => void;

export const CHANNEL_OUTBOX = 'events.outbox';

export interface DispatcherOptions {
  /** Fallback poll when no wake-up arrives. */
  pollMs?: number;
  /** How long a hole in the id sequence may stay open before it is taken as a rolled-back insert. */
  gapTimeoutMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * Delivers committed outbox rows to in-process subscribers, in id order, exactly once per process.
 * Every instance reads the shared outbox itself; a wake-up on the bus (Redis across instances) makes
 * that immediate. Ids are taken from a sequence before commit, so a transaction that commits late can
 * leave a temporary hole: delivery stops at the hole until it fills or times out, so nothing is skipped.
 */
export function createDispatcher(db: AppDb, bus: Bus, opts: DispatcherOptions = {}) {
  const pollMs = opts.pollMs ?? 1_000;
  const gapTimeoutMs = opts.gapTimeoutMs ?? 3_000;
  const handlers = new Set<EventHandler>();
  let delivered = 0;
  let gapSince: number | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  async function drain(): Promise<void> {
    for (;;) {
      // One statement, so no transaction around it: a round trip instead of three on every wake-up.
      const rows = await db.select().from(events).where(gt(events.id, delivered)).orderBy(asc(events.id)).limit(1000);
      if (rows.length === 0) return;
      let progressed = false;
      for (const row of rows) {
        if (row.id !== delivered + 1) {
          const now = Date.now();
          gapSince ??= now;
          if (now - gapSince < gapTimeoutMs) {
            schedule(Math.min(200, gapTimeoutMs));
            return;
          }
        }
        gapSince = null;
        delivered = row.id;
        progressed = true;
        const e: DeliveredEvent = {
          id: row.id,
          orgId: row.orgId,
          topic: row.topic,
          type: row.type,
          payload: row.payload,
          createdAt: row.createdAt.toISOString(),
        };
        for (const h of handlers) {
          try {
            h(e);
          } catch (err) {
            opts.onError?.(err);
          }
        }
      }
      if (!progressed || rows.length < 1000) return;
    }
  }

  function kick(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = drain()
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          void kick();
        }
      });
    return running;
  }

  function schedule(ms: number) {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = null;
      void kick();
      schedule(pollMs);
    }, ms);
    timer.unref();
  }

  bus.subscribe(CHANNEL_OUTBOX, () => void kick());

  return {
    /** Start after the newest committed event (live delivery only; clients replay from the outbox). */
    async start() {
      const [row] = await inSystem(db, (tx) => tx.select({ max: sql<number>`coalesce(max(${events.id}), 0)::bigint` }).from(events));
      delivered = Number(row?.max ?? 0);
      schedule(pollMs);
    },
    subscribe(h: EventHandler) {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    /** Call after a transaction that wrote events has committed. */
    notify() {
      bus.publish(CHANNEL_OUTBOX, {});
    },
    /** Delivers whatever is committed now (tests and shutdown). */
    flush: () => kick(),
    get delivered() {
      return delivered;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

/** Events of one org after `since`, for replay (topic filter optional), oldest first. */
export async function eventsSince(db: AppDb, orgId: string, since: number, topics: string[], limit = 10_000) {
  const { inOrg } = await import('../db/scope.ts');
  return inOrg(db, orgId, (tx) =>
    tx
      .select()
      .from(events)
      .where(
        sql`${events.orgId} = ${orgId} and ${events.id} > ${since} ${topics.length ? sql`and ${events.topic} in ${topics}` : sql``}`,
      )
      .orderBy(asc(events.id))
      .limit(limit),
  );
}

/** Retention: drop delivered events older than the cut-off. */
export async function pruneEvents(db: AppDb, olderThan: Date) {
  await inSystem(db, (tx) => tx.delete(events).where(lt(events.createdAt, olderThan)));
}
