import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/platform/db/client.ts';
import { newId } from '../src/platform/db/ids.ts';
import { pruneOutbox } from '../src/platform/events/retention.ts';
import { bearer, createTestApp, type TestApp } from './helpers.ts';

const DAY = 86_400_000;
const RETENTION = { eventsDays: 7, deadLettersDays: 30 };

/**
 * Outbox retention against the real outbox: it never takes an event a durable subscription still
 * waits for, drops the receipts of what subscriptions have passed, and keeps dead letters until
 * they were replayed (and some time after).
 */
describe('outbox retention', () => {
  let t: TestApp;
  let opId: string;

  beforeAll(async () => {
    t = await createTestApp();
    const subs = t.app.platform.subscriptions;
    subs.register({ name: 'test.retention-done', types: ['operation.created'], handler: async (_e, ctx) => void (await ctx.once(async () => undefined)) });
    // Stuck on every update: it waits for its first one for as long as the test runs.
    subs.register({
      name: 'test.retention-stuck',
      types: ['operation.updated'],
      maxAttempts: 1000,
      backoff: () => 3_600_000,
      handler: async () => {
        throw new Error('downstream down');
      },
    });
    const created = await t.inject({ method: 'POST', url: '/api/operations', headers: bearer(t.adminToken), payload: { name: 'Kept a while' } });
    expect(created.statusCode, created.body).toBe(201);
    opId = created.json().id;
    const updated = await t.inject({ method: 'PATCH', url: `/api/operations/${opId}`, headers: bearer(t.adminToken), payload: { name: 'Kept longer' } });
    expect(updated.statusCode, updated.body).toBe(200);
    await subs.flush();
  });
  afterAll(async () => t?.close());

  const db = () => t.database.db;
  const events = async () =>
    queryRows<{ type: string; copy: boolean }>(
      db(),
      sql`select type, copy from events where payload->'operation'->>'id' = ${opId} order by id`,
    );
  const receipts = async () => (await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from event_receipts where subscription = 'test.retention-done'`))[0]!.n;

  it('keeps everything younger than the retention', async () => {
    const before = await events();
    expect(before.map((e) => e.type)).toEqual(['operation.created', 'operation.created', 'operation.updated', 'operation.updated']);
    expect(await receipts()).toBeGreaterThan(0);
    const gone = await pruneOutbox(db(), Date.now() + 6 * DAY, RETENTION);
    expect(gone).toMatchObject({ events: 0, receipts: 0 });
    expect(await events()).toEqual(before);
  });

  it('past it, drops handled events and their receipts, and keeps the event a subscription still waits for', async () => {
    const gone = await pruneOutbox(db(), Date.now() + 8 * DAY, { ...RETENTION, batch: 1 });
    expect(gone.events).toBeGreaterThanOrEqual(3);
    // The update's copy (on the operation's own topic) is handed to no durable subscription.
    expect(await events()).toEqual([{ type: 'operation.updated', copy: false }]);
    expect(await receipts()).toBe(0);
  });

  it('keeps dead letters until they were replayed, and replayed ones for their own retention', async () => {
    const [org] = await queryRows<{ id: string }>(db(), sql`select id from organizations where slug = 'default'`);
    const orgId = org!.id;
    const letter = async (status: 'dead' | 'replayed') => {
      const id = newId();
      await db().execute(sql`insert into event_dead_letters (id, org_id, subscription, event_id, event_type, topic, payload, event_created_at, attempts, last_error, status, dead_at, replayed_at, created_at)
        values (${id}, ${orgId}, 'test.retention-done', ${Math.floor(Math.random() * 1e9)}, 'operation.created', 'operations', '{}'::jsonb, now(), 5, 'boom', ${status}, now(), ${status === 'replayed' ? sql`now()` : sql`null`}, now())`);
      return id;
    };
    const dead = await letter('dead');
    const replayed = await letter('replayed');
    const left = async () => (await queryRows<{ id: string }>(db(), sql`select id from event_dead_letters where id in (${dead}, ${replayed})`)).map((r) => r.id).sort();
    expect((await pruneOutbox(db(), Date.now() + 29 * DAY, RETENTION)).deadLetters).toBe(0);
    expect(await left()).toEqual([dead, replayed].sort());
    expect((await pruneOutbox(db(), Date.now() + 31 * DAY, RETENTION)).deadLetters).toBe(1);
    expect(await left()).toEqual([dead]);
  });

  it('runs as an hourly platform schedule', async () => {
    const states = await t.app.platform.jobs.scheduleStates();
    expect(states.find((s) => s.name === 'platform.outbox.retention')).toMatchObject({ job: 'platform.outbox.retention', spec: expect.stringContaining('3600000') });
  });
});
