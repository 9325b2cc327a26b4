import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { registerLoadShedding } from '../src/platform/http/load-shedding.ts';
import { bearer, createTestApp } from './helpers.ts';

/**
 * Load shedding, forced deterministically: requests held open fill the in-flight cap, and a
 * blocked event loop trips the lag threshold. Past capacity the answer is an immediate 503
 * `overloaded` problem with Retry-After; health, readiness and metrics still answer.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function bareApp(opts: Parameters<typeof registerLoadShedding>[1]) {
  const app = Fastify({ logger: false });
  const shedding = await registerLoadShedding(app, opts);
  let release!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  app.get('/slow', async () => {
    await gate;
    return { ok: true };
  });
  app.get('/fast', async () => ({ ok: true }));
  app.get('/api/health', async () => ({ status: 'ok' }));
  await app.ready();
  return {
    app,
    shedding,
    open: () => {
      release();
      gate = new Promise<void>((r) => (release = r));
    },
  };
}

let opened: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(opened.map((a) => a.close()));
  opened = [];
});

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
  expect(cond()).toBe(true);
};

describe('load shedding', () => {
  it('refuses past the in-flight cap with 503 overloaded and Retry-After, and frees the slots again', async () => {
    const { app, shedding, open } = await bareApp({ maxInFlight: 2, maxEventLoopDelayMs: 0 });
    opened.push(app);
    const held = [app.inject('/slow'), app.inject('/slow')];
    await until(() => shedding.inFlight === 2);
    const refused = await app.inject('/fast');
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({ status: 503, code: 'overloaded' });
    // Liveness is never refused.
    expect((await app.inject('/api/health')).statusCode).toBe(200);
    expect(shedding.refused).toBe(1);
    open();
    expect((await Promise.all(held)).map((r) => r.statusCode)).toEqual([200, 200]);
    await until(() => shedding.inFlight === 0);
    expect((await app.inject('/fast')).statusCode).toBe(200);
  });

  it('frees the slot of a client that went away before its answer', async () => {
    const { app, shedding, open } = await bareApp({ maxInFlight: 1, maxEventLoopDelayMs: 0 });
    opened.push(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const abort = new AbortController();
    const gone = fetch(`http://127.0.0.1:${port}/slow`, { signal: abort.signal }).catch(() => null);
    await until(() => shedding.inFlight === 1);
    abort.abort();
    await gone;
    await until(() => shedding.inFlight === 0);
    open();
    expect((await fetch(`http://127.0.0.1:${port}/fast`)).status).toBe(200);
  });

  it('refuses while the event loop lags, and serves again once it catches up', async () => {
    const { app } = await bareApp({ maxInFlight: 0, maxEventLoopDelayMs: 20, sampleIntervalMs: 50 });
    opened.push(app);
    expect((await app.inject('/fast')).statusCode).toBe(200);
    let status = 200;
    for (let i = 0; i < 30 && status === 200; i++) {
      const end = Date.now() + 150;
      while (Date.now() < end) {
        // CPU-bound work holding the event loop, as under overload
      }
      await sleep(15); // the sampler runs right after the block and reports the lag
      const r = await app.inject('/fast');
      status = r.statusCode;
      if (status === 503) {
        expect(r.json()).toMatchObject({ code: 'overloaded' });
        expect(r.headers['retry-after']).toBe('2');
        // Liveness is never refused, even under pressure.
        expect((await app.inject('/api/health')).statusCode).toBe(200);
      }
    }
    expect(status).toBe(503);
    // Idle again: the next samples are quiet and requests pass.
    let back = false;
    for (let i = 0; i < 50 && !back; i++) {
      await sleep(60);
      back = (await app.inject('/fast')).statusCode === 200;
    }
    expect(back).toBe(true);
  });

  it('is wired into the app from MAX_IN_FLIGHT (a request held by the database fills the cap)', async () => {
    const t = await createTestApp({ MAX_IN_FLIGHT: '1' });
    let release = () => {};
    try {
      const metric = async (name: string) => {
        const text = (await t.inject({ method: 'GET', url: '/metrics' })).body;
        return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
      };
      // Hold the users table (and, on PGlite, the single connection) so that a request needing it
      // stays in flight, on either database.
      const gate = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const holding = new Promise<void>((r) => (locked = r));
      const tx = t.database.db.transaction(async (h) => {
        await h.execute(sql`lock table users in access exclusive mode`);
        locked();
        await gate;
      });
      await holding;
      const held = t.inject({ method: 'GET', url: '/api/users', headers: bearer(t.adminToken) });
      for (let i = 0; i < 200 && (await metric('imsop_http_requests_in_flight')) !== 1; i++) await sleep(10);
      const refused = await t.inject({ method: 'GET', url: '/api/operations', headers: bearer(t.adminToken) });
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ code: 'overloaded' });
      // Readiness and metrics answer (readiness waits for the database like anything else).
      expect((await t.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
      release();
      await tx;
      expect((await held).statusCode).toBe(200);
      expect((await t.inject({ method: 'GET', url: '/api/ready' })).statusCode).toBe(200);
      expect(await metric('imsop_http_requests_shed_total')).toBe(1);
    } finally {
      release(); // a failed assertion must not leave the database held
      await t.close();
    }
  });

  it('never refuses nor counts WebSocket upgrades (long-lived: they would hold a slot for good)', async () => {
    const t = await createTestApp({ MAX_IN_FLIGHT: '1' });
    try {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.server.address() as { port: number };
      const open = () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/api/realtime?access_token=${t.adminToken}`);
          ws.once('open', () => resolve(ws));
          ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
          ws.once('error', reject);
        });
      // Three sockets stay open past a cap of one…
      const sockets = [await open(), await open(), await open()];
      // …and an ordinary request still finds its slot free.
      const r = await fetch(`http://127.0.0.1:${port}/api/auth/me`, { headers: bearer(t.adminToken) });
      expect(r.status).toBe(200);
      for (const ws of sockets) ws.close();
    } finally {
      await t.close();
    }
  });
});
