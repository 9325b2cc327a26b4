/**
 * Property-based fuzzing of every operation in the OpenAPI document, from its declared schemas:
 * valid-ish requests (to reach the handlers) and hostile ones (wrong types, huge strings, deep
 * JSON, NUL and lone surrogates, odd numbers, injection strings, prototype-pollution keys, broken
 * encodings). Whatever comes in, the answer is never a 5xx, never breaks its declared schema (4xx
 * are problem+json), and never takes more than a second.
 *
 * Deterministic: PROOF_SEED (default below) and PROOF_RUNS (per operation) reproduce a run;
 * PROOF_MAX_MS changes the time limit (for a profiler or a debugger, never to pass).
 */
import crypto from 'node:crypto';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, GOOD_PASSWORD, createTestApp, type TestApp } from '../helpers.ts';
import {
  hostileParam,
  hostileValue,
  invalidArbitrary,
  loadDocument,
  operationsOf,
  responseChecker,
  toJsonText,
  validArbitrary,
  type ApiOperation,
  type Param,
  type ValueContext,
} from './openapi.ts';
import { createWorld, pathValues, queryIdValue, type World } from './world.ts';

const SEED = Number(process.env.PROOF_SEED ?? 20_260_601);
const RUNS = Number(process.env.PROOF_RUNS ?? 10);
const MAX_MS = Number(process.env.PROOF_MAX_MS ?? 1_000);

const t: TestApp = await createTestApp();
const doc = await loadDocument(t);
const ops = operationsOf(doc);
const check = responseChecker(doc);
afterAll(async () => t.close());

let w: World;
let ctx: ValueContext;
/** Tokens of the org's admin and of the platform admin; renewed when a fuzzed request ends the session (logout, revoke). */
const tokens = { org: '', platform: '' };
const stale = { org: false, platform: false };
let requests = 0;
let slowest = { ms: 0, what: '' };
/** Status codes seen per operation: a fuzzer that never gets past validation proves little. */
const statuses = new Map<string, Map<number, number>>();

beforeAll(async () => {
  w = await createWorld(t);
  tokens.org = w.org.token;
  tokens.platform = t.adminToken;
  ctx = { ids: Object.values(w.ids), idFor: (name) => queryIdValue(name, w) };
});

async function tokenFor(who: 'org' | 'platform') {
  if (stale[who]) {
    tokens[who] =
      who === 'org' ? (await t.login(w.org.adminEmail, GOOD_PASSWORD, w.org.slug)).accessToken : (await t.login(ADMIN_EMAIL, ADMIN_PASSWORD)).accessToken;
    stale[who] = false;
  }
  return tokens[who];
}

// ---------------------------------------------------------------------------------------------
// Requests

type Body = { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string; contentType: string };
type Auth = 'user' | 'none' | 'garbage';
/** Credentials that look right and are not. */
const GARBAGE: Record<string, string>[] = [
  { authorization: `Bearer ${'eyJhbGciOiJub25lIn0'}.${'eyJzdWIiOiJ4In0'}.` },
  { authorization: `Bearer ${'a'.repeat(8_000)}` },
  { authorization: 'Bearer imsop_0000000000_not-a-key' },
  { 'x-api-key': 'imsop_zzzzzzzzzzzz_' + 'z'.repeat(40) },
  { 'x-device-key': 'dev_zzzzzzzzzzzz_' + 'z'.repeat(40) },
  { 'x-device-key': '\u0000' },
];
type QueryEntry = [string, { text: string; raw: boolean }];
interface FuzzRequest {
  path: Record<string, { text: string; raw: boolean }>;
  query: [string, { text: string; raw: boolean }][];
  body: Body;
  auth: Auth;
  /** Which of GARBAGE, when auth is 'garbage'. */
  garbage: number;
}

const short = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
/** fast-check prints counterexamples with this (a 100 kB string would drown the report). */
function describeRequest(op: ApiOperation, r: FuzzRequest): string {
  const body = r.body.kind === 'json' ? toJsonText(r.body.value) : r.body.kind === 'raw' ? `${r.body.contentType}: ${r.body.text}` : '';
  return `${op.method} ${urlFor(op, r).slice(0, 300)} auth=${r.auth} body=${short(JSON.stringify(body).slice(1, -1), 300)}`;
}

