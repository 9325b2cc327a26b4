import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, createTestApp, expectProblem, type TestApp } from './helpers.ts';

describe('per-IP rate limit on the credential endpoints', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ AUTH_RATE_LIMIT: '4' });
  });
  afterAll(async () => t?.close());

  it('answers 429 problem+json with Retry-After once an IP exceeds the limit, per IP', async () => {
    // A random address per run, so a shared Redis store (real-service suite) starts from zero.
    const ip = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const attacker = ip();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await t.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: attacker,
        payload: { email: 'x@example.test', password: 'whatever-pass' },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401]);
    const limited = await t.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: attacker,
      payload: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    });
    const p = expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(p.detail).toMatch(/retry/i);
    // Another address still gets through.
    const other = await t.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: ip(),
      payload: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    });
    expect(other.statusCode).toBe(200);
    // Ordinary API traffic is not throttled by the auth limit.
    expect((await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(t.adminToken) })).statusCode).toBe(200);
  });
});

describe('session lifetimes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ SESSION_IDLE_TIMEOUT: '2', ACCESS_TOKEN_TTL: '60' });
  });
  afterAll(async () => t?.close());

  it('ends a session after the idle timeout: its access token and refresh token stop working', async () => {
    const s = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    expect((await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(s.accessToken) })).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 2_500));
    expectProblem(await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(s.accessToken) }), 401);
    expectProblem(await t.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: s.refreshToken } }), 401, 'invalid_refresh_token');
  });

  it('activity keeps a session alive', async () => {
    const s = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 900));
      expect((await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(s.accessToken) })).statusCode).toBe(200);
    }
  });
});

describe('refresh token expiry', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ REFRESH_TOKEN_TTL: '1' });
  });
  afterAll(async () => t?.close());

  it('refuses a refresh token past its lifetime', async () => {
    const s = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    await new Promise((r) => setTimeout(r, 1_500));
    expectProblem(await t.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken: s.refreshToken } }), 401, 'invalid_refresh_token');
  });
});
