/**
 * The tenant isolation walker: two orgs hold data of the same shapes; every route of the OpenAPI
 * document is called by org B with org A's ids and must answer 404 (403 for org-less platform
 * routes), org A's data must be unchanged afterwards, and no org-A id or email may appear in any
 * list org B reads. Realtime topics are checked the same way.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bearer, createTestApp, type TestApp } from '../helpers.ts';
import { loadDocument, operationsOf, responseChecker, sampleValid, urlOf, type ApiOperation, type JsonSchema } from './openapi.ts';
import { flatten } from './walk.ts';
import { createWorld, headerValues, namedValue, pathValues, queryIdValue, secretsOf, type World } from './world.ts';

const t: TestApp = await createTestApp();
const doc = await loadDocument(t);
const ops = operationsOf(doc);
const check = responseChecker(doc);
afterAll(async () => t.close());

let A: World;
let B: World;
let bKey = '';
let requests = 0;

beforeAll(async () => {
  A = await createWorld(t);
  B = await createWorld(t);
  // An API key of org B's admin with every permission the admin holds.
  const key = await t.inject({ method: 'POST', url: '/api/api-keys', headers: bearer(B.org.token), payload: { name: 'b-everything' } });
  expect(key.statusCode, key.body).toBe(201);
  bKey = key.json().key;
});

const withParams = ops.filter((o) => o.pathParams.length > 0);

/**
 * Provider webhooks: public routes that only a credential of the provider's opens (a signature, a
 * verify token; see their `security`), never an org's token. Org B is refused there like anyone,
 * with 401, and org A's admin cannot read them either.
 */
const ORG_CREDENTIALS = ['bearer', 'apiKey'];
const providerOnly = (op: ApiOperation) =>
  op.permission === 'public' && (op.security?.length ?? 0) > 0 && op.security!.every((s) => Object.keys(s as object).every((k) => !ORG_CREDENTIALS.includes(k)));
const gets = ops.filter((o) => o.method === 'GET');

/** The uuid a body or query field names, from the world (by field name, then by the route's family). */
function idFor(w: World, op: ApiOperation, name: string): string | undefined {
  const byName = queryIdValue(name, w);
  if (byName) return byName;
  if (name === 'id' || name === 'ids') {
    const values = pathValues({ ...op, pathParams: [{ name: 'id', in: 'path', required: true, schema: {} }] }, w);
    if ('values' in values) return values.values.id;
  }
  return undefined;
}

const isUuid = (s: JsonSchema): boolean =>
  s.format === 'uuid' || ((s.anyOf ?? []) as JsonSchema[]).some(isUuid) || (s.type === 'array' && isUuid((s.items as JsonSchema) ?? {}));

/**
 * A body that passes validation, whose uuid fields name `w`'s entities where the field says which;
 * with `everyId`, optional uuid fields that name an entity are sent too.
 */
function bodyFor(op: ApiOperation, w: World, everyId = false): unknown {
  if (!op.body) return undefined;
  const sample = sampleValid(op.body);
  if (everyId && sample !== null && typeof sample === 'object' && !Array.isArray(sample)) {
    for (const [k, s] of Object.entries((op.body.properties ?? {}) as Record<string, JsonSchema>)) {
      const id = idFor(w, op, k);
      if (!(k in sample) && id && isUuid(s)) (sample as Record<string, unknown>)[k] = s.type === 'array' ? [id] : id;
    }
  }
  return fillIds(sample, op.body, op, w);
}
function fillIds(value: unknown, schema: JsonSchema, op: ApiOperation, w: World, name = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => fillIds(v, ((schema.items as JsonSchema) ?? {}), op, w, name));
  if (value !== null && typeof value === 'object') {
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillIds(v, props[k] ?? {}, op, w, k)]));
  }
  if (typeof value === 'string' && isUuid(schema)) return idFor(w, op, name) ?? value;
  if (typeof value === 'string') return namedValue(name, w) ?? value;
  return value;
}

