import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, type TestApp } from './helpers.ts';
import { loadDocument, namingProblems, type OpenApiDoc } from './proof/openapi.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'https://imsop.example.org' });
});
afterAll(async () => t?.close());

describe('platform endpoints', () => {
  it('health and readiness', async () => {
    expect((await t.inject({ method: 'GET', url: '/api/health' })).json()).toEqual({ status: 'ok' });
    const ready = await t.inject({ method: 'GET', url: '/api/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { database: 'ok', migrations: 'ok' } });
  });

  it('exposes Prometheus metrics with the request histogram by route pattern and status', async () => {
    await t.inject({ method: 'GET', url: '/api/users/00000000-0000-0000-0000-000000000000' });
    const res = await t.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('process_cpu_user_seconds_total');
    expect(res.body).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/api\/users\/:id"[^}]*status="401"/);
    expect(res.body).not.toContain('00000000-0000-0000-0000-000000000000');
  });

  it('serves the OpenAPI document, and the committed SDK document matches it', async () => {
    const doc = (await t.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/users', '/api/users/{id}', '/api/audit-logs']));
    expect(doc.components.schemas.Problem).toBeDefined();
    const committed = JSON.parse(fs.readFileSync(new URL('../../../packages/sdk/openapi.json', import.meta.url), 'utf8'));
    // If this fails, run `npm run sdk:generate` and commit the result.
    expect(committed.paths).toEqual(doc.paths);
    expect(committed.tags).toEqual(doc.tags);
    // The committed document names a placeholder origin; a deployment's names its own.
    expect(committed.servers).toEqual([expect.objectContaining({ url: '{origin}', variables: { origin: expect.objectContaining({ default: 'http://127.0.0.1:3000' }) } })]);
    expect(doc.servers[0].variables.origin.default).toBe('https://imsop.example.org');
  });

  it('names every operation with a unique camelCase operationId, summarises it and files it under declared tags', async () => {
    const doc = await loadDocument(t);
    expect(namingProblems(doc)).toEqual([]);

    // The check closes: a copy with one fault of each kind is reported, fault by fault.
    const faulty = structuredClone(doc) as OpenApiDoc;
    const op = (path: string, method: string) => faulty.paths[path]![method]!;
    delete op('/api/users', 'get').operationId;
    op('/api/users', 'post').operationId = 'getUser';
    op('/api/roles', 'get').operationId = 'list-roles';
    delete op('/api/roles', 'post').summary;
    op('/api/permissions', 'get').tags = [];
    op('/api/organizations', 'get').tags = ['organizations', 'nobody'];
    expect(namingProblems(faulty)).toEqual([
      'GET /api/users: no operationId',
      'GET /api/users/{id}: operationId "getUser" is already POST /api/users\'s',
      'GET /api/roles: operationId "list-roles" is not camelCase',
      'POST /api/roles: no summary',
      'GET /api/permissions: no tag',
      'GET /api/organizations: tag "nobody" is not among the document\'s tags',
    ]);
  });

  it('serves interactive docs and the placeholder console', async () => {
    const docs = await t.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toMatch(/swagger/i);
    const home = await t.inject({ method: 'GET', url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.headers['content-type']).toMatch(/text\/html/);
    expect(home.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('answers unknown routes with a 404 problem', async () => {
    expectProblem(await t.inject({ method: 'GET', url: '/api/nope' }), 404, 'not_found');
    // The console's client-side routes fall back to its index.html, never the API's: a browser
    // asking for HTML still gets the problem.
    expectProblem(await t.inject({ method: 'GET', url: '/api/nope', headers: { accept: 'text/html' } }), 404, 'not_found');
  });

  it('keeps the console on plain HTTP working (no upgrade-insecure-requests unless SECURE_COOKIES)', async () => {
    const home = await t.inject({ method: 'GET', url: '/' });
    expect(home.headers['content-security-policy']).toContain("script-src 'self'");
    expect(home.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });

  it('the SDK is typed against the live API', async () => {
    const client = t.client({ token: t.adminToken });
    const { data, error, response } = await client.GET('/api/users', { params: { query: { limit: 1 } } });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data!.data).toHaveLength(1);
    const bad = await client.GET('/api/users/{id}', { params: { path: { id: 'nope' } } });
    expect(bad.response.status).toBe(400);
  });
});
