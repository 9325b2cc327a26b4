import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/** The server, scripted: access tokens t1, t2…; "me" accepts only the newest one. */
let current = 0;
const calls: string[] = [];
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

beforeAll(() => {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: Request) => {
      const url = new URL(input.url);
      const auth = input.headers.get('authorization');
      calls.push(`${input.method} ${url.pathname} ${auth ?? ''}`.trim());
      if (url.pathname === '/api/auth/login') return json(200, { accessToken: `t${++current}`, refreshToken: 'r', expiresIn: 900, tokenType: 'Bearer', user: {} });
      if (url.pathname === '/api/auth/refresh') return json(200, { accessToken: `t${++current}`, refreshToken: 'r', expiresIn: 900, tokenType: 'Bearer' });
      if (url.pathname === '/api/auth/me') {
        return auth === `Bearer t${current}` ? json(200, { id: 'u1', permissions: {} }) : json(401, { status: 401, code: 'invalid_token', detail: 'Expired' });
      }
      return json(404, { status: 404, code: 'not_found', detail: 'No route' });
    }),
  );
});
afterAll(() => vi.unstubAllGlobals());

describe('the API client', () => {
  it('refreshes once on a 401 and replays the requests with the new token', async () => {
    const { auth } = await import('./auth');
    const { api, call } = await import('./api');
    await auth.login({ email: 'a@b.c', password: 'x' });
    expect(auth.token).toBe('t1');
    // The token is now stale (as if it had expired): two parallel calls share one refresh.
    current = 5;
    calls.length = 0;
    const [a, b] = await Promise.all([call(api.GET('/api/auth/me')), call(api.GET('/api/auth/me'))]);
    expect(a).toMatchObject({ id: 'u1' });
    expect(b).toMatchObject({ id: 'u1' });
    expect(calls.filter((c) => c.startsWith('POST /api/auth/refresh'))).toHaveLength(1);
    expect(auth.token).toBe('t6');
    expect(calls.filter((c) => c === 'GET /api/auth/me Bearer t6')).toHaveLength(2);
  });

  it('turns a problem+json answer into an ApiError', async () => {
    const { api, call } = await import('./api');
    await expect(call(api.GET('/api/users/{id}', { params: { path: { id: 'x' } } }))).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });
});