/** Calls as `caller` (whose own requester token fills a token header). */
function call(op: ApiOperation, url: string, headers: Record<string, string>, body?: unknown, caller?: World) {
  requests++;
  const own = headerValues(op, caller ?? (headers.authorization === bearer(A.org.token).authorization ? A : B));
  return t.inject({
    method: op.method,
    url,
    headers: body === undefined ? { ...own, ...headers } : { ...own, ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

const show = (op: ApiOperation, url: string, res: LightMyRequestResponse) => `${op.method} ${url} → ${res.statusCode} ${res.body.slice(0, 300)}`;

/** Everything org A's admin can read: every GET of the document, with org A's ids. */
async function snapshotA(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const op of gets) {
    const filled = pathValues(op, A);
    if ('missing' in filled) continue;
    const required = op.queryParams.filter((p) => p.required).map((p) => [p.name, String(queryIdValue(p.name, A) ?? sampleValid(p.schema, { ids: [] }, p.name))]);
    const filters = op.queryParams.filter((p) => !p.required && queryIdValue(p.name, A)).map((p) => [p.name, queryIdValue(p.name, A)!]);
    const path = urlOf(op.path, filled.values);
    let res = await call(op, urlOf(op.path, filled.values, required.map(([k, v]) => `${k}=${encodeURIComponent(v!)}`).join('&')), bearer(A.org.token));
    // Routes that refuse to answer without a filter (telemetry queries) are read with org A's ids.
    if (res.statusCode === 400 && filters.length) {
      res = await call(op, urlOf(op.path, filled.values, [...required, ...filters].map(([k, v]) => `${k}=${encodeURIComponent(v!)}`).join('&')), bearer(A.org.token));
    }
    const json = String(res.headers['content-type'] ?? '').includes('json');
    out[`${op.method} ${path}`] = { status: res.statusCode, body: !res.body ? null : json ? (res.json() as unknown) : res.body };
  }
  return out;
}


/**
 * Org A is unchanged: every field that held still between two reads before (s1, s2) still holds
 * after (s3), and no list gained or lost a row, except lists that grow by themselves (the audit
 * entries of the reads). Fields that drift by themselves are few, so the comparison is not vacuous.
 */
function expectUnchanged(s1: Record<string, unknown>, s2: Record<string, unknown>, s3: Record<string, unknown>) {
  const [f1, f2, f3] = [flatten(s1), flatten(s2), flatten(s3)];
  const listOf = (k: string) => /^(.*?)\/(?:\[[^\]]+\]|\d+)(?:\/|$)/.exec(k)?.[1];
  const growing = new Set(Object.keys(f2).filter((k) => !(k in f1)).map(listOf).filter(Boolean));
  const changed = Object.keys(f2).filter((k) => f1[k] === f2[k] && f2[k] !== f3[k] && !(k in f3 === false && growing.has(listOf(k))));
  const added = Object.keys(f3).filter((k) => !(k in f2) && !growing.has(listOf(k)));
  expect([...changed, ...added].map((k) => `${k}: ${JSON.stringify(f2[k])} → ${JSON.stringify(f3[k])}`)).toEqual([]);
  const stable = Object.keys(f2).filter((k) => f1[k] === f2[k]).length;
  expect(stable).toBeGreaterThan(Object.keys(f2).length * 0.7);
  // Every fixture of org A still exists.
  for (const id of Object.values(A.ids)) expect(JSON.stringify(s3).includes(id), id).toBe(true);
}

describe('the walker covers every route', () => {
  it('every path parameter of every route is filled from the fixtures', () => {
    const missing = withParams.map((op) => pathValues(op, A)).filter((v) => 'missing' in v).map((v) => (v as { missing: string }).missing);
    expect(missing, 'declare the entity in the proof seed of the module that owns the route (<module>.proof.ts)').toEqual([]);
    expect(withParams.length).toBeGreaterThan(30);
  });

  it('the fixtures are real: org A’s admin reads every one of them', async () => {
    for (const op of gets.filter((o) => o.pathParams.length && !providerOnly(o))) {
      const filled = pathValues(op, A);
      if ('missing' in filled) continue;
      const url = urlOf(op.path, filled.values);
      const res = await call(op, url, bearer(A.org.token));
      expect(res.statusCode, show(op, url, res)).toBe(200);
    }
  });
});

describe('org B with org A’s ids', () => {
  it('answers 404 on every route with path parameters (403 on org-less platform routes), and changes nothing', async () => {
    const s1 = await snapshotA();
    const s2 = await snapshotA();
    const failures: string[] = [];
    let probed = 0;
    for (const op of withParams) {
      const filled = pathValues(op, A);
      if ('missing' in filled) continue;
      const url = urlOf(op.path, filled.values);
      const expected = op.permission === 'platform_admin' ? 403 : providerOnly(op) ? 401 : 404;
      for (const headers of [bearer(B.org.token), { 'x-api-key': bKey }]) {
        // The auth family acts on the caller's own session, which an API key has none of.
        if ('x-api-key' in headers && op.permission === 'authenticated') continue;
        const res = await call(op, url, headers, bodyFor(op, B));
        probed++;
        if (res.statusCode !== expected) failures.push(`expected ${expected}: ${show(op, url, res)}`);
        else {
          const verdict = check(op, res);
          if (!verdict.ok) failures.push(`${op.key}: ${verdict.reason}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(probed).toBeGreaterThan(50);

    expectUnchanged(s1, s2, await snapshotA());
  });

  it('org A’s ids in a body or a query are unknown too: refused with a 4xx, never used', async () => {
    const failures: string[] = [];
    let probed = 0;
    const [s1, s2] = [await snapshotA(), await snapshotA()];
    for (const op of ops.filter((o) => o.method !== 'GET' && o.pathParams.length === 0 && o.permission !== 'platform_admin')) {
      const body = bodyFor(op, A, true);
      const query = op.queryParams
        .map((p) => [p.name, queryIdValue(p.name, A)] as const)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${v}`)
        .join('&');
      const mentionsA = JSON.stringify(body ?? null).match(/[0-9a-f-]{36}/g)?.some((id) => Object.values(A.ids).includes(id)) || query !== '';
      if (!mentionsA) continue;
      const url = urlOf(op.path, {}, query);
      const res = await call(op, url, bearer(B.org.token), body ?? (op.body ? {} : undefined));
      probed++;
      if (res.statusCode < 400 || res.statusCode >= 500) failures.push(`expected a 4xx: ${show(op, url, res)} with ${JSON.stringify(body)}`);
      for (const s of secretsOf(A)) if (res.body.includes(s) && !JSON.stringify(body).includes(s) && !url.includes(s)) failures.push(`${op.key} leaks ${s}`);
    }
    expect(failures).toEqual([]);
    expect(probed).toBeGreaterThan(3);
    expectUnchanged(s1, s2, await snapshotA());
  });
});

describe('lists never show another org’s rows', () => {
  /** Every GET without path parameters: plain, then with every uuid filter set to org A's ids. */
  async function walk(as: World, filtersFrom: World) {
    const seen: { url: string; res: LightMyRequestResponse; op: ApiOperation }[] = [];
    for (const op of gets.filter((o) => o.pathParams.length === 0)) {
      const required = op.queryParams.filter((p) => p.required);
      const base = required.map((p) => [p.name, String(queryIdValue(p.name, filtersFrom) ?? sampleValid(p.schema, { ids: [] }, p.name))] as const);
      const filters = op.queryParams
        .filter((p) => !p.required && queryIdValue(p.name, filtersFrom))
        .map((p) => [p.name, queryIdValue(p.name, filtersFrom)!] as const);
      const variants = [base, ...filters.map((f) => [...base, f]), ...(op.queryParams.some((p) => p.name === 'limit') ? [[...base, ['limit', '200'] as const]] : [])];
      for (const v of variants) {
        const url = urlOf(op.path, {}, v.map(([k, x]) => `${k}=${encodeURIComponent(x)}`).join('&'));
        seen.push({ url, op, res: await call(op, url, bearer(as.org.token)) });
      }
    }
    return seen;
  }

  it('no org-A id, email or key appears in any list org B reads, filtered by org A’s ids or not', async () => {
    const secrets = secretsOf(A);
    const failures: string[] = [];
    const answers = await walk(B, A);
    for (const { url, res, op } of answers) {
      if (res.statusCode >= 500) failures.push(`5xx: ${show(op, url, res)}`);
      for (const s of secrets) if (res.body.includes(s) && !url.includes(s)) failures.push(`${url} leaks ${s}`);
    }
    expect(failures).toEqual([]);
    expect(answers.filter((a) => a.res.statusCode === 200).length).toBeGreaterThan(20);
    // Org B does see its own rows in those lists…
    const ownB = secretsOf(B).filter((s) => answers.some((a) => a.res.body.includes(s)));
    expect(ownB.length).toBeGreaterThan(8);
    // …and org A sees its own in the same walk, so the check above can fail.
    const ownA = (await walk(A, A)).filter((a) => secrets.some((s) => a.res.body.includes(s) && !a.url.includes(s)));
    expect(ownA.length).toBeGreaterThan(8);
  });

  it('reports the request count', () => {
    console.info(`[proof/isolation] ${ops.length} operations, ${withParams.length} with path parameters, ${requests} requests`);
    expect(requests).toBeGreaterThan(100);
  });
});

/** The app's WebSocket URL (listening on a free port on first use). */
async function realtimeUrl(query: string) {
  if (!t.app.server.listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
  return `ws://127.0.0.1:${(t.app.server.address() as { port: number }).port}/api/realtime?${query}`;
}

/** A recording client: every message, and a wait for one that matches. */
async function listen(query: string) {
  const ws = new WebSocket(await realtimeUrl(query));
  const messages: { type: string; code?: string; topic?: string; data?: unknown; users?: { userId: string; state: string }[] }[] = [];
  ws.on('message', (raw) => messages.push(JSON.parse(String(raw))));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waitFor = async (pred: (m: (typeof messages)[number]) => boolean, ms = 5_000) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const hit = messages.find(pred);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timeout; got ${JSON.stringify(messages).slice(0, 2000)}`);
  };
  const send = (m: unknown) => ws.send(JSON.stringify(m));
  return { ws, messages, waitFor, send };
}

describe('realtime topics', () => {
  it('org B subscribing to org A’s entity topics gets not_found, and hears nothing of org A', async () => {
    // Every topic family the modules declare; entity topics are filled with org A's ids.
    const rules = Object.values(t.app.platform).flatMap((m) => ((m as { topics?: { pattern: RegExp }[] })?.topics ?? []));
    expect(rules.length).toBeGreaterThan(3);
    const entityTopics = rules
      .map((r) => /^\^([a-z_-]+):\(/.exec(r.pattern.source)?.[1])
      .filter((x): x is string => Boolean(x))
      .map((family) => {
        const id = (A.ids as Record<string, string>)[family];
        expect(id, `a kind "${family}" (for topic ${family}:<id>) in a module’s proof seed`).toBeDefined();
        return `${family}:${id}`;
      });
    expect(entityTopics).toEqual(expect.arrayContaining([`operation:${A.ids.operation}`, `device:${A.ids.device}`]));
    const plainTopics = rules.map((r) => /^\^([a-z_-]+)\$$/.exec(r.pattern.source)?.[1]).filter((x): x is string => Boolean(x));

    const { ws, messages, waitFor } = await listen(`access_token=${B.org.token}`);
    for (const topic of entityTopics) {
      ws.send(JSON.stringify({ type: 'subscribe', topic }));
      expect(await waitFor((m) => m.topic === topic)).toMatchObject({ type: 'error', code: 'not_found' });
    }
    for (const topic of plainTopics) {
      ws.send(JSON.stringify({ type: 'subscribe', topic }));
      expect(await waitFor((m) => m.topic === topic)).toMatchObject({ type: 'subscribed' });
    }
    // Org A acts on everything; org B hears only its own event, sent last.
    const asA = (method: 'POST' | 'PATCH', url: string, payload: unknown, headers: Record<string, string> = bearer(A.org.token)) => t.inject({ method, url, headers, payload: payload as object });
    await asA('PATCH', `/api/operations/${A.ids.operation}`, { status: 'in_progress' });
    await asA('POST', '/api/operations', { name: 'A later' });
    await asA('POST', '/api/telemetry', { metricName: 'world_temp', value: 120 }, { 'x-device-key': A.values.deviceKey });
    await t.inject({ method: 'POST', url: '/api/operations', headers: bearer(B.org.token), payload: { name: 'B marker' } });
    await waitFor((m) => m.type === 'event' && JSON.stringify(m.data).includes('B marker'));
    await new Promise((r) => setTimeout(r, 200));
    const leaked = messages.filter((m) => secretsOf(A).some((s) => JSON.stringify(m).includes(s)) && m.type !== 'error');
    expect(leaked).toEqual([]);
    ws.close();
  });

  const userOf = async (w: World) => ((await t.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(w.org.token) })).json() as { id: string }).id;

  it('presence on a topic both orgs read (`tickets`, `operations`) stays within each org', async () => {
    const [aUser, bUser] = [await userOf(A), await userOf(B)];
    const a = await listen(`access_token=${A.org.token}`);
    const b = await listen(`access_token=${B.org.token}`);
    for (const topic of ['tickets', 'operations']) {
      for (const c of [a, b]) {
        c.send({ type: 'subscribe', topic });
        await c.waitFor((m) => m.type === 'subscribed' && m.topic === topic);
      }
      a.send({ type: 'presence', topic, state: 'replying' });
      b.send({ type: 'presence', topic, state: 'viewing' });
      // Each hears its own org's presence on the topic…
      await a.waitFor((m) => m.type === 'presence' && m.topic === topic && (m.users ?? []).some((u) => u.userId === aUser));
      await b.waitFor((m) => m.type === 'presence' && m.topic === topic && (m.users ?? []).some((u) => u.userId === bUser));
    }
    await new Promise((r) => setTimeout(r, 200));
    // …and never the other's.
    const presence = (c: typeof a) => c.messages.filter((m) => m.type === 'presence').flatMap((m) => (m.users ?? []).map((u) => u.userId));
    expect(presence(a)).not.toContain(bUser);
    expect(presence(b)).not.toContain(aUser);
    expect(new Set(presence(a))).toEqual(new Set([aUser]));
    // Presence on org A's entity topics: org B cannot subscribe, so it cannot announce either.
    for (const topic of [`ticket:${A.ids.ticket}`, `operation:${A.ids.operation}`, `device:${A.ids.device}`]) {
      b.send({ type: 'presence', topic, state: 'viewing' });
      expect(await b.waitFor((m) => m.type === 'error' && m.topic === topic)).toMatchObject({ code: 'not_subscribed' });
    }
    a.ws.close();
    b.ws.close();
  });

  it('replay from event 0 (per subscription or ?since=) returns only the caller’s org’s events, by token and by API key', async () => {
    const topics = ['operations', 'tickets', 'alarms', 'telemetry'];
    const secretsA = secretsOf(A);
    const replay = async (query: string, perSubscription: boolean) => {
      const c = await listen(query);
      for (const topic of topics) {
        c.send(perSubscription ? { type: 'subscribe', topic, since: 0 } : { type: 'subscribe', topic });
        await c.waitFor((m) => m.type === 'subscribed' && m.topic === topic);
      }
      await new Promise((r) => setTimeout(r, 300));
      c.ws.close();
      return c.messages;
    };
    for (const [query, per] of [
      [`access_token=${B.org.token}`, true],
      [`access_token=${B.org.token}&since=0`, false],
      [`access_token=${bKey}`, true],
    ] as const) {
      const messages = await replay(query, per);
      const events = messages.filter((m) => m.type === 'event');
      // Org B's own events are replayed (the check below could fail)…
      expect(events.length, query.slice(0, 40)).toBeGreaterThan(2);
      expect(events.some((m) => secretsOf(B).some((s) => JSON.stringify(m).includes(s)))).toBe(true);
      // …and none of org A's.
      expect(messages.filter((m) => secretsA.some((s) => JSON.stringify(m).includes(s)))).toEqual([]);
    }
    // Org A's own replay does carry org A's ids: the same check fails on another org's stream.
    const own = await replay(`access_token=${A.org.token}`, true);
    expect(own.filter((m) => m.type === 'event' && secretsA.some((s) => JSON.stringify(m).includes(s))).length).toBeGreaterThan(2);
  });

  it('an API key of org B gets not_found on every entity topic of org A, as a token does; org A’s own admin is let in', async () => {
    const families = ['operation', 'device', 'ticket'] as const;
    const b = await listen(`access_token=${bKey}`);
    const a = await listen(`access_token=${A.org.token}`);
    for (const f of families) {
      const topic = `${f}:${A.ids[f]}`;
      b.send({ type: 'subscribe', topic });
      expect(await b.waitFor((m) => m.topic === topic)).toMatchObject({ type: 'error', code: 'not_found' });
      a.send({ type: 'subscribe', topic });
      expect(await a.waitFor((m) => m.topic === topic)).toMatchObject({ type: 'subscribed' });
    }
    a.ws.close();
    b.ws.close();
  });
});
