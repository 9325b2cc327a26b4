/**
 * Fault: Redis is killed (kill -9) while the server serves, then comes back on the same address.
 *
 * - The platform keeps serving on in-process fallbacks: logins, reads, writes and live events
 *   work; the auth rate limit still holds (counted in process instead of skipped).
 * - /api/ready says Redis is unreachable and the cache is on its in-process fallback, yet the
 *   instance stays ready (200).
 * - No crash, no error per retry: the outage is logged once (and its end once).
 * - Once Redis is back it is used again: rate-limit counters land in Redis, and the bus publishes
 *   and re-subscribes there.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, sleep, type PrivateRedis } from './services.ts';
import { call, eventually, login, operationsSubscriber, startServer, type ServerProcess } from './server.ts';

const LIMIT = 12;
let redis: PrivateRedis;
let server: ServerProcess;

beforeAll(async () => {
  redis = await startRedis();
  // PGlite: this test is about Redis alone.
  server = await startServer({ REDIS_URL: redis.url, AUTH_RATE_LIMIT: String(LIMIT) });
});

afterAll(async () => {
  if (server?.crashed()) console.error(`the server died; its last output:\n${server.output().slice(-6000)}`);
  await server?.dispose();
  await redis?.destroy();
});

const rateLimitKeys = async () => (await redis.cli('--scan', '--pattern', 'imsop-rl:*')).split('\n').filter(Boolean);
const subscribers = async (channel: string) => Number((await redis.cli('pubsub', 'numsub', channel)).split('\n')[1]);
const badLogin = () => call(server.base, 'POST', '/api/auth/login', { body: { email: 'nobody@faults.test', password: 'not-the-password-1' } });

describe('Redis down while serving', () => {
  it('uses Redis while it is up', async () => {
    // The server does not wait for Redis to start (it is never required), so it may connect just after.
    const ready = await eventually('/api/ready reports redis', () => call(server.base, 'GET', '/api/ready'), (r) => (r.body.checks as Record<string, string>)?.redis === 'ok', 10_000);
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({ database: 'ok', cache: 'redis', redis: 'ok' });
    await login(server.base);
    expect((await rateLimitKeys()).length).toBeGreaterThan(0);
    await eventually('the bus subscribed', () => subscribers('imsop:events.outbox'), (n) => n === 1, 10_000);
  });

  it('keeps serving on in-process fallbacks while Redis is down, and says so in /api/ready', async () => {
    const token = await login(server.base);
    await redis.kill();
    const downAt = Date.now();

    const ready = await eventually('/api/ready reports redis down', () => call(server.base, 'GET', '/api/ready'), (r) => r.body.checks !== undefined && (r.body.checks as Record<string, string>).redis === 'unreachable', 10_000);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', checks: { database: 'ok', cache: 'in-process fallback (redis unreachable)', redis: 'unreachable' } });

    const { ws, heard } = await operationsSubscriber(server.base, token);
    expect((await call(server.base, 'POST', '/api/operations', { token, body: { name: 'Redis is down' } })).status).toBe(201);
    expect((await call(server.base, 'GET', '/api/operations', { token })).status).toBe(200);
    const token2 = await login(server.base);
    expect((await call(server.base, 'GET', '/api/auth/me', { token: token2 })).status).toBe(200);
    // Live events go through the in-process bus.
    await eventually('the subscriber hears the operation', async () => heard, (h) => h.includes('Redis is down'), 5_000);
    ws.close();

    // The auth rate limit still holds, counted in this process (it is not skipped).
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) statuses.push((await badLogin()).status);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);

    // Stay down long enough for several reconnection attempts (ioredis retries every ≤ 2 s).
    while (Date.now() - downAt < 6_000) {
      expect((await call(server.base, 'GET', '/api/auth/me', { token })).status).toBe(200);
      await sleep(250);
    }
    expect(server.alive()).toBe(true);
  });

  it('uses Redis again once it is back', async () => {
    await redis.start();
    await eventually('/api/ready reports redis back', () => call(server.base, 'GET', '/api/ready'), (r) => (r.body.checks as Record<string, string>)?.cache === 'redis', 15_000);
    // The bus subscribed again, and publishes there: another instance would hear this process.
    await eventually('the bus re-subscribed', () => subscribers('imsop:events.outbox'), (n) => n === 1, 10_000);
    const listener = new Redis(redis.url);
    const messages: string[] = [];
    await listener.subscribe('imsop:events.outbox');
    listener.on('message', (channel: string) => messages.push(channel));
    const token = await login(server.base);
    expect((await call(server.base, 'POST', '/api/operations', { token, body: { name: 'Redis is back' } })).status).toBe(201);
    await eventually('a wake-up published on Redis', async () => messages.length, (n) => n > 0, 5_000);
    listener.disconnect();
    // Rate-limit counters are kept in Redis again (the fresh instance had none).
    expect((await rateLimitKeys()).length).toBeGreaterThan(0);
  });

  it('stayed up, with one warning for the outage rather than one per retry', () => {
    expect(server.alive()).toBe(true);
    expect(server.output()).not.toMatch(/unhandled ?rejection|uncaught ?exception/i);
    const recs = server.records();
    expect(recs.filter((r) => r.level >= 50)).toEqual([]);
    const warnings = recs.filter((r) => r.level === 40);
    console.log(`warnings logged:\n${warnings.map((r) => `  ${r.msg}`).join('\n')}`);
    const redisLines = recs.filter((r) => /redis/i.test(r.msg));
    expect(redisLines.map((r) => r.msg)).toEqual(['Redis (in-process fallbacks in use) unavailable; retrying in the background', 'Redis (in-process fallbacks in use) recovered']);
  });
});
