/**
 * Outbox retention, an hourly platform schedule (`platform.outbox.retention`): the outbox, the
 * receipts and the replayed dead letters would otherwise grow for ever.
 *
 * - **Events** older than `eventsDays` go, except those a durable subscription still waits for (of
 *   its types, not a copy, and not visible in its position's snapshot): retention never takes an
 *   event from under a subscriber, however far behind it is. Live views replay at most that far
 *   back (`since`).
 * - **Receipts** (`ctx.once`) older than that go once their subscription has passed the event (or
 *   the event is gone, which retention allows only after that), unless a replay of it is queued: a
 *   receipt matters only while the event may be delivered again.
 * - **Dead letters** replayed successfully go after `deadLettersDays`; those still dead stay until
 *   an admin replays them.
 *
 * Each statement deletes at most `batch` rows, so no transaction holds many locks for long.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type AppDb } from '../db/client.ts';
import { inSystem } from '../db/scope.ts';
import { defineJob } from '../jobs/jobs.ts';

export interface OutboxRetention {
  eventsDays: number;
  deadLettersDays: number;
  batch?: number;
}

const DAY = 86_400_000;

async function inBatches(db: AppDb, statement: (batch: number) => ReturnType<typeof sql>, batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await inSystem(db, (tx) => queryRows<{ n: number }>(tx, sql`with gone as (${statement(batch)} returning 1) select count(*)::int as n from gone`));
    const n = rows[0]?.n ?? 0;
    total += n;
    if (n < batch) return total;
  }
}

/** Deletes what retention allows at `now` (ms); answers how many rows of each kind went. */
export async function pruneOutbox(db: AppDb, now: number, o: OutboxRetention) {
  const batch = o.batch ?? 5_000;
  const eventsCut = new Date(now - o.eventsDays * DAY).toISOString();
  const lettersCut = new Date(now - o.deadLettersDays * DAY).toISOString();
  const receipts = await inBatches(
    db,
    (n) => sql`delete from event_receipts where ctid in (
      select r.ctid from event_receipts r join event_subscriptions s on s.name = r.subscription
       where r.created_at < ${eventsCut}::timestamptz
         and not exists (select 1 from events e where e.id = r.event_id and not pg_visible_in_snapshot(e.tx, s.snapshot::pg_snapshot))
         and not exists (select 1 from event_dead_letters d where d.subscription = r.subscription and d.event_id = r.event_id and d.status = 'queued')
       limit ${n})`,
    batch,
  );
  const events = await inBatches(
    db,
    (n) => sql`delete from events where id in (
      select e.id from events e
       where e.created_at < ${eventsCut}::timestamptz
         and not exists (select 1 from event_subscriptions s
                          where not e.copy and e.type = any(s.types) and not pg_visible_in_snapshot(e.tx, s.snapshot::pg_snapshot))
       order by e.id limit ${n})`,
    batch,
  );
  const deadLetters = await inBatches(
    db,
    (n) => sql`delete from event_dead_letters where id in (
      select id from event_dead_letters where status = 'replayed' and replayed_at < ${lettersCut}::timestamptz limit ${n})`,
    batch,
  );
  return { events, receipts, deadLetters };
}

export function outboxRetentionJob(db: AppDb, o: OutboxRetention, log: { info(obj: unknown, msg?: string): void }) {
  return defineJob({
    name: 'platform.outbox.retention',
    payload: z.object({}),
    maxAttempts: 1,
    handler: async (_p, ctx) => {
      const gone = await pruneOutbox(db, ctx.now, o);
      if (gone.events || gone.receipts || gone.deadLetters) log.info(gone, 'outbox retention');
    },
  });
}