function urlFor(op: ApiOperation, r: FuzzRequest): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = r.path[name]!;
    return v.raw ? v.text : encodeURIComponent(v.text);
  });
  const query = r.query.map(([k, v]) => `${encodeURIComponent(k)}=${v.raw ? v.text : encodeURIComponent(v.text)}`).join('&');
  return query ? `${path}?${query}` : path;
}

const asText = (v: unknown) => ({ text: typeof v === 'string' ? v : JSON.stringify(v), raw: false });
/** Lone surrogates cannot be percent-encoded (encodeURIComponent throws); they travel as raw bytes instead. */
const encodable = (s: string) => !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));

type Mode = 'minimal' | 'valid' | 'extreme' | 'invalid';

function paramArbitrary(p: Param, mode: Mode, fixture?: string): fc.Arbitrary<{ text: string; raw: boolean }> {
  const good = validArbitrary(p.schema, { ...ctx, extreme: mode === 'extreme' }, 0, p.name)
    .map(asText)
    .filter((v) => encodable(v.text));
  if (mode !== 'invalid') return fixture ? fc.oneof(fc.constant({ text: fixture, raw: false }), good) : good;
  return fc.oneof(hostileParam, good);
}

function queryArbitrary(op: ApiOperation, mode: Mode): fc.Arbitrary<QueryEntry[]> {
  const entries = op.queryParams.map((p) => {
    const entry = paramArbitrary(p, mode).map((v): QueryEntry => [p.name, v]);
    if ((p.required && mode !== 'invalid') || mode === 'extreme') return entry;
    // Optional parameters now and then: each one is a chance to be refused (a random cursor, a sort key).
    return fc.oneof({ arbitrary: fc.constant(null), weight: mode === 'minimal' ? 1 : p.required ? 1 : 3 }, { arbitrary: entry, weight: mode === 'minimal' ? 0 : 1 });
  });
  const none = fc.constant<QueryEntry[]>([]);
  const extra: fc.Arbitrary<QueryEntry[]> =
    mode !== 'invalid'
      ? none
      : fc.oneof(
          none,
          // Unknown, duplicated and prototype-polluting keys.
          fc
            .constantFrom('__proto__', 'constructor', '__proto__[isPlatformAdmin]', 'constructor[prototype][x]', 'orgId', ...op.queryParams.map((p) => p.name))
            .chain((k) => hostileParam.map((v): QueryEntry[] => [[k, v]])),
        );
  return fc.tuple(fc.tuple(...entries), extra).map(([list, more]) => [...list.filter((e): e is QueryEntry => e !== null), ...more]);
}

const rawBodies: fc.Arbitrary<Body> = fc.constantFrom<Body>(
  { kind: 'raw', text: '{"a":', contentType: 'application/json' },
  { kind: 'raw', text: 'NaN', contentType: 'application/json' },
  { kind: 'raw', text: '', contentType: 'application/json' },
  { kind: 'raw', text: '{"__proto__":{"isPlatformAdmin":true}}', contentType: 'application/json' },
  { kind: 'raw', text: '{"constructor":{"prototype":{"x":1}}}', contentType: 'application/json' },
  { kind: 'raw', text: `${'['.repeat(50_000)}${']'.repeat(50_000)}`, contentType: 'application/json' },
  { kind: 'raw', text: '{"a":1,"a":2}', contentType: 'application/json' },
  { kind: 'raw', text: '\ufeff{}', contentType: 'application/json' },
  { kind: 'raw', text: 'name=x&__proto__[a]=1', contentType: 'application/x-www-form-urlencoded' },
  { kind: 'raw', text: 'hello', contentType: 'text/plain' },
  { kind: 'raw', text: '{}', contentType: 'application/json; charset=utf-16' },
  { kind: 'raw', text: '<x/>', contentType: 'application/xml' },
);

