import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImsopClient, ImsopError, paginate, unwrap, type TokenPair } from '@imsop/sdk';
import { allRows } from './paging.ts';
import { bearer, createTestApp, createUser, type TestApp } from './helpers.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const sdkDir = path.join(root, 'packages/sdk');
// The project's runtime (Node 24 from the `node` dependency), not whatever `node` is first on PATH.
const nodeBin = path.join(root, 'node_modules/.bin/node');

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

/** The app's fetch, counting the refreshes that go through it. */
function countingFetch() {
  const seen = { refreshes: 0 };
  const fetch = async (request: Request) => {
    if (new URL(request.url).pathname === '/api/auth/refresh') seen.refreshes++;
    return t.fetch(request);
  };
  return { seen, fetch };
}

describe('SDK session refresh', () => {
  it('refreshes once on a 401, repeats the request, and hands the rotated pair to onRefresh', async () => {
    const user = await createUser(t);
    const { seen, fetch } = countingFetch();
    const pairs: TokenPair[] = [];
    const client = createImsopClient({
      baseUrl: 'http://imsop.test',
      fetch,
      // An access token the API refuses (as an expired one is), with a good refresh token.
      session: { accessToken: 'not.a.token', refreshToken: user.refreshToken, onRefresh: (p) => pairs.push(p) },
    });
    // Three requests at once meet the same 401: one refresh serves them all (a second use of the
    // old refresh token would end the session as a suspected theft).
    const answers = await Promise.all([1, 2, 3].map(() => client.GET('/api/auth/me')));
    expect(answers.map((a) => a.response.status)).toEqual([200, 200, 200]);
    expect(answers.every((a) => a.data && 'email' in a.data && a.data.email === user.email)).toBe(true);
    expect(seen.refreshes).toBe(1);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]!.refreshToken).not.toBe(user.refreshToken);
    // The old refresh token was rotated away; the new pair works.
    expect((await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(pairs[0]!.accessToken) })).statusCode).toBe(200);
    // Later requests use the new token: no more refreshes.
    expect((await client.GET('/api/auth/me')).response.status).toBe(200);
    expect(seen.refreshes).toBe(1);
  });

  it('repeats a request with its body intact, so a write made after a refresh is made once', async () => {
    const admin = await t.login('admin@imsop.test', 'Correct-Horse-Battery-9');
    const { seen, fetch } = countingFetch();
    const client = createImsopClient({ baseUrl: 'http://imsop.test', fetch, session: { accessToken: 'stale', refreshToken: admin.refreshToken } });
    const name = `Refreshed ${Date.now()}`;
    const created = await unwrap(client.POST('/api/operations', { body: { name, priority: 'low' } }));
    expect(created.name).toBe(name);
    expect(seen.refreshes).toBe(1);
    const listed = await t.inject({ method: 'GET', url: `/api/operations?q=${encodeURIComponent(name)}`, headers: bearer(t.adminToken) });
    expect((listed.json() as { data: { name: string }[] }).data.filter((o) => o.name === name)).toHaveLength(1);
  });

  it('gives up when the session cannot be refreshed: the 401 reaches the caller, onExpired runs once, no loop', async () => {
    const user = await createUser(t);
    // The session ends (signed out elsewhere): its refresh token no longer works.
    expect((await t.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(user.token) })).statusCode).toBe(204);
    const { seen, fetch } = countingFetch();
    let expired = 0;
    const client = createImsopClient({
      baseUrl: 'http://imsop.test',
      fetch,
      session: { accessToken: 'not.a.token', refreshToken: user.refreshToken, onExpired: () => expired++ },
    });
    const first = await client.GET('/api/auth/me');
    expect(first.response.status).toBe(401);
    await expect(unwrap(client.GET('/api/auth/me'))).rejects.toMatchObject({ name: 'ImsopError', status: 401 });
    expect(seen.refreshes).toBe(1);
    expect(expired).toBe(1);
  });
});

describe('SDK pagination', () => {
  it('walks every page of a cursor-paged list, in the order the pages give', async () => {
    for (let i = 0; i < 5; i++) await createUser(t);
    const client = t.client({ token: t.adminToken });
    const walked: string[] = [];
    for await (const user of paginate((cursor) => client.GET('/api/users', { params: { query: { limit: 2, ...(cursor ? { cursor } : {}) } } }))) {
      walked.push(user.id);
    }
    const all = await allRows<{ id: string }>((query) => t.inject({ method: 'GET', url: `/api/users?${query}`, headers: bearer(t.adminToken) }));
    expect(walked.length).toBeGreaterThanOrEqual(6);
    expect(walked).toEqual(all.map((u) => u.id));
  });

  it('throws the problem the API answered, with its status and code', async () => {
    const client = t.client({ token: t.adminToken });
    const pages = paginate((cursor) => client.GET('/api/users', { params: { query: { cursor: cursor ?? 'not-a-cursor' } } }));
    const err = await pages.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImsopError);
    expect(err).toMatchObject({ status: 400 });
    expect((err as ImsopError).code).toBeTruthy();
  });
});

describe('SDK build', () => {
  it('builds to JavaScript with declarations that plain node (no TypeScript loader) and tsc consume', { timeout: 120_000 }, async () => {
    await run('npm', ['run', 'build', '-w', '@imsop/sdk'], { cwd: root });
    for (const f of ['index.js', 'index.d.ts', 'schema.d.ts']) expect(fs.existsSync(path.join(sdkDir, 'dist', f))).toBe(true);

    fs.mkdirSync(path.join(sdkDir, '.tmp'), { recursive: true });
    const work = fs.mkdtempSync(path.join(sdkDir, '.tmp', 'consumer-'));
    try {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const address = t.app.server.address();
      const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      fs.writeFileSync(
        path.join(work, 'consumer.mjs'),
        `import { createImsopClient, paginate } from '@imsop/sdk';
const client = createImsopClient({ baseUrl: process.argv[2], token: process.argv[3] });
let n = 0;
for await (const _ of paginate((cursor) => client.GET('/api/users', { params: { query: { limit: 2, ...(cursor ? { cursor } : {}) } } }))) n++;
console.log(JSON.stringify({ users: n }));
`,
      );
      // Type stripping off: the package must work as JavaScript.
      const { stdout } = await run(nodeBin, ['--no-experimental-strip-types', path.join(work, 'consumer.mjs'), baseUrl, t.adminToken], { cwd: work });
      const all = await allRows((query) => t.inject({ method: 'GET', url: `/api/users?${query}`, headers: bearer(t.adminToken) }));
      expect(JSON.parse(stdout)).toEqual({ users: all.length });

      // A TypeScript consumer without the repository's `source` condition gets the built declarations.
      fs.writeFileSync(
        path.join(work, 'consumer.ts'),
        `import { createImsopClient } from '@imsop/sdk';
const client = createImsopClient({ baseUrl: 'http://x' });
export const name: Promise<string | undefined> = client.GET('/api/auth/me').then((r) => (r.data && 'email' in r.data ? r.data.email : undefined));
// @ts-expect-error: a path the API does not have
client.GET('/api/no-such-path');
`,
      );
      fs.writeFileSync(
        path.join(work, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['consumer.ts'] }),
      );
      await run(path.join(root, 'node_modules/.bin/tsc'), ['-p', work], { cwd: work });
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
