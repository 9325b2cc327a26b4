/**
 * Fault: PostgreSQL goes away while the server is serving, then comes back.
 *
 * - During the outage, requests that need the database fail fast (well under the 30 s request
 *   timeout) with 503 problem+json `database_unavailable` and `Retry-After`; liveness stays 200 and
 *   /api/ready reports the database down.
 * - `pg_ctl restart -m fast` under concurrent traffic produces only 2xx or 503, never a 500 or a
 *   hung request.
 * - Once PostgreSQL is back the same process recovers by itself: logins, writes, and the outbox
 *   dispatcher (a WebSocket subscriber hears new events again).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, sleep, type PrivatePostgres } from './services.ts';
import { call, eventually, login, operationsSubscriber, startServer, type Answer, type ServerProcess } from './server.ts';

let pg: PrivatePostgres;
let server: ServerProcess;

beforeAll(async () => {
  pg = await startPostgres();
  server = await startServer({ DATABASE_URL: pg.url });
});

afterAll(async () => {
  if (server?.crashed()) console.error(`the server died; its last output:\n${server.output().slice(-6000)}`);
  await server?.dispose();
  await pg?.destroy();
});

/** Asserts a fast 503 database_unavailable problem. */
function expectUnavailable(r: Answer, what: string) {
  expect(r.status, `${what}: ${r.text}`).toBe(503);
  expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(r.body.code).toBe('database_unavailable');
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  // The request timeout is 30 s; an outage must not hold requests anywhere near it.
  expect(r.ms, `${what} took ${r.ms.toFixed(0)} ms`).toBeLessThan(2_000);
}

describe('PostgreSQL restarted while serving', () => {
  it('fails fast with 503 during the outage and recovers by itself', async () => {
    const token = await login(server.base);
    const first = await call(server.base, 'POST', '/api/operations', { token, body: { name: 'Before the outage' } });
    expect(first.status).toBe(201);

    // A live subscriber, to prove the outbox dispatcher resumes after the outage.
    const { ws, heard } = await operationsSubscriber(server.base, token);

    await pg.stop('fast');
    const outageStarted = Date.now();

    expectUnavailable(await call(server.base, 'GET', '/api/operations', { token }), 'GET /api/operations');
    expectUnavailable(await call(server.base, 'POST', '/api/operations', { token, body: { name: 'During' } }), 'POST /api/operations');
    expectUnavailable(
      await call(server.base, 'POST', '/api/auth/login', { body: { email: 'admin@faults.test', password: 'whatever-password' } }),
      'POST /api/auth/login',
    );
    const ready = await call(server.base, 'GET', '/api/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not ready', checks: { database: 'unreachable' } });
    expect((await call(server.base, 'GET', '/api/health')).status).toBe(200);

    // The outage lasts a few seconds, long enough for every background loop to hit it.
    while (Date.now() - outageStarted < 4_000) {
      expectUnavailable(await call(server.base, 'GET', '/api/operations', { token }), 'GET /api/operations');
      await sleep(250);
    }
    expect(server.alive()).toBe(true);

    await pg.start();
    await eventually('/api/ready = 200', () => call(server.base, 'GET', '/api/ready'), (r) => r.status === 200, 20_000);
    // A new login and a new write on the same process, with no restart.
    const token2 = await login(server.base);
    const after = await call(server.base, 'POST', '/api/operations', { token: token2, body: { name: 'After the outage' } });
    expect(after.status).toBe(201);
    const list = await call(server.base, 'GET', '/api/operations?limit=200', { token: token2 });
    expect((list.body.data as { name: string }[]).map((o) => o.name).sort()).toEqual(['After the outage', 'Before the outage']);
    await eventually('the subscriber hears the new operation', async () => heard, (h) => h.includes('After the outage'), 10_000);
    ws.close();
  });

  it('answers only 2xx or 503 while PostgreSQL restarts under load (never 500, never a hang)', async () => {
    const token = await login(server.base);
    const statuses = new Map<number, number>();
    let slowest = 0;
    let stop = false;
    const worker = async (n: number) => {
      let i = 0;
      while (!stop) {
        const r =
          i++ % 2
            ? await call(server.base, 'GET', '/api/operations?limit=20', { token })
            : await call(server.base, 'POST', '/api/operations', { token, body: { name: `load ${n}-${i}` } });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        slowest = Math.max(slowest, r.ms);
        if (r.status === 503) {
          expect(r.body.code).toBe('database_unavailable');
          await sleep(50);
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, n) => worker(n));
    await sleep(1_000);
    await pg.restart('fast');
    await sleep(2_000);
    stop = true;
    await Promise.all(workers);

    const summary = Object.fromEntries(statuses);
    const bad = [...statuses.keys()].filter((s) => !(s >= 200 && s < 300) && s !== 503);
    expect(bad, JSON.stringify(summary)).toEqual([]);
    expect(statuses.get(201) ?? 0).toBeGreaterThan(0);
    expect(slowest, `slowest answer ${slowest.toFixed(0)} ms (${JSON.stringify(summary)})`).toBeLessThan(6_000);
    // Recovered: the next write succeeds.
    expect((await call(server.base, 'POST', '/api/operations', { token, body: { name: 'after restart' } })).status).toBe(201);
    console.log(`restart under load: answers by status ${JSON.stringify(summary)}, slowest ${slowest.toFixed(0)} ms`);
  });

  it('stayed up, logged no unhandled error, and throttled its warnings', () => {
    expect(server.alive()).toBe(true);
    const recs = server.records();
    const text = server.output();
    expect(text).not.toMatch(/unhandled ?rejection|uncaught ?exception/i);
    expect(recs.filter((r) => r.msg === 'unhandled error')).toEqual([]);
    // Background loops report an outage once (and its end), not once per retry.
    const warnings = recs.filter((r) => r.level >= 40);
    console.log(`warnings logged over both outages:\n${warnings.map((r) => `  ${r.msg}`).join('\n')}`);
    const loopWarnings = warnings.filter((r) => /dispatch|maintenance|background/.test(r.msg));
    expect(loopWarnings.length).toBeGreaterThan(0);
    expect(loopWarnings.length, loopWarnings.map((r) => r.msg).join('\n')).toBeLessThan(12);
  });
});
