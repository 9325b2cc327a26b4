/**
 * Durable subscriptions: named handlers of outbox events that must act (a breached ticket notifies a
 * manager, an approved purchase order creates an order). Unlike the live dispatcher they keep their
 * position in the database, so every committed event reaches each subscription's handler at least
 * once, in commit order, across restarts and instances, and one instance handles a subscription at
 * a time.
 *
 * Reading in commit order. Ids are taken before commit, so id order is not commit order: a
 * transaction can take id 10, commit after id 11 has been read, and a reader positioned "after 11"
 * would never see 10. Each event row carries its transaction id (`tx`); a subscription's position is
 * a PostgreSQL snapshot (`pg_current_snapshot()`), and a batch is "the events whose transaction is
 * not visible in the position's snapshot and is visible in a newer one (the target)", handed over in
 * id order. A transaction still running when the target is taken is listed in the target as in
 * progress (or has an id at or above its xmax), so its events fall into a later batch, whenever it
 * commits: nothing is skipped, however late the commit. See docs/architecture.md.
 *
 * Idempotency is the handler's contract: a delivery can repeat (a crash after the work, before the
 * position moved). `ctx.once(fn)` runs `fn` in an org-scoped transaction together with a receipt
 * keyed by (subscription, event id): a repeated delivery finds the receipt and does nothing.
 */
import { createPassRunner } from '../db/passes.ts';
import { sql } from 'drizzle-orm';
import type { Registry } from 'prom-client';
import { scrapedMetrics, seriesPer } from '../metrics/metrics.ts';
import type { Bus } from '../bus/bus.ts';
import { systemClock, type Clock } from '../clock.ts';
import { queryRows, type Database, type Tx } from '../db/client.ts';
import { newId } from '../db/ids.ts';
import { inOrg, inSystem } from '../db/scope.ts';
import { CHANNEL_OUTBOX, type DeliveredEvent } from './dispatcher.ts';
import type { EventVisibility } from './events.schema.ts';

export type { DeliveredEvent } from './dispatcher.ts';

export type OnceResult<T> = { ran: true; value: T } | { ran: false };

export interface DeliveryContext {
  readonly subscription: string;
  /** `<subscription>:<event id>`: the same on every delivery of this event to this subscription. */
  readonly deliveryId: string;
  /** 1 on the first attempt, counting failed ones before it. */
  readonly attempt: number;
  /** An admin's replay of a dead letter (delivered outside the subscription's order). */
  readonly replay: boolean;
  /**
   * Runs `fn` once per delivery id: in one transaction scoped to the event's org, a receipt is
   * written and `fn` runs; a delivery that finds the receipt (the work was done and committed
   * before a crash) skips `fn` and answers `{ ran: false }`.
   */
  once<T>(fn: (tx: Tx) => Promise<T>): Promise<OnceResult<T>>;
}

export type SubscriptionHandler = (event: DeliveredEvent, ctx: DeliveryContext) => Promise<void>;

export interface SubscriptionDefinition {
  /** Unique and stable: the position is kept under this name (`servicedesk.notify-manager-on-breach`). */
  name: string;
  /** The event types it is handed (`ticket.sla_breached`); other events pass by without a call. */
  types: string[];
  handler: SubscriptionHandler;
  /** Attempts of one event before it goes to the dead letters (default 5). */
  maxAttempts?: number;
  /** Wait before attempt `n + 1` after `n` failed ones, in ms (default 1 s, doubling, at most 5 min). */
  backoff?: (failedAttempts: number) => number;
}

export interface SubscriptionsOptions {
  database: Database;
  bus: Bus;
  clock?: Clock;
  log: { info(obj: unknown, msg?: string): void; warn(obj: unknown, msg?: string): void };
  /** Fallback poll when no wake-up arrives, and the pace of retries (default 1 s). */
  pollMs?: number;
  /** Events read per query (default 100). */
  batchSize?: number;
  /** A pass failed (the database is down); throttled by the caller (outageReporter). */
  report?: { failed(err: unknown): void; ok(): void };
}

