import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localBus } from '../src/platform/bus/bus.ts';
import { inOrg } from '../src/platform/db/scope.ts';
import { createDispatcher, type DeliveredEvent } from '../src/platform/events/dispatcher.ts';
import { publishEvents } from '../src/platform/events/outbox.ts';
import { freshDatabase, PG_URL, until, type TestDatabase } from './helpers.ts';

/**
 * The live dispatcher at a hole in the id sequence. The gap timeout is set far beyond the test, so
 * whatever is delivered here is delivered because the hole was settled, not because time ran out.
 */
describe('the live dispatcher at a hole in the id sequence', () => {
  let fresh: TestDatabase;
  const org = crypto.randomUUID();
  beforeAll(async () => {
    fresh = await freshDatabase();
    await fresh.database.migrate();
  });
  afterAll(async () => fresh?.drop());

  const publish = (type: string) => inOrg(fresh.database.db, org, (tx) => publishEvents(tx, [{ orgId: org, topic: 'test', type, payload: {} }]));

  it('goes past a rolled-back insert as soon as no transaction that could fill it is running', async () => {
    const d = createDispatcher(fresh.database.db, localBus(), { gapTimeoutMs: 600_000, pollMs: 60_000 });
    await d.start();
    const seen: DeliveredEvent[] = [];
    d.subscribe((e) => void seen.push(e));
    try {
      await fresh.database.db
        .transaction(async (tx) => {
          await publishEvents(tx, [{ orgId: org, topic: 'test', type: 'test.rolled_back', payload: {} }]);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      await publish('test.after');
      await until(async () => {
        await d.flush();
        return seen.length === 1;
      });
      expect(seen.map((e) => e.type)).toEqual(['test.after']);
    } finally {
      d.stop();
    }
  });

  it.skipIf(!PG_URL)('waits for a transaction that holds an earlier id, then delivers in id order (PostgreSQL)', async () => {
    const d = createDispatcher(fresh.database.db, localBus(), { gapTimeoutMs: 600_000, pollMs: 60_000 });
    await d.start();
    const seen: string[] = [];
    d.subscribe((e) => void seen.push(e.type));
    const late = new pg.Client({ connectionString: fresh.url });
    await late.connect();
    try {
      await late.query('begin');
      await late.query(`insert into events (org_id, topic, type, payload) values ($1, 'test', 'test.late', '{}')`, [org]);
      await publish('test.after_late');
      // Read several times: the hole stays open while its transaction runs.
      for (let i = 0; i < 5; i++) {
        await d.flush();
        await new Promise((r) => setTimeout(r, 60));
      }
      expect(seen).toEqual([]);
      await late.query('commit');
      await until(async () => {
        await d.flush();
        return seen.length === 2;
      });
      expect(seen).toEqual(['test.late', 'test.after_late']);
    } finally {
      await late.end();
      d.stop();
    }
  });
});
