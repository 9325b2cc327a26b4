/**
 * CORS: without CORS_ORIGINS the API sends no CORS header and a preflight is an unknown route (404),
 * which is also what the cors plugin with `origin: false` answered; with CORS_ORIGINS the listed
 * origins (only) get their headers and preflights.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers.ts';

const preflight = (t: TestApp, origin: string) =>
  t.inject({
    method: 'OPTIONS',
    url: '/api/users',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
const corsHeaders = (headers: Record<string, unknown>) => Object.keys(headers).filter((h) => h.startsWith('access-control-'));

describe('without CORS_ORIGINS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('answers a preflight like an unknown route, with no CORS header', async () => {
    const res = await preflight(t, 'https://elsewhere.example');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(corsHeaders(res.headers)).toEqual([]);
  });

  it('sends no CORS header (nor Vary: Origin) on a cross-origin request', async () => {
    const res = await t.inject({ method: 'GET', url: '/api/auth/me', headers: { origin: 'https://elsewhere.example', authorization: `Bearer ${t.adminToken}` } });
    expect(res.statusCode).toBe(200);
    expect(corsHeaders(res.headers)).toEqual([]);
    expect(res.headers.vary ?? '').not.toMatch(/origin/i);
  });
});

describe('with CORS_ORIGINS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ CORS_ORIGINS: 'https://console.example' });
  });
  afterAll(async () => t?.close());

  it('answers a listed origin’s preflight with its headers and credentials', async () => {
    const res = await preflight(t, 'https://console.example');
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://console.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
  });

  it('gives another origin no CORS header', async () => {
    const res = await t.inject({ method: 'GET', url: '/api/auth/me', headers: { origin: 'https://elsewhere.example', authorization: `Bearer ${t.adminToken}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect((await preflight(t, 'https://elsewhere.example')).headers['access-control-allow-origin']).toBeUndefined();
  });
});
