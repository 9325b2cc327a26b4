import { asc, gt, sql } from 'drizzle-orm';
import type { Bus } from '../bus/bus.ts';
import { queryRows, type AppDb } from '../db/client.ts';
import { inSystem } from '../db/scope.ts';
import { events, type EventVisibility } from './events.schema.ts';

export interface DeliveredEvent {
  id: number;
  orgId: string;
  topic: string;
  type: string;
  payload: Record<string, unknown>;
  /** For the topic's read rule; never sent to clients (see NewEvent.visibility). */
  visibility: EventVisibility | null;
  createdAt: string;
}

export type EventHandler = (e: DeliveredEvent) => void;

export const CHANNEL_OUTBOX = 'events.outbox';

export interface DispatcherOptions {
  /** Fallback poll when no wake-up arrives. */
  pollMs?: number;
  /**
   * How long a hole in the id sequence may stay open at most before it is taken as a rolled-back
   * insert (a live view never waits longer behind a long transaction; durable subscriptions do).
   */
  gapTimeoutMs?: number;
  /** Longest wait between reads while the database fails (the back-off doubles from pollMs up to it). */
  maxBackoffMs?: number;
  /** A subscriber threw. */
  onError?: (err: unknown) => void;
  /** Reading the outbox failed (the database is down) and later recovered; throttled by the caller. */
  report?: { failed(err: unknown): void; ok(): void };
}

/**
 * Delivers committed outbox rows to in-process subscribers, in id order, exactly once per process.
 * Every instance reads the shared outbox itself; a wake-up on the bus (Redis across instances) makes
 * that immediate. Ids are taken from a sequence before commit, so a transaction that commits late can
 * leave a temporary hole: delivery stops at the hole until it fills, or until every transaction that
 * was in progress when the hole was seen has ended (then the hole is a rolled-back insert: an event's
 * transaction has its id before it takes an event id, see imsop_next_event_id), or at the latest
 * after gapTimeoutMs. This is for live views, which can replay; handlers that must see every event
 * are durable subscriptions (subscriptions.ts), which read in commit order and never skip.
 */
export function createDispatcher(db: AppDb, bus: Bus, opts: DispatcherOptions = {}) {
  const pollMs = opts.pollMs ?? 1_000;
  const gapTimeoutMs = opts.gapTimeoutMs ?? 3_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 5_000;
  const handlers = new Set<EventHandler>();
  let delivered = 0;
  /** The hole after `after`: when it was first seen, the snapshot then, and whether every transaction of that snapshot has ended. */
  let gap: { after: number; since: number; snapshot: string | null; settled: boolean } | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  /** Consecutive failed reads, and when the next read may run (back-off while the database is down). */
  let failures = 0;
  let retryAt = 0;

  async function drain(): Promise<void> {
    for (;;) {
      // One statement, so no transaction around it: a round trip instead of three on every wake-up.
      const rows = await db.select().from(events).where(gt(events.id, delivered)).orderBy(asc(events.id)).limit(1000);
      if (rows.length === 0) return;
      let progressed = false;
      for (const row of rows) {
        if (row.id !== delivered + 1) {
          const now = Date.now();
          if (gap?.after !== delivered) gap = { after: delivered, since: now, snapshot: null, settled: false };
          if (!gap.settled && now - gap.since < gapTimeoutMs) {
            if (await holeSettled(gap)) {
              // Every transaction that could fill it has ended: read once more, and a hole still there is final.
              gap.settled = true;
              progressed = true;
              break;
            }
            schedule(Math.min(50, gapTimeoutMs));
            return;
          }
        }
        gap = null;
        delivered = row.id;
        progressed = true;
        const e: DeliveredEvent = {
          id: row.id,
          orgId: row.orgId,
          topic: row.topic,
          type: row.type,
          payload: row.payload,
          visibility: row.visibility,
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
      if (!progressed || (rows.length < 1000 && !gap?.settled)) return;
    }
  }

  /**
   * Whether the transactions in progress when the hole was first seen have all ended (committed or
   * rolled back). The first call takes that snapshot; with nothing in progress the hole is settled at once.
   */
  async function holeSettled(g: { snapshot: string | null }): Promise<boolean> {
    if (g.snapshot === null) {
      const [r] = await queryRows<{ s: string; idle: boolean }>(
        db,
        sql`select pg_current_snapshot()::text as s, not exists (select 1 from pg_snapshot_xip(pg_current_snapshot())) as idle`,
      );
      g.snapshot = r!.s;
      return r!.idle;
    }
    const [r] = await queryRows<{ done: boolean }>(
      db,
      sql`select coalesce(bool_and(pg_visible_in_snapshot(x, pg_current_snapshot())), true) as done from pg_snapshot_xip(${g.snapshot}::pg_snapshot) x`,
    );
    return r!.done;
  }

  function kick(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    // Backing off: wake-ups are ignored until the timer's next try (the outbox is read in full then).
    if (Date.now() < retryAt) return Promise.resolve();
    running = drain()
      .then(
        () => {
          if (failures > 0) opts.report?.ok();
          failures = 0;
          retryAt = 0;
        },
        (err: unknown) => {
          failures++;
          const wait = Math.min(maxBackoffMs, pollMs * 2 ** (failures - 1));
          retryAt = Date.now() + wait;
          opts.report?.failed(err);
          schedule(wait);
        },
      )
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
    if (stopped) return;
    if (timer) {
      // A back-off replaces the regular poll, so a down database is not read every pollMs.
      if (ms <= pollMs) return;
      clearTimeout(timer);
    }
    timer = setTimeout(() => {
      timer = null;
      void kick().then(() => schedule(pollMs));
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
