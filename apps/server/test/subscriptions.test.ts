import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localBus } from '../src/platform/bus/bus.ts';
import { openDatabase, queryRows, type Database } from '../src/platform/db/client.ts';
import { inOrg } from '../src/platform/db/scope.ts';
import { publishEvents } from '../src/platform/events/outbox.ts';
import { createSubscriptions, type DeliveredEvent, type SubscriptionDefinition, type Subscriptions } from '../src/platform/events/subscriptions.ts';
import { sql } from 'drizzle-orm';
import { freshDatabase, PG_URL, type TestDatabase } from './helpers.ts';

const silent = { info: () => undefined, warn: () => undefined };

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2030-01-07T10:00:00Z')) {
  let now = start;
  const clock = () => now;
  clock.advance = (ms: number) => (now += ms);
  return clock;
}

async function publish(database: Database, orgId: string, ...types: string[]) {
  await inOrg(database.db, orgId, (tx) => publishEvents(tx, types.map((type, i) => ({ orgId, topic: 'test', type, payload: { n: i, type } }))));
}

const ids = (list: DeliveredEvent[]) => list.map((e) => e.id);

describe('durable subscriptions', () => {
  let fresh: TestDatabase;
  let database: Database;
  const running: Subscriptions[] = [];
  const org = crypto.randomUUID();
  const otherOrg = crypto.randomUUID();

  beforeAll(async () => {
    fresh = await freshDatabase();
    database = fresh.database;
    await database.migrate();
  });
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
  });
  afterAll(async () => fresh?.drop());

  async function subscriptions(defs: SubscriptionDefinition[], clock = manualClock()) {
    const s = createSubscriptions({ database, bus: localBus(), clock, log: silent, pollMs: 60_000 });
    for (const d of defs) s.register(d);
    await s.start();
    running.push(s);
    return s;
  }

  it('hands over each committed event of its types once, in order, starting from its creation', async () => {
    await publish(database, org, 'test.before');
    const seen: DeliveredEvent[] = [];
    const s = await subscriptions([{ name: 'test.basic', types: ['test.a', 'test.before'], handler: async (e) => void seen.push(e) }]);
    await publish(database, org, 'test.a', 'test.b', 'test.a');
    await publish(database, otherOrg, 'test.a');
    await s.flush();
    expect(seen.map((e) => [e.type, e.orgId])).toEqual([
      ['test.a', org],
      ['test.a', org],
      ['test.a', otherOrg],
    ]);
    expect(ids(seen)).toEqual([...ids(seen)].sort((a, b) => a - b));
    await s.flush();
    expect(seen).toHaveLength(3);
    const [st] = await s.stats();
    expect(st).toMatchObject({ name: 'test.basic', pending: 0, handled: 3, attempts: 0, deadLetters: 0 });
  });

  it('keeps its position across a restart: only what it has not handled is handed over', async () => {
    const seen: number[] = [];
    const def = { name: 'test.restart', types: ['test.r'], handler: async (e: DeliveredEvent) => void seen.push(e.payload.n as number) };
    const first = await subscriptions([def]);
    await publish(database, org, 'test.r', 'test.r');
    await first.flush();
    await first.stop();
    await publish(database, org, 'test.r', 'test.r', 'test.r');
    const second = await subscriptions([def]);
    expect((await second.stats())[0]).toMatchObject({ pending: 3 });
    await second.flush();
    expect(seen).toEqual([0, 1, 0, 1, 2]);
  });

  it('retries a failing event with back-off on its clock, holding back the ones after it, then dead-letters it', async () => {
    const clock = manualClock();
    const seen: string[] = [];
    let failing = true;
    const s = await subscriptions(
      [
        {
          name: 'test.poison',
          types: ['test.p'],
          maxAttempts: 3,
          backoff: (n) => n * 10_000,
          handler: async (e, ctx) => {
            if (failing && e.payload.n === 0) throw new Error(`poisoned (attempt ${ctx.attempt})`);
            seen.push(`${e.payload.n}${ctx.replay ? ' replayed' : ''}`);
          },
        },
      ],
      clock,
    );
    await publish(database, org, 'test.p', 'test.p');
    await s.flush();
    expect(seen).toEqual([]);
    let [st] = await s.stats();
    expect(st).toMatchObject({ attempts: 1, lastError: 'poisoned (attempt 1)', pending: 2, retries: 1 });
    expect(st!.retryAt).toBe(new Date(clock() + 10_000).toISOString());
    // Not due yet: nothing happens.
    clock.advance(9_999);
    await s.flush();
    expect((await s.stats())[0]!.attempts).toBe(1);
    clock.advance(1);
    await s.flush();
    [st] = await s.stats();
    expect(st).toMatchObject({ attempts: 2, lastError: 'poisoned (attempt 2)' });
    expect(st!.retryAt).toBe(new Date(clock() + 20_000).toISOString());
    clock.advance(20_000);
    await s.flush();
    // The third attempt failed too: dead-lettered, and the next event went through.
    expect(seen).toEqual(['1']);
    [st] = await s.stats();
    expect(st).toMatchObject({ attempts: 0, retryAt: null, deadLetters: 1, deadLettered: 1, retries: 3, pending: 0, handled: 1 });
    const [dead] = await queryRows<{ id: string; status: string; attempts: number; last_error: string; event_type: string; org_id: string }>(
      database.db,
      sql`select * from event_dead_letters where subscription = 'test.poison'`,
    );
    expect(dead).toMatchObject({ status: 'dead', attempts: 3, last_error: 'poisoned (attempt 3)', event_type: 'test.p', org_id: org });

    // Fixed, then replayed: delivered once, marked replayed.
    failing = false;
    await database.db.execute(sql`update event_dead_letters set status = 'queued' where id = ${dead!.id}`);
    await s.flush();
    expect(seen).toEqual(['1', '0 replayed']);
    const [after] = await queryRows<{ status: string }>(database.db, sql`select status from event_dead_letters where id = ${dead!.id}`);
    expect(after!.status).toBe('replayed');
    expect((await s.stats())[0]!.deadLetters).toBe(0);
  });

  it('ctx.once runs the work once per delivery: a repeated delivery finds the receipt', async () => {
    const work: number[] = [];
    const outcomes: boolean[] = [];
    const s = await subscriptions([
      {
        name: 'test.once',
        types: ['test.o'],
        backoff: () => 0,
        handler: async (e, ctx) => {
          const r = await ctx.once(async (tx) => {
            await tx.execute(sql`select 1`);
            work.push(e.id);
            return e.id;
          });
          outcomes.push(r.ran);
          // The work committed, then the delivery failed before the position moved (as a crash would).
          if (ctx.attempt === 1) throw new Error('lost after the work');
        },
      },
    ]);
    await publish(database, org, 'test.o');
    await s.flush();
    await s.flush();
    expect(outcomes).toEqual([true, false]);
    expect(work).toHaveLength(1);
    const receipts = await inOrg(database.db, org, (tx) => queryRows<{ n: number }>(tx, sql`select count(*)::int as n from event_receipts where subscription = 'test.once'`));
    expect(receipts[0]!.n).toBe(1);
  });

  it('refuses a bad definition', async () => {
    const s = createSubscriptions({ database, bus: localBus(), log: silent });
    const handler = async () => undefined;
    expect(() => s.register({ name: 'Bad Name', types: ['a.b'], handler })).toThrow(/must match/);
    expect(() => s.register({ name: 'x.y', types: [], handler })).toThrow(/no event types/);
    expect(() => s.register({ name: 'x.y', types: ['nodot'], handler })).toThrow(/not an event type/);
    s.register({ name: 'x.y', types: ['a.b'], handler });
    expect(() => s.register({ name: 'x.y', types: ['a.b'], handler })).toThrow(/twice/);
  });
});

