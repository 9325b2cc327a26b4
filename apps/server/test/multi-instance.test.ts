import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { bearer, createTestApp, createUser, expectProblem, REDIS_URL, type TestApp } from './helpers.ts';

/**
 * Two instances on one database, with Redis carrying invalidations between them. Runs in the
 * real-service suite (.ci/run sets IMSOP_TEST_REDIS_URL); without Redis the platform is one
 * instance by design, so there is nothing to prove here.
 */
describe.skipIf(!REDIS_URL)('several instances behind one Redis', () => {
  let a: TestApp;
  let b: FastifyInstance;
  beforeAll(async () => {
    a = await createTestApp({ REDIS_URL: REDIS_URL!, AUTH_RATE_LIMIT: '10000' });
    b = await buildApp({ config: a.config, database: a.database, logger: false });
    await b.ready();
    // Let both subscribers connect.
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const meOn = (app: FastifyInstance, token: string) => app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });

  it('a session revoked on one instance is refused by the other at once', async () => {
    const u = await createUser(a);
    const second = await a.login(u.email, 'Sturdy-Password-42');
    expect((await meOn(b, second.accessToken)).statusCode).toBe(200); // now cached on B
    const sessions = (await a.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(u.token) })).json().data;
    const target = sessions.find((s: { current: boolean }) => !s.current).id;
    expect((await a.inject({ method: 'DELETE', url: `/api/auth/sessions/${target}`, headers: bearer(u.token) })).statusCode).toBe(204);
    await new Promise((r) => setTimeout(r, 200));
    expectProblem(await meOn(b, second.accessToken), 401);
  });

  it('a role change on one instance takes effect on the other on the next request', async () => {
    const u = await createUser(a, { roles: ['viewer'] });
    expectProblem(await b.inject({ method: 'GET', url: '/api/roles', headers: bearer(u.token) }), 403);
    const put = await a.inject({ method: 'PUT', url: `/api/users/${u.id}/roles`, headers: bearer(a.adminToken), payload: { roles: ['manager'] } });
    expect(put.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect((await b.inject({ method: 'GET', url: '/api/roles', headers: bearer(u.token) })).statusCode).toBe(200);
  });
});
