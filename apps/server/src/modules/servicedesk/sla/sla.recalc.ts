/**
 * Recalculating the clocks of an org's open tickets after a calendar or policy edit, in chunks of
 * tickets in id order, on the caller's transaction.
 *
 * The work is pipelined: the connection runs one query at a time (its "lane"), and while Node
 * computes chunk i the database writes chunk i−1 and reads chunk i+1. The compute yields to I/O now
 * and then, so that the lane's next query goes out as soon as the previous one is done. Reads return
 * instants as epoch milliseconds and only the timeline kinds the clocks use, so Node parses little.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { queryRows, type Tx } from '../../../platform/db/client.ts';
import { newId } from '../../../platform/db/ids.ts';
import { clocksOf, firingKey, loadSetup, policyFor, type ClockRow, type ClockTicket, type Firing, type SlaSetup } from './sla.setup.ts';
import { OPEN_STATUSES } from '../tickets/tickets.transitions.ts';

const CHUNK = 5000;
/** Tickets computed between two yields to I/O. */
const SLICE = 100;
/** Timeline kinds that move a clock (see timelineFor); the others (assignments, firings…) are not read. */
const CLOCK_KINDS = ['created', 'status', 'priority', 'agent_reply', 'internal_note', 'customer_reply', 'policy'];

/**
 * Where the time went. Node: computing, and waiting for the database (what the overlap did not
 * hide). The connection's lane: reading and writing, each from sending the query to its parsed result.
 */
export interface RecalcStats {
  setupMs: number;
  computeMs: number;
  waitMs: number;
  readMs: number;
  writeMs: number;
}

type OpenTicket = ClockTicket & { createdAt: number; storedPolicyId: string | null };
interface Chunk {
  tickets: OpenTicket[];
  rows: Map<string, ClockRow[]>;
  fired: Map<string, Set<string>>;
}
/** A ticket's new clocks; policy null when no policy applies any more (its row goes). */
interface Computed {
  id: string;
  policy: string | null;
  state: unknown;
  next: number | null;
  wake: number | null;
  /** When the ticket moved to another policy: the id of its `policy` timeline line, and the old policy. */
  line?: string;
  from?: string;
}

const open = sql.join(
  OPEN_STATUSES.map((s) => sql`${s}`),
  sql`, `,
);
const groupBy = <T, V>(items: T[], key: (item: T) => string, value: (item: T) => V) => {
  const out = new Map<string, V[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(value(item));
    else out.set(k, [value(item)]);
  }
  return out;
};

/**
 * The next `limit` open tickets after `after` (id order), with their timelines and firings. The join
 * repeats the lower bound: without it the merge join reads ticket_sla from its first row each time.
 */
async function fetchChunk(tx: Tx, orgId: string, after: string | null, limit: number): Promise<Chunk> {
  const tickets = await queryRows<OpenTicket>(
    tx,
    sql`select t.id, floor(extract(epoch from t.created_at) * 1000)::float8 as "createdAt", t.priority, t.category, t.channel,
               t.requester_email as "requesterEmail", t.tags, s.policy_id as "storedPolicyId"
        from tickets t left join ticket_sla s on s.ticket_id = t.id ${after === null ? sql`` : sql`and s.ticket_id > ${after}`}
        where t.org_id = ${orgId} and t.status in (${open}) ${after === null ? sql`` : sql`and t.id > ${after}`}
        order by t.id limit ${limit}`,
  );
  if (tickets.length === 0) return { tickets, rows: new Map(), fired: new Map() };
  // The chunk's ids as one array parameter (uuids need no quoting in an array literal): only the
  // open tickets' rows are read, not those of closed tickets between them.
  const ids = sql`${`{${tickets.map((t) => t.id).join(',')}}`}::uuid[]`;
  const ofChunk = sql`org_id = ${orgId} and ticket_id = any(${ids})`;
  const rows = await queryRows<ClockRow & { ticketId: string }>(
    tx,
    sql`select ticket_id as "ticketId", floor(extract(epoch from at) * 1000)::float8 as at, kind, data
        from ticket_timeline where ${ofChunk} and kind in (${sql.join(
          CLOCK_KINDS.map((k) => sql`${k}`),
          sql`, `,
        )})
        order by ticket_id, at, id`,
  );
  const fired = await queryRows<Firing & { ticketId: string }>(tx, sql`select ticket_id as "ticketId", kind, target, level, cycle from sla_firings where ${ofChunk}`);
  return {
    tickets,
    rows: groupBy(rows, (r) => r.ticketId, (r) => r),
    fired: new Map([...groupBy(fired, (f) => f.ticketId, firingKey)].map(([k, v]) => [k, new Set(v)])),
  };
}

const NONE = new Set<string>();

/** The chunk's clocks, as the JSON document writeChunk sends (serialised here, off the connection's lane). */
async function computeChunk(setup: SlaSetup, chunk: Chunk, now: number, stats: RecalcStats): Promise<string | null> {
  const out: Computed[] = [];
  let mark = performance.now();
  for (let i = 0; i < chunk.tickets.length; i++) {
    const t = chunk.tickets[i]!;
    const policy = policyFor(setup, t);
    if (policy) {
      // A ticket that now falls under another policy changes policy at this instant, as in sync():
      // a `policy` line on its timeline, so outcomes reached under the old one stay.
      const moved = t.storedPolicyId !== null && t.storedPolicyId !== policy.id;
      let rows = chunk.rows.get(t.id) ?? [];
      if (moved) rows = [...rows, { at: now, kind: 'policy', data: { policyId: policy.id, from: t.storedPolicyId } }];
      const { state, next, wake } = clocksOf(setup, t, policy, rows, chunk.fired.get(t.id) ?? NONE, t.storedPolicyId, now);
      out.push({ id: t.id, policy: policy.id, state, next, wake, ...(moved ? { line: newId(), from: t.storedPolicyId! } : {}) });
    } else if (t.storedPolicyId !== null) {
      out.push({ id: t.id, policy: null, state: null, next: null, wake: null });
    }
    if (i % SLICE === SLICE - 1) {
      stats.computeMs += performance.now() - mark;
      await yieldToIo();
      mark = performance.now();
    }
  }
  const doc = out.length ? JSON.stringify(out) : null;
  stats.computeMs += performance.now() - mark;
  return doc;
}

