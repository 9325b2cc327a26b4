import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { createImsopClient, type ImsopClient } from '@imsop/sdk';
import { buildApp } from '../src/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import type { Clock } from '../src/platform/clock.ts';
import { prepareDatabase } from '../src/main.ts';
import { openDatabase, type Database } from '../src/platform/db/client.ts';

export const ADMIN_EMAIL = 'admin@imsop.test';
export const ADMIN_PASSWORD = 'Correct-Horse-Battery-9';

/** Real PostgreSQL (and Redis) when .ci/run sets these; otherwise in-memory PGlite per test file. */
/**
 * The clock settings a server process started by a test must share with the test: when the suite
 * runs under libfaketime (.ci/run's test:faketime phase), a child given a clean environment would
 * read the real time while the test reads the fake one (a TOTP code would then never match).
 */
export function clockEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['LD_PRELOAD', 'FAKETIME', 'DONT_FAKE_MONOTONIC', 'TZ']) if (process.env[k]) out[k] = process.env[k]!;
  return out;
}

export const PG_URL = process.env.IMSOP_TEST_DATABASE_URL;
export const REDIS_URL = process.env.IMSOP_TEST_REDIS_URL;

export interface TestDatabase {
  database: Database;
  url?: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database: a new PostgreSQL database on the server, or an in-memory PGlite. */
export async function freshDatabase(): Promise<TestDatabase> {
  if (!PG_URL) {
    const database = await openDatabase({ dataDir: null });
    return { database, drop: () => database.close() };
  }
  const name = `imsop_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), poolSize: 5 });
  return {
    database,
    url: url.toString(),
    drop: async () => {
      await database.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  database: Database;
  close(): Promise<void>;
  /** A typed SDK client for the given token (or API key), backed by app.inject. */
  client(auth?: { token?: string; apiKey?: string }): ImsopClient;
  /** A fetch answered by the app through inject (for SDK clients built by hand). */
  fetch(request: Request): Promise<Response>;
  login(email: string, password: string, org?: string): Promise<{ accessToken: string; refreshToken: string; userId: string }>;
  adminToken: string;
  inject: FastifyInstance['inject'];
}

export async function createTestApp(env: Record<string, string> = {}, opts: { clock?: Clock } = {}): Promise<TestApp> {
  const { database, drop } = await freshDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-t-'));
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    AUTH_RATE_LIMIT: '10000',
    // Tests share one Redis (and its rate-limit counters) in the services run: keep the per-IP form limit out of the way.
    TICKET_FORM_RATE_LIMIT: '100000',
    IMSOP_ADMIN_EMAIL: ADMIN_EMAIL,
    IMSOP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    IMSOP_DATA_DIR: dataDir,
    ...(REDIS_URL ? { REDIS_URL } : {}),
    ...env,
  });
  await prepareDatabase(database, config, () => undefined);
  const app = await buildApp({ config, database, logger: false, ...(opts.clock ? { clock: opts.clock } : {}) });
  await app.ready();

  const injectFetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const res: LightMyRequestResponse = await app.inject({
      method: request.method as 'GET',
      url: url.pathname + url.search,
      headers: Object.fromEntries(request.headers.entries()),
      ...(body ? { payload: body } : {}),
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : String(v));
    }
    return new Response(res.statusCode === 204 ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers });
  };

  const client = (auth: { token?: string; apiKey?: string } = {}) =>
    createImsopClient({ baseUrl: 'http://imsop.test', fetch: injectFetch, ...auth });

  const clientIp = `10.${crypto.randomInt(250)}.${crypto.randomInt(250)}.${crypto.randomInt(250)}`;
  async function login(email: string, password: string, org?: string) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      // Each test app signs in from its own address, so rate limits kept in a shared Redis don't collide.
      remoteAddress: clientIp,
      payload: { email, password, ...(org ? { org } : {}) },
    });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
    const body = res.json() as { accessToken: string; refreshToken: string; user: { id: string } };
    return { accessToken: body.accessToken, refreshToken: body.refreshToken, userId: body.user.id };
  }

  const admin = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
  return {
    app,
    config,
    database,
    client,
    fetch: injectFetch,
    login,
    adminToken: admin.accessToken,
    inject: app.inject.bind(app),
    close: async () => {
      await app.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

let counter = 0;
/** A unique, acceptable password and email for factories. */
export const uniqueEmail = (prefix = 'user') => `${prefix}.${Date.now().toString(36)}.${++counter}@example.test`;
export const GOOD_PASSWORD = 'Sturdy-Password-42';

/** Factory: a user with the given roles, logged in. */
export async function createUser(
  t: TestApp,
  opts: { roles?: string[]; department?: string | null; token?: string; email?: string; name?: string } = {},
) {
  const email = opts.email ?? uniqueEmail();
  const res = await t.inject({
    method: 'POST',
    url: '/api/users',
    headers: bearer(opts.token ?? t.adminToken),
    payload: { email, name: opts.name ?? 'Test User', password: GOOD_PASSWORD, roles: opts.roles ?? ['viewer'], department: opts.department ?? null },
  });
  if (res.statusCode !== 201) throw new Error(`createUser failed: ${res.statusCode} ${res.body}`);
  const user = res.json() as { id: string; email: string };
  const session = await t.login(email, GOOD_PASSWORD);
  return { id: user.id, email, token: session.accessToken, refreshToken: session.refreshToken };
}

/** Factory: a second org with its own admin (created by the platform admin). */
export async function createOrg(t: TestApp, slug = `org-${crypto.randomBytes(3).toString('hex')}`) {
  const email = uniqueEmail('orgadmin');
  const res = await t.inject({
    method: 'POST',
    url: '/api/organizations',
    headers: bearer(t.adminToken),
    payload: { name: `Org ${slug}`, slug, admin: { email, name: 'Other Admin', password: GOOD_PASSWORD } },
  });
  if (res.statusCode !== 201) throw new Error(`createOrg failed: ${res.statusCode} ${res.body}`);
  const body = res.json() as { org: { id: string; slug: string }; adminId: string };
  const session = await t.login(email, GOOD_PASSWORD, slug);
  return { orgId: body.org.id, slug, adminId: body.adminId, adminEmail: email, token: session.accessToken };
}

export function expectProblem(res: LightMyRequestResponse, status: number, code?: string) {
  const ct = String(res.headers['content-type'] ?? '');
  const body = res.json() as { status: number; code: string; detail: string };
  if (res.statusCode !== status || !ct.startsWith('application/problem+json') || body.status !== status || (code && body.code !== code)) {
    throw new Error(`expected problem ${status}${code ? ` ${code}` : ''}, got ${res.statusCode} ${ct}: ${res.body}`);
  }
  return body;
}

/** Polls `fn` until it answers something truthy (a queued message delivered, a row updated). */
export async function until<T>(fn: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('timed out');
}

/** A second instance of the app on the same database and bus, listening on a free port (cross-instance tests). */
export async function secondInstance(t: TestApp): Promise<{ app: Awaited<ReturnType<typeof buildApp>>; base: string }> {
  const app = await buildApp({ config: t.config, database: t.database, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}