/** Multipart bodies cut off or broken at every stage (the upload route declares no JSON body, so these are what reach it). */
const B = 'fuzzb0undary';
const multipartHead = `--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n`;
const multipartWhole = `${multipartHead}hello\r\n--${B}--\r\n`;
const brokenMultipart: Body[] = [
  { kind: 'raw', text: `${multipartHead}hel`, contentType: `multipart/form-data; boundary=${B}` },
  { kind: 'raw', text: `--${B}\r\n`, contentType: `multipart/form-data; boundary=${B}` },
  { kind: 'raw', text: `--${B}\r\nContent-Disposition: form-da`, contentType: `multipart/form-data; boundary=${B}` },
  { kind: 'raw', text: multipartWhole, contentType: 'multipart/form-data' },
  { kind: 'raw', text: multipartWhole, contentType: 'multipart/form-data; boundary=other' },
  { kind: 'raw', text: `${multipartHead}a\r\n${multipartHead}b\r\n--${B}--\r\n`, contentType: `multipart/form-data; boundary=${B}` },
];
const multipartBodies: fc.Arbitrary<Body> = fc.oneof(
  fc.constantFrom(...brokenMultipart),
  // The whole body cut at any byte.
  fc.nat(multipartWhole.length - 1).map((n): Body => ({ kind: 'raw', text: multipartWhole.slice(0, n), contentType: `multipart/form-data; boundary=${B}` })),
);

function bodyArbitrary(op: ApiOperation, mode: Mode): fc.Arbitrary<Body> {
  if (!op.body) {
    // Routes without a body get one anyway, now and then: JSON, or a broken multipart body.
    return mode !== 'invalid'
      ? fc.constant<Body>({ kind: 'none' })
      : fc.oneof(
          { arbitrary: fc.constant<Body>({ kind: 'none' }), weight: 2 },
          { arbitrary: hostileValue.map((value): Body => ({ kind: 'json', value })), weight: 1 },
          { arbitrary: multipartBodies, weight: op.method === 'POST' ? 2 : 1 },
        );
  }
  if (mode !== 'invalid') {
    return validArbitrary(op.body, { ...ctx, minimal: mode === 'minimal', extreme: mode === 'extreme' }).map((value): Body => ({ kind: 'json', value }));
  }
  return fc.oneof(
    { arbitrary: invalidArbitrary(op.body, ctx).map((value): Body => ({ kind: 'json', value })), weight: 4 },
    { arbitrary: rawBodies, weight: 1 },
    { arbitrary: multipartBodies, weight: 1 },
  );
}

function requestArbitrary(op: ApiOperation): { arbitrary: fc.Arbitrary<FuzzRequest>; extreme: fc.Arbitrary<FuzzRequest>; valid: fc.Arbitrary<FuzzRequest> } {
  const fixtures = pathValues(op, w);
  const fixture = 'values' in fixtures ? fixtures.values : {};
  const build = (mode: Mode, auth: fc.Arbitrary<Auth>) =>
    fc
      .record({
        path: fc.record(Object.fromEntries(op.pathParams.map((p) => [p.name, paramArbitrary(p, mode, fixture[p.name])]))),
        query: queryArbitrary(op, mode),
        body: bodyArbitrary(op, mode),
        auth,
        garbage: fc.nat(GARBAGE.length - 1),
      })
      .map((r) => Object.assign(r, { [fc.toStringMethod]: () => describeRequest(op, r) }));
  return {
    arbitrary: fc.oneof(
      { arbitrary: build('minimal', fc.constant('user')), weight: 2 },
      { arbitrary: build('valid', fc.constant('user')), weight: 2 },
      { arbitrary: build('extreme', fc.constant('user')), weight: 1 },
      { arbitrary: build('invalid', fc.constant('user')), weight: 4 },
      { arbitrary: build('invalid', fc.constantFrom<Auth>('none', 'garbage')), weight: 1 },
    ),
    extreme: build('extreme', fc.constant('user')),
    valid: build('valid', fc.constant('user')),
  };
}