/**
 * Real PostgreSQL: several connections, so transactions really interleave. (On PGlite there is one
 * connection and transactions run one after another, so a late commit cannot happen there.)
 */
describe.skipIf(!PG_URL)('durable subscriptions on PostgreSQL', () => {
  let fresh: TestDatabase;
  let other: Database;
  const org = crypto.randomUUID();
  beforeAll(async () => {
    fresh = await freshDatabase();
    await fresh.database.migrate();
    other = await openDatabase({ url: fresh.url!, poolSize: 5 }); // a second instance's pool
  });
  afterAll(async () => {
    await other?.close();
    await fresh?.drop();
  });

  it('delivers an event whose transaction commits 10 s late, after the ones that committed meanwhile, and skips nothing', async () => {
    const seen: number[] = [];
    const s = createSubscriptions({ database: fresh.database, bus: localBus(), log: silent, pollMs: 100 });
    s.register({ name: 'late.commit', types: ['late.x'], handler: async (e) => void seen.push(e.id) });
    await s.start();
    try {
      // A transaction on its own connection takes its event id first and holds it.
      const late = new pg.Client({ connectionString: fresh.url });
      await late.connect();
      await late.query('begin');
      const [held] = (await late.query(`insert into events (org_id, topic, type, payload) values ($1, 'test', 'late.x', '{}') returning id`, [org])).rows as { id: string }[];
      const lateId = Number(held!.id);
      // Later ids commit meanwhile, and are delivered at once: nothing waits behind the open transaction.
      for (let i = 0; i < 5; i++) await publish(fresh.database, org, 'late.x');
      await s.flush();
      expect(seen).toHaveLength(5);
      expect(seen.every((id) => id > lateId)).toBe(true);
      await new Promise((r) => setTimeout(r, 10_000));
      await late.query('commit');
      await late.end();
      await publish(fresh.database, org, 'late.x');
      await s.flush();
      // Commit order: the five, then the late one, then the one after it.
      expect(seen).toHaveLength(7);
      expect(seen[5]).toBe(lateId);
      expect(seen[6]).toBeGreaterThan(seen[4]!);
      const all = await queryRows<{ id: string }>(fresh.database.db, sql`select id from events where type = 'late.x' order by id`);
      expect([...seen].sort((a, b) => a - b)).toEqual(all.map((r) => Number(r.id)));
    } finally {
      await s.stop();
    }
  }, 30_000);

  it('two instances handle each event exactly once between them, never the same subscription at once', async () => {
    const handledBy = new Map<number, string[]>();
    let inFlight = 0;
    let overlaps = 0;
    const make = (database: Database, who: string) => {
      const s = createSubscriptions({ database, bus: localBus(), log: silent, pollMs: 20, batchSize: 7 });
      s.register({
        name: 'two.instances',
        types: ['two.x'],
        handler: async (e) => {
          if (++inFlight > 1) overlaps++;
          handledBy.set(e.id, [...(handledBy.get(e.id) ?? []), who]);
          await new Promise((r) => setTimeout(r, Math.random() * 3));
          inFlight--;
        },
      });
      return s;
    };
    const a = make(fresh.database, 'a');
    const b = make(other, 'b');
    await a.start();
    await b.start();
    try {
      // Writers on both pools, concurrently, so ids and commits interleave.
      await Promise.all(
        Array.from({ length: 6 }, async (_, w) => {
          for (let i = 0; i < 25; i++) await publish(w % 2 ? other : fresh.database, org, 'two.x');
        }),
      );
      const expected = (await queryRows<{ id: string }>(fresh.database.db, sql`select id from events where type = 'two.x'`)).map((r) => Number(r.id));
      expect(expected).toHaveLength(150);
      const deadline = Date.now() + 20_000;
      while (handledBy.size < expected.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await Promise.all([a.flush(), b.flush()]);
      expect([...handledBy.keys()].sort((x, y) => x - y)).toEqual(expected.sort((x, y) => x - y));
      expect([...handledBy.values()].filter((who) => who.length !== 1)).toEqual([]);
      expect(overlaps).toBe(0);
      const whoWorked = new Set([...handledBy.values()].flat());
      expect(whoWorked.size).toBeGreaterThanOrEqual(1);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