/** Bus channel that wakes the runners when an admin queued a replay. */
export const CHANNEL_SUBSCRIPTIONS = 'events.subscriptions';

export const DEFAULT_MAX_ATTEMPTS = 5;
export const defaultBackoff = (failed: number) => Math.min(300_000, 1_000 * 2 ** Math.max(0, failed - 1));

const NAME = /^[a-z][a-z0-9_.:-]{0,99}$/;
const TYPE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;

interface Position {
  snapshot: string;
  target: string | null;
  afterId: number;
  version: number;
  attempts: number;
  retryAt: Date | null;
}

interface EventRow {
  id: string | number;
  org_id: string;
  topic: string;
  type: string;
  payload: Record<string, unknown>;
  visibility: EventVisibility | null;
  created_at: string | Date;
}

const iso = (v: string | Date) => (v instanceof Date ? v : new Date(v)).toISOString();
const toEvent = (r: EventRow): DeliveredEvent => ({
  id: Number(r.id),
  orgId: r.org_id,
  topic: r.topic,
  type: r.type,
  payload: r.payload,
  visibility: r.visibility,
  createdAt: iso(r.created_at),
});
const errorText = (err: unknown) => String((err as Error)?.message ?? err).slice(0, 1000) || 'Error';

/** Events that are not visible in `snapshot` (committed after it, or still running then); index-friendly. */
const notIn = (snapshot: unknown) =>
  sql`(e.tx >= pg_snapshot_xmax(${snapshot}::pg_snapshot) or e.tx in (select pg_snapshot_xip(${snapshot}::pg_snapshot)))`;
/** One row per fact: the copies of an event on its further topics (realtime fan-out) are not handed over again. */
const typeIn = (types: string[]) => sql`not e.copy and e.type in (select jsonb_array_elements_text(${JSON.stringify(types)}::jsonb))`;

type Registered = Required<SubscriptionDefinition>;

/** A runner lost the subscription to another instance between two writes of the position. */
class PositionLost extends Error {}

export interface SubscriptionStats {
  name: string;
  types: string[];
  /** Events waiting for this subscription, and the age of the oldest (ms; 0 when none). */
  pending: number;
  lagMs: number;
  /** Failed attempts of the event at the head of the line, when it is being retried. */
  attempts: number;
  retryAt: string | null;
  lastError: string | null;
  headEventId: number | null;
  headOrgId: string | null;
  handled: number;
  retries: number;
  deadLettered: number;
  /** Dead letters not replayed successfully (dead or queued). */
  deadLetters: number;
}