async function send(op: ApiOperation, r: FuzzRequest): Promise<{ res: LightMyRequestResponse; ms: number }> {
  const who = op.permission === 'platform_admin' ? 'platform' : 'org';
  const headers: Record<string, string> = {};
  if (r.auth === 'user') headers.authorization = `Bearer ${await tokenFor(who)}`;
  if (r.auth === 'garbage') Object.assign(headers, GARBAGE[r.garbage]);
  let payload: string | undefined;
  if (r.body.kind === 'json') {
    payload = toJsonText(r.body.value);
    headers['content-type'] = 'application/json';
  } else if (r.body.kind === 'raw') {
    payload = r.body.text;
    headers['content-type'] = r.body.contentType;
  }
  requests++;
  const started = performance.now();
  const res = await t.inject({ method: op.method, url: urlFor(op, r), headers, ...(payload === undefined ? {} : { payload }) });
  const ms = performance.now() - started;
  if (r.auth === 'user' && res.statusCode === 401 && op.permission !== 'public') stale[who] = true;
  return { res, ms };
}

// ---------------------------------------------------------------------------------------------

const seedOf = (op: ApiOperation) => (SEED ^ crypto.createHash('sha256').update(op.key).digest().readInt32BE(0)) | 0;

describe('fuzzing every operation', () => {
  it('covers every operation of the document', () => {
    expect(ops.length).toBeGreaterThanOrEqual(80);
  });

  // Deletions last, so the fixtures they remove serve every other route first.
  const ordered = [...ops].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
  for (const op of ordered) {
    it(`${op.key} (${op.permission})`, async () => {
      const seed = seedOf(op);
      const { arbitrary, extreme, valid } = requestArbitrary(op);
      // Every run also tries one request at the edges of the schema (largest numbers, oldest dates, longest strings).
      const examples = fc.sample(extreme, { seed, numRuns: 3 }).map((r): [FuzzRequest] => [r]);
      // A POST that takes no JSON body (the upload) gets every broken multipart body once, signed in, with valid parameters.
      if (!op.body && op.method === 'POST') {
        for (const [i, r] of fc.sample(valid, { seed, numRuns: brokenMultipart.length }).entries()) {
          const broken = { ...r, body: brokenMultipart[i]! };
          examples.push([Object.assign(broken, { [fc.toStringMethod]: () => describeRequest(op, broken) })]);
        }
      }
      await fc.assert(
        fc.asyncProperty(arbitrary, async (r) => {
          const { res, ms } = await send(op, r);
          const seen = statuses.get(op.key) ?? new Map<number, number>();
          seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
          statuses.set(op.key, seen);
          if (ms > slowest.ms) slowest = { ms, what: describeRequest(op, r) };
          const verdict = check(op, res);
          if (!verdict.ok) throw new Error(`${verdict.reason}\n  request: ${describeRequest(op, r)}`);
          if (ms > MAX_MS) throw new Error(`took ${Math.round(ms)} ms (limit ${MAX_MS})\n  request: ${describeRequest(op, r)}`);
        }),
        { seed, numRuns: RUNS, examples, endOnFailure: true, includeErrorInReport: true },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n  reproduce: PROOF_SEED=${SEED} (operation seed ${seed})`);
      });
    });
  }

  it('reports the request count, and reached the handlers', () => {
    const reached = [...statuses].filter(([, m]) => [...m.keys()].some((s) => s < 300)).map(([k]) => k);
    const never = ops.map((o) => o.key).filter((k) => !reached.includes(k));
    console.info(
      `[proof/fuzz] ${ops.length} operations, ${requests} requests, seed ${SEED}; ${reached.length} operations answered 2xx at least once` +
        `${process.env.PROOF_VERBOSE ? `\n${[...statuses].map(([k, m]) => `  ${k}: ${JSON.stringify(Object.fromEntries(m))}`).join('\n')}` : ''}` +
        `\n  never 2xx: ${never.join(', ')}\n  slowest ${Math.round(slowest.ms)} ms: ${slowest.what.slice(0, 200)}`,
    );
    expect(requests).toBeGreaterThanOrEqual(ops.length * RUNS);
    expect(reached.length).toBeGreaterThan(ops.length / 2);
  });
});