/**
 * One JSON document per chunk, unpacked by PostgreSQL: one parameter, parsed once. Rows that exist
 * are updated (cheaper than an upsert's conflict path), the few tickets without one get inserted,
 * and tickets no policy applies to any more lose theirs.
 */
async function writeChunk(tx: Tx, orgId: string, doc: string | null, now: number) {
  if (doc === null) return;
  await tx.execute(sql`
    with v as materialized (
      select v.id, v.policy, v.state, to_timestamp(v.next / 1000.0) as next, to_timestamp(v.wake / 1000.0) as wake, v.line, v."from"
      from jsonb_to_recordset(${doc}::jsonb) as v(id uuid, policy uuid, state jsonb, next float8, wake float8, line uuid, "from" uuid)
    ), moved as (
      insert into ticket_timeline (id, org_id, ticket_id, at, kind, data)
      select v.line, ${orgId}::uuid, v.id, ${new Date(now)}, 'policy', jsonb_build_object('policyId', v.policy, 'from', v."from")
      from v where v.line is not null
    ), removed as (
      delete from ticket_sla s using v where s.ticket_id = v.id and s.org_id = ${orgId} and v.policy is null
    ), updated as (
      update ticket_sla s set policy_id = v.policy, state = v.state, next_due_at = v.next, wake_at = v.wake
      from v where s.ticket_id = v.id and s.org_id = ${orgId} and v.policy is not null
      returning s.ticket_id
    )
    insert into ticket_sla (ticket_id, org_id, policy_id, state, next_due_at, wake_at)
    select v.id, ${orgId}::uuid, v.policy, v.state, v.next, v.wake from v
    where v.policy is not null and v.id not in (select ticket_id from updated)
    on conflict (ticket_id) do update set policy_id = excluded.policy_id, state = excluded.state, next_due_at = excluded.next_due_at, wake_at = excluded.wake_at`);
}

/**
 * Runs async operations one after another, as one database connection runs one query at a time,
 * without queueing on the driver. After the first failure the operations still queued are refused
 * with it; `drain` settles once nothing runs and rejects with that first failure.
 */
export function serialLane() {
  let tail: Promise<unknown> = Promise.resolve();
  let failure: { error: unknown } | null = null;
  return {
    run<T>(op: () => Promise<T>): Promise<T> {
      const p = tail.then(() => (failure ? Promise.reject(failure.error) : op()));
      tail = p.catch((error: unknown) => {
        failure ??= { error };
      });
      return p;
    },
    async drain(): Promise<void> {
      await tail;
      if (failure) throw failure.error;
    },
  };
}

export interface RecalcOptions {
  /** The instant clocks are evaluated at (default: now). */
  now?: number;
  /** Filled in with where the time went. */
  stats?: RecalcStats;
  /** Tickets per chunk (default 5,000). */
  chunkSize?: number;
}

/** Recomputes and stores the clocks of every open ticket of the org; returns how many are open. */
export async function recalculateOpen(tx: Tx, orgId: string, options: RecalcOptions = {}): Promise<number> {
  const { now = Date.now(), stats = { setupMs: 0, computeMs: 0, waitMs: 0, readMs: 0, writeMs: 0 }, chunkSize = CHUNK } = options;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer (got ${chunkSize})`);
  let t0 = performance.now();
  const setup = await loadSetup(tx, orgId);
  stats.setupMs += performance.now() - t0;
  if (!setup) {
    await tx.execute(sql`delete from ticket_sla where org_id = ${orgId}`);
    const [r] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from tickets where org_id = ${orgId} and status in (${open})`);
    return r?.n ?? 0;
  }
  const lane = serialLane();
  const timed =
    <T>(phase: 'readMs' | 'writeMs', op: () => Promise<T>) =>
    async () => {
      const start = performance.now();
      try {
        return await op();
      } finally {
        stats[phase] += performance.now() - start;
      }
    };

  let count = 0;
  try {
    let next = lane.run(timed('readMs', () => fetchChunk(tx, orgId, null, chunkSize)));
    for (;;) {
      t0 = performance.now();
      const chunk = await next;
      stats.waitMs += performance.now() - t0;
      count += chunk.tickets.length;
      const more = chunk.tickets.length === chunkSize;
      const last = chunk.tickets[chunk.tickets.length - 1]?.id ?? null;
      if (more) next = lane.run(timed('readMs', () => fetchChunk(tx, orgId, last, chunkSize)));
      const doc = await computeChunk(setup, chunk, now, stats);
      void lane.run(timed('writeMs', () => writeChunk(tx, orgId, doc, now)));
      if (!more) break;
    }
  } finally {
    t0 = performance.now();
    // Nothing may still run on the connection when this returns or throws.
    await lane.drain().catch(() => undefined);
    stats.waitMs += performance.now() - t0;
  }
  await lane.drain();
  return count;
}