export function createSubscriptions(opts: SubscriptionsOptions) {
  const { database, bus } = opts;
  const db = database.db;
  const clock = opts.clock ?? systemClock;
  const pollMs = opts.pollMs ?? 1_000;
  const batchSize = opts.batchSize ?? 100;
  const defs = new Map<string, Registered>();
  let rowsReady = false;

  function register(def: SubscriptionDefinition) {
    if (!NAME.test(def.name)) throw new Error(`Subscription name "${def.name}" must match ${NAME}`);
    if (defs.has(def.name)) throw new Error(`Subscription ${def.name} is registered twice`);
    if (def.types.length === 0) throw new Error(`Subscription ${def.name} names no event types`);
    for (const t of def.types) if (!TYPE.test(t)) throw new Error(`Subscription ${def.name}: "${t}" is not an event type`);
    const maxAttempts = def.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error(`Subscription ${def.name}: maxAttempts must be a positive integer`);
    defs.set(def.name, { name: def.name, types: [...new Set(def.types)].sort(), handler: def.handler, maxAttempts, backoff: def.backoff ?? defaultBackoff });
    // Registered after start: its row is created by the next pass.
    rowsReady = false;
    if (runner.started) void kick();
  }

  /** Creates the rows of new subscriptions at the current snapshot: they start with events committed from now on. */
  async function ensureRows() {
    for (const d of defs.values()) {
      await db.execute(sql`
        insert into event_subscriptions (name, types, snapshot)
        values (${d.name}, (select array_agg(t) from jsonb_array_elements_text(${JSON.stringify(d.types)}::jsonb) t), pg_current_snapshot()::text)
        on conflict (name) do update set types = excluded.types where event_subscriptions.types is distinct from excluded.types`);
    }
  }

  async function readPosition(name: string): Promise<Position> {
    const [r] = await queryRows<{ snapshot: string; target: string | null; after_id: string | number; version: string | number; attempts: number; retry_at: string | Date | null }>(
      db,
      sql`select snapshot, target, after_id, version, attempts, retry_at from event_subscriptions where name = ${name}`,
    );
    if (!r) throw new Error(`Subscription ${name} has no row`);
    return {
      snapshot: r.snapshot,
      target: r.target,
      afterId: Number(r.after_id),
      version: Number(r.version),
      attempts: r.attempts,
      retryAt: r.retry_at ? new Date(r.retry_at) : null,
    };
  }

  /** Writes the position if nobody else moved it since it was read (else PositionLost). */
  async function writePosition(
    tx: Tx | Database['db'],
    name: string,
    p: Position,
    extra: { headEventId?: number | null; headOrgId?: string | null; lastError?: string | null; handled?: number; retries?: number; dead?: number } = {},
  ) {
    const rows = await queryRows<{ version: string | number }>(
      tx,
      sql`update event_subscriptions set
            snapshot = ${p.snapshot}, target = ${p.target}, after_id = ${p.afterId}, attempts = ${p.attempts},
            retry_at = ${p.retryAt ? p.retryAt.toISOString() : null}::timestamptz,
            head_event_id = ${extra.headEventId ?? null}::bigint, head_org_id = ${extra.headOrgId ?? null}::uuid, last_error = ${extra.lastError ?? null},
            handled = handled + ${extra.handled ?? 0}, retries = retries + ${extra.retries ?? 0}, dead_lettered = dead_lettered + ${extra.dead ?? 0},
            version = version + 1, updated_at = now()
          where name = ${name} and version = ${p.version}
          returning version`,
    );
    if (!rows[0]) throw new PositionLost();
    p.version = Number(rows[0].version);
  }

  function contextFor(name: string, e: DeliveredEvent, attempt: number, replay: boolean): DeliveryContext {
    return {
      subscription: name,
      deliveryId: `${name}:${e.id}`,
      attempt,
      replay,
      once: <T>(fn: (tx: Tx) => Promise<T>) =>
        inOrg(db, e.orgId, async (tx): Promise<OnceResult<T>> => {
          const fresh = await queryRows(
            tx,
            sql`insert into event_receipts (subscription, event_id, org_id) values (${name}, ${e.id}, ${e.orgId}) on conflict do nothing returning 1 as ok`,
          );
          if (fresh.length === 0) return { ran: false };
          return { ran: true, value: await fn(tx) };
        }),
    };
  }

  async function deliver(d: { name: string; handler: SubscriptionHandler }, e: DeliveredEvent, attempt: number, replay: boolean): Promise<unknown> {
    try {
      await d.handler(e, contextFor(d.name, e, attempt, replay));
      return null;
    } catch (err) {
      return err ?? new Error('handler failed');
    }
  }

  /** Dead letters an admin queued for replay: delivered before the subscription goes on. */
  async function replayQueued(d: Registered) {
    const queued = await queryRows<EventRow & { dl_id: string; attempts: number }>(
      db,
      sql`select id as dl_id, event_id as id, org_id, topic, event_type as type, payload, visibility, event_created_at as created_at, attempts
          from event_dead_letters where subscription = ${d.name} and status = 'queued' order by event_id limit ${batchSize}`,
    );
    for (const q of queued) {
      if (runner.stopped) return;
      const e = toEvent(q);
      const err = await deliver(d, e, q.attempts + 1, true);
      if (err === null) {
        await db.execute(sql`update event_dead_letters set status = 'replayed', replayed_at = ${new Date(clock()).toISOString()}::timestamptz where id = ${q.dl_id} and status = 'queued'`);
        opts.log.info({ subscription: d.name, eventId: e.id, type: e.type }, 'dead letter replayed');
      } else {
        await db.execute(sql`update event_dead_letters set status = 'dead', attempts = attempts + 1, last_error = ${errorText(err)},
                               dead_at = ${new Date(clock()).toISOString()}::timestamptz where id = ${q.dl_id} and status = 'queued'`);
        opts.log.warn({ subscription: d.name, eventId: e.id, type: e.type, err: errorText(err) }, 'dead letter replay failed');
      }
    }
  }

  /** Handles what is due for one subscription, under its lock; false when it should run again soon. */
  async function drainOne(d: Registered): Promise<boolean> {
    const lock = await database.holdLock(`imsop:subscription:${d.name}`);
    if (!lock) return true; // another instance works on it now
    try {
      await replayQueued(d);
      const p = await readPosition(d.name);
      if (p.retryAt && p.retryAt.getTime() > clock()) return true;
      for (let batches = 0; batches < 20; batches++) {
        if (runner.stopped) return true;
        if (!p.target) {
          const [snap] = await queryRows<{ s: string }>(db, sql`select pg_current_snapshot()::text as s`);
          p.target = snap!.s;
          p.afterId = 0;
        }
        const rows = await queryRows<EventRow>(
          db,
          sql`select e.id, e.org_id, e.topic, e.type, e.payload, e.visibility, e.created_at from events e
              where ${notIn(p.snapshot)}
                and e.tx < pg_snapshot_xmax(${p.target}::pg_snapshot) and pg_visible_in_snapshot(e.tx, ${p.target}::pg_snapshot)
                and e.id > ${p.afterId} and ${typeIn(d.types)}
              order by e.id limit ${batchSize}`,
        );
        if (rows.length === 0) {
          // The batch is done: the target becomes the position. A new target is taken next time.
          const caughtUp = p.snapshot === p.target;
          p.snapshot = p.target;
          p.target = null;
          p.afterId = 0;
          if (!caughtUp) await writePosition(db, d.name, p);
          return true;
        }
        for (const row of rows) {
          if (runner.stopped) return true;
          const e = toEvent(row);
          const attempt = p.attempts + 1;
          const err = await deliver(d, e, attempt, false);
          if (err === null) {
            p.afterId = e.id;
            p.attempts = 0;
            p.retryAt = null;
            await writePosition(db, d.name, p, { handled: 1 });
            continue;
          }
          const message = errorText(err);
          if (attempt >= d.maxAttempts) {
            // Given up: the event goes to the dead letters and the position moves past it, together.
            p.afterId = e.id;
            p.attempts = 0;
            p.retryAt = null;
            const deadAt = new Date(clock()).toISOString();
            await inSystem(db, async (tx) => {
              await tx.execute(sql`
                insert into event_dead_letters (id, org_id, subscription, event_id, event_type, topic, payload, visibility, event_created_at, attempts, last_error, dead_at, created_at)
                values (${newId()}, ${e.orgId}, ${d.name}, ${e.id}, ${e.type}, ${e.topic}, ${JSON.stringify(e.payload)}::jsonb, ${e.visibility ? JSON.stringify(e.visibility) : null}::jsonb, ${e.createdAt}::timestamptz,
                        ${attempt}, ${message}, ${deadAt}::timestamptz, ${deadAt}::timestamptz)
                on conflict (subscription, event_id) do nothing`);
              await writePosition(tx, d.name, p, { retries: 1, dead: 1 });
            });
            opts.log.warn({ subscription: d.name, eventId: e.id, type: e.type, attempts: attempt, err: message }, 'event dead-lettered');
            continue;
          }
          p.attempts = attempt;
          p.retryAt = new Date(clock() + d.backoff(attempt));
          await writePosition(db, d.name, p, { headEventId: e.id, headOrgId: e.orgId, lastError: message, retries: 1 });
          opts.log.warn({ subscription: d.name, eventId: e.id, type: e.type, attempt, retryAt: p.retryAt.toISOString(), err: message }, 'event handler failed; will retry');
          return true;
        }
      }
      return false; // more than 20 batches waiting: give the others a turn, then come back
    } catch (err) {
      if (err instanceof PositionLost) return true; // another instance moved it; it goes on from there
      throw err;
    } finally {
      await lock.release();
    }
  }

  /**
   * Names of the subscriptions with something to do now (new events or a batch in progress, unless
   * a retry is not due yet; queued replays), without taking locks.
   */
  async function withWork(): Promise<string[]> {
    const names = [...defs.keys()];
    if (names.length === 0) return [];
    const rows = await queryRows<{ name: string }>(
      db,
      sql`select s.name from event_subscriptions s
          where s.name in (select jsonb_array_elements_text(${JSON.stringify(names)}::jsonb))
            and (((s.retry_at is null or s.retry_at <= ${new Date(clock()).toISOString()}::timestamptz)
                  and (s.target is not null
                    or exists (select 1 from events e where (e.tx >= pg_snapshot_xmax(s.snapshot::pg_snapshot) or e.tx in (select pg_snapshot_xip(s.snapshot::pg_snapshot))) and not e.copy and e.type = any(s.types))))
              or exists (select 1 from event_dead_letters d where d.subscription = s.name and d.status = 'queued'))`,
    );
    return rows.map((r) => r.name);
  }

  async function pass(): Promise<void> {
    if (!rowsReady) {
      await ensureRows();
      rowsReady = true;
    }
    const due = await withWork();
    let more = false;
    for (const name of due) {
      if (runner.stopped) return;
      if (!(await drainOne(defs.get(name)!))) more = true;
    }
    if (more) runner.again();
  }

  const runner = createPassRunner(() => pass(), {
    report: opts.report,
    onError: (err) => opts.log.warn({ err: errorText(err) }, 'event subscriptions pass failed'),
  });
  const kick = runner.kick;

  bus.subscribe(CHANNEL_OUTBOX, () => void kick());
  bus.subscribe(CHANNEL_SUBSCRIPTIONS, () => void kick());

  /** Per subscription: its counters and what waits for it, platform-wide (metrics) or of one org (the console). */
  async function stats(orgId?: string): Promise<SubscriptionStats[]> {
    const names = [...defs.keys()];
    if (names.length === 0) return [];
    const rows = await queryRows<{
      name: string;
      types: string[];
      snapshot: string;
      target: string | null;
      after_id: string | number;
      attempts: number;
      retry_at: string | Date | null;
      last_error: string | null;
      head_event_id: string | number | null;
      head_org_id: string | null;
      handled: string | number;
      retries: string | number;
      dead_lettered: string | number;
    }>(db, sql`select * from event_subscriptions where name in (select jsonb_array_elements_text(${JSON.stringify(names)}::jsonb)) order by name`);
    const now = clock();
    const out: SubscriptionStats[] = [];
    for (const r of rows) {
      // Pending: not visible in the position, and not handled yet within the batch in progress.
      const pendingSql = sql`${notIn(r.snapshot)} and ${typeIn(r.types)}
        and not (${r.target}::text is not null and e.tx < pg_snapshot_xmax(${r.target}::pg_snapshot)
                 and pg_visible_in_snapshot(e.tx, ${r.target}::pg_snapshot) and e.id <= ${Number(r.after_id)})`;
      const read = async (tx: Tx | Database['db']) => {
        const [lag] = await queryRows<{ n: number; oldest: string | Date | null }>(
          tx,
          sql`select count(*)::int as n, min(e.created_at) as oldest from events e where ${pendingSql} ${orgId ? sql`and e.org_id = ${orgId}` : sql``}`,
        );
        const [dead] = await queryRows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from event_dead_letters where subscription = ${r.name} and status <> 'replayed' ${orgId ? sql`and org_id = ${orgId}` : sql``}`,
        );
        return { pending: lag?.n ?? 0, oldest: lag?.oldest ?? null, dead: dead?.n ?? 0 };
      };
      const seen = orgId ? await inOrg(db, orgId, read) : await read(db);
      // An org sees the retry details only of its own event; another org's failing event shows as a retry without them.
      const ownHead = !orgId || r.head_org_id === orgId;
      out.push({
        name: r.name,
        types: r.types,
        pending: seen.pending,
        lagMs: seen.oldest ? Math.max(0, now - new Date(seen.oldest).getTime()) : 0,
        attempts: r.attempts,
        retryAt: r.attempts > 0 && r.retry_at ? iso(r.retry_at) : null,
        lastError: r.attempts > 0 && ownHead ? r.last_error : null,
        headEventId: r.attempts > 0 && ownHead && r.head_event_id !== null ? Number(r.head_event_id) : null,
        headOrgId: r.attempts > 0 && ownHead ? r.head_org_id : null,
        handled: Number(r.handled),
        retries: Number(r.retries),
        deadLettered: Number(r.dead_lettered),
        deadLetters: seen.dead,
      });
    }
    return out;
  }

  return {
    register,
    /** The registered subscriptions' names and event types. */
    list: () => [...defs.values()].map((d) => ({ name: d.name, types: d.types, maxAttempts: d.maxAttempts })),
    has: (name: string) => defs.has(name),
    async start() {
      if (runner.started) return;
      await ensureRows();
      rowsReady = true;
      runner.start(pollMs);
    },
    /** Waits for the pass in progress; nothing starts after. */
    stop: () => runner.stop(),
    /** Handles whatever is due now, to the end (tests; retries wait for the clock). */
    async flush() {
      await runner.drain();
    },
    stats,
    /** Wakes the runners of every instance (after a replay was queued). */
    wake() {
      bus.publish(CHANNEL_SUBSCRIPTIONS, {});
    },
  };
}

export type Subscriptions = ReturnType<typeof createSubscriptions>;

/**
 * On /metrics, per subscription (label `subscription`): the events waiting and the age of the
 * oldest, retries, dead letters waiting for an admin, and the totals handled and dead-lettered. Read
 * from the database at each scrape (one read serves all six), so every instance reports the same.
 */
export function registerSubscriptionMetrics(registry: Registry, subscriptions: Subscriptions) {
  const per = seriesPer<SubscriptionStats>('subscription', (s) => s.name);
  const labelNames = ['subscription'];
  scrapedMetrics(registry, () => subscriptions.stats(), [
    { name: 'imsop_event_subscription_lag_events', help: 'Committed events of its types the subscription has not handled yet', labelNames, series: per((s) => s.pending) },
    { name: 'imsop_event_subscription_lag_seconds', help: 'Age of the oldest event the subscription has not handled yet', labelNames, series: per((s) => s.lagMs / 1000) },
    { name: 'imsop_event_subscription_dead_letters', help: 'Dead letters of the subscription not replayed yet', labelNames, series: per((s) => s.deadLetters) },
    { kind: 'counter', name: 'imsop_event_subscription_handled_total', help: 'Events the subscription handled', labelNames, series: per((s) => s.handled) },
    { kind: 'counter', name: 'imsop_event_subscription_retries_total', help: 'Failed deliveries of the subscription (each failed attempt)', labelNames, series: per((s) => s.retries) },
    { kind: 'counter', name: 'imsop_event_subscription_dead_lettered_total', help: 'Events the subscription gave up on after its attempts', labelNames, series: per((s) => s.deadLettered) },
  ]);
}
