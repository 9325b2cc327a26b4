import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './client.ts';

/**
 * PGlite runs on the event-loop thread; client.ts makes its statements wait a turn of the event
 * loop after PGlite has held the thread for a while, so I/O is served during a backlog. (That it
 * keeps statements in order is what test/durability.test.ts relies on: the ingest writer's
 * transactions deadlock if a later one starts first.)
 */
let database: Database;
beforeAll(async () => {
  database = await openDatabase({ dataDir: null });
});
afterAll(async () => database?.close());

describe('PGlite statements and the event loop', () => {
  it('let timers run while the statements of many requests drain', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    // 50 "requests" of 60 statements each, every statement issued when the previous one is done:
    // without yielding, the whole backlog would run in microtasks and the timer would not fire.
    let firedDuring = -1;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let k = 0; k < 60; k++) await database.db.execute(sql`select ${k}::int as n`);
      }),
    ).then(() => {
      firedDuring = ticks;
    });
    clearInterval(timer);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThan(50);
    // Without the turns the timer fires 0 times during the drain; with them about once per 10 ms
    // slice. Asserted as a count rather than a rate, since a busy machine stretches wall time.
    expect(firedDuring).toBeGreaterThanOrEqual(10);
  });
});
