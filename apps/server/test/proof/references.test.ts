/**
 * Reference fuzzing: every operation whose body or query holds uuid fields (a field that names
 * another record, by the document's `format: uuid`) is sent, one field at a time, (a) another
 * org's id of the same kind and (b) a uuid that exists nowhere, inside a request that is valid
 * otherwise (every other id names the caller's own records). A change must be refused with a 4xx
 * (400, 404, 409 or 422), never a 2xx or a 5xx, and another org's id must be answered exactly as an
 * unknown one; a read (a filter) must never answer 5xx and must answer both alike. Nothing is
 * created or changed in either org.
 *
 * Fields come from the document: a new route's uuid fields are fuzzed without any change here; a
 * field whose kind the fixtures cannot tell gets org B's user id, and the run says so.
 */
import crypto from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers.ts';
import { loadDocument, operationsOf, responseChecker, sampleValid, urlOf, validArbitrary, type ApiOperation, type JsonSchema } from './openapi.ts';
import { bodyFor, caller, differences, idFor, isUuid, show, snapshot } from './walk.ts';
import { createWorld, headerValues, pathValues, queryIdValue, secretsOf, type World } from './world.ts';

const t: TestApp = await createTestApp();
const doc = await loadDocument(t);
const ops = operationsOf(doc);
const check = responseChecker(doc);
afterAll(async () => t.close());

let A: World;
let B: World;
let requests = 0;
const call = caller(t, () => requests++);

beforeAll(async () => {
  A = await createWorld(t);
  B = await createWorld(t);
}, 60_000);

const gets = ops.filter((o) => o.method === 'GET');
const ORG_CREDENTIALS = ['bearer', 'apiKey'];
const providerOnly = (op: ApiOperation) =>
  op.permission === 'public' && (op.security?.length ?? 0) > 0 && op.security!.every((s) => Object.keys(s as object).every((k) => !ORG_CREDENTIALS.includes(k)));

/** A uuid field of a body: where it sits, and whether it holds a list of ids. */
interface Field {
  path: string[];
  array: boolean;
}

const branches = (s: JsonSchema): JsonSchema[] => [s, ...(((s.anyOf ?? s.oneOf ?? []) as JsonSchema[]).flatMap(branches))];

/** Every uuid field of a body schema, nested objects included. */
function uuidFields(schema: JsonSchema | undefined, prefix: string[] = []): Field[] {
  if (!schema) return [];
  const out: Field[] = [];
  for (const b of branches(schema)) {
    for (const [k, s] of Object.entries((b.properties ?? {}) as Record<string, JsonSchema>)) {
      const path = [...prefix, k];
      if (out.some((f) => f.path.join('.') === path.join('.'))) continue;
      const scalar = branches(s).some((x) => x.format === 'uuid');
      const list = branches(s).some((x) => x.type === 'array' && isUuid((x.items as JsonSchema) ?? {}));
      if (scalar || list) out.push({ path, array: list && !scalar });
      else if (branches(s).some((x) => x.properties)) out.push(...uuidFields(s, path));
    }
  }
  return out;
}

/** `value` with `path` set to `v` (objects on the way are created or copied). */
function setAt(value: unknown, path: string[], v: unknown): unknown {
  const [head, ...rest] = path;
  const obj = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  return { ...obj, [head!]: rest.length ? setAt(obj[head!], rest, v) : v };
}

/** Org B's id for a field (by its name), or undefined when the fixtures cannot tell the kind. */
const foreignId = (op: ApiOperation, name: string) => idFor(B, op, name);

/** A request as org A's admin: A's ids everywhere, A's slug and requester token where asked. */
function requestOf(op: ApiOperation, query: Record<string, string> = {}) {
  const filled = pathValues(op, A);
  if ('missing' in filled) throw new Error(`declare ${filled.missing} in the proof seed of the module that owns the route`);
  const q = op.queryParams
    .filter((p) => p.required || p.name in query)
    .map((p) => [p.name, query[p.name] ?? (p.name === 'org' ? A.org.slug : String(queryIdValue(p.name, A) ?? sampleValid(p.schema, { ids: [] }, p.name)))] as const);
  // The public form and anonymous uploads name the org; the form always does.
  if (op.queryParams.some((p) => p.name === 'org') && !q.some(([k]) => k === 'org')) q.push(['org', A.org.slug] as const);
  return urlOf(op.path, filled.values, q.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
}

/**
 * Routes that take a file (multipart/form-data) rather than JSON: the document declares no JSON
 * body for them, and a 415 for the wrong kind of body.
 */
const multipart = (op: ApiOperation) =>
  op.method === 'POST' &&
  (Object.keys(((doc.paths[op.path]?.[op.method.toLowerCase()]?.requestBody as { content?: object } | undefined)?.content ?? {})).includes('multipart/form-data') ||
    (!op.body && '415' in op.responses));
const BOUNDARY = 'referencesboundary';

/**
 * Sends a request as org A: its admin's token, or for file uploads the requester's link token
 * alone (the route's `?ticket=` names the ticket of an anonymous requester).
 */
function send(op: ApiOperation, url: string, body: unknown) {
  if (!multipart(op)) return call(op, url, bearer(A.org.token), A, body);
  requests++;
  return t.inject({
    method: op.method,
    url,
    headers: { ...headerValues(op, A), 'x-ticket-token': A.values.ticketToken, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    payload: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="ref.txt"\r\nContent-Type: text/plain\r\n\r\nreference fuzzing\r\n--${BOUNDARY}--\r\n`,
  });
}

/**
 * A body the route accepts with org A's ids (found by trying the minimal sample, then samples of
 * the schema), so that a refusal below is about the one field changed. Found before the
 * snapshots: what it creates in org A is part of the "before". Undefined when none was accepted.
 */
const bases = new Map<string, unknown>();
async function findBase(op: ApiOperation): Promise<unknown> {
  if (!op.body || multipart(op)) return undefined;
  const pick = (k: string) => idFor(A, op, k);
  const samples = [bodyFor(op, A, true), ...fc.sample(validArbitrary(op.body, { ids: Object.values(A.ids), idFor: pick }), { seed: 11, numRuns: 25 }).map((x) => bodyFor(op, A, false, pick, x))];
  for (const body of samples) {
    const res = await send(op, requestOf(op), body);
    if (res.statusCode < 300) return body;
  }
  return undefined;
}

const REFUSED = [400, 404, 409, 422];
const codeOf = (body: string) => {
  try {
    return (JSON.parse(body) as { code?: string }).code;
  } catch {
    return undefined;
  }
};

const changes = ops.filter((o) => o.method !== 'GET' && o.permission !== 'platform_admin' && !providerOnly(o));
const referencing = changes.filter((o) => uuidFields(o.body).length || o.queryParams.some((p) => isUuid(p.schema)));

describe('references to records that are not the caller’s', () => {
  it('the document has routes that reference other records, and each field’s kind is known', () => {
    expect(referencing.length).toBeGreaterThan(15);
    const unknown = referencing.flatMap((op) => uuidFields(op.body).filter((f) => !foreignId(op, f.path.at(-1)!)).map((f) => `${op.key} ${f.path.join('.')}`));
    // Fields named after no entity (a nested `patch`, say) still get fuzzed, with org B's user id.
    if (unknown.length) console.info(`[proof/references] fields of unknown kind (fuzzed with org B's user id): ${unknown.join(', ')}`);
    expect(unknown.length, 'name uuid fields after their entity, or add the name to `params` or `queryIds` of a module’s proof seed').toBeLessThan(referencing.length);
  });

  it('every change with another org’s id or an unknown id in one field is refused with a 4xx, alike for both, and creates or changes nothing', async () => {
    const noBase: string[] = [];
    for (const op of referencing.filter((o) => o.body && !multipart(o))) {
      const base = await findBase(op);
      if (base === undefined) noBase.push(op.key);
      else bases.set(op.key, base);
    }
    if (noBase.length) console.info(`[proof/references] no accepted body found for (their fields are checked against the minimal sample): ${noBase.join(', ')}`);
    expect(bases.size, 'routes whose fields are checked inside a body the route accepts').toBeGreaterThan(referencing.length / 2);
    const baseOf = (op: ApiOperation) => (bases.has(op.key) ? structuredClone(bases.get(op.key)) : bodyFor(op, A, true));
    const snapA = () => snapshot(t, gets, [A], A.org.token);
    const snapB = () => snapshot(t, gets, [B], B.org.token);
    const [a1, a2, b1, b2] = [await snapA(), await snapA(), await snapB(), await snapB()];
    const failures: string[] = [];
    let probed = 0;
    // Deletions and merges last: if one is let through, the other routes still find their fixtures.
    const ordered = [...referencing].sort((x, y) => Number(x.method === 'DELETE' || x.path.endsWith('/merge')) - Number(y.method === 'DELETE' || y.path.endsWith('/merge')));
    for (const op of ordered) {
      const variants: { what: string; url: (bad: string) => string; body: (bad: string) => unknown; foreign: string }[] = [];
      for (const f of uuidFields(op.body)) {
        const name = f.path.at(-1)!;
        variants.push({
          what: `body ${f.path.join('.')}`,
          url: () => requestOf(op),
          body: (bad) => setAt(baseOf(op), f.path, f.array ? [bad] : bad),
          foreign: foreignId(op, name) ?? B.ids.user,
        });
      }
      for (const p of op.queryParams.filter((q) => isUuid(q.schema))) {
        variants.push({ what: `query ${p.name}`, url: (bad) => requestOf(op, { [p.name]: bad }), body: () => baseOf(op), foreign: foreignId(op, p.name) ?? B.ids.user });
      }
      for (const v of variants) {
        const answers: Record<string, { status: number; code: string | undefined }> = {};
        for (const [which, bad] of [
          ['another org’s id', v.foreign],
          ['an id that exists nowhere', crypto.randomUUID()],
        ] as const) {
          const url = v.url(bad);
          const body = op.body && !multipart(op) ? v.body(bad) : undefined;
          const res = await send(op, url, body);
          probed++;
          answers[which] = { status: res.statusCode, code: codeOf(res.body) };
          const sent = ` (${v.what} = ${which} ${bad}; body ${JSON.stringify(body)?.slice(0, 300)})`;
          if (!REFUSED.includes(res.statusCode)) failures.push(`${op.key}: expected ${REFUSED.join('/')}, got ${show(op, url, res)}${sent}`);
          else {
            const verdict = check(op, res);
            if (!verdict.ok) failures.push(`${op.key}: ${verdict.reason}${sent}`);
          }
          for (const s of secretsOf(B)) if (res.body.includes(s) && s !== bad) failures.push(`${op.key} shows org B's ${s}${sent}`);
        }
        const [f, r] = [answers['another org’s id']!, answers['an id that exists nowhere']!];
        if (f.status !== r.status || f.code !== r.code) failures.push(`${op.key} ${v.what}: another org's id answers ${f.status} ${f.code}, an unknown id ${r.status} ${r.code} (they must not be told apart)`);
      }
    }
    expect(probed).toBeGreaterThan(40);
    const changed = [...differences(a1, a2, await snapA()).map((d) => `org A: ${d}`), ...differences(b1, b2, await snapB()).map((d) => `org B: ${d}`)];
    const all = [...new Set([...failures, ...changed.map((d) => `a refused reference changed ${d}`)])];
    if (all.length) throw new Error(`${all.length} findings:\n  ${all.join('\n  ')}`);
  });

  it('every filter with another org’s id answers as one with an unknown id, never 5xx', async () => {
    const failures: string[] = [];
    let probed = 0;
    for (const op of gets.filter((o) => !providerOnly(o) && o.queryParams.some((p) => isUuid(p.schema)))) {
      for (const p of op.queryParams.filter((q) => isUuid(q.schema))) {
        const answers: { status: number; code: string | undefined }[] = [];
        for (const bad of [foreignId(op, p.name) ?? B.ids.user, crypto.randomUUID()]) {
          const url = requestOf(op, { [p.name]: bad });
          const res = await call(op, url, bearer(A.org.token), A);
          probed++;
          answers.push({ status: res.statusCode, code: codeOf(res.body) });
          const verdict = check(op, res);
          if (!verdict.ok) failures.push(`${op.key} ${p.name}=${bad}: ${verdict.reason}`);
          for (const s of secretsOf(B)) if (res.body.includes(s) && s !== bad) failures.push(`${show(op, url, res)} shows org B's ${s}`);
        }
        if (answers[0]!.status !== answers[1]!.status || answers[0]!.code !== answers[1]!.code) {
          failures.push(`${op.key} ?${p.name}: another org's id answers ${answers[0]!.status} ${answers[0]!.code}, an unknown id ${answers[1]!.status} ${answers[1]!.code}`);
        }
      }
    }
    expect(probed).toBeGreaterThan(10);
    if (failures.length) throw new Error(`${failures.length} findings:\n  ${failures.join('\n  ')}`);
  });

  it('reports the request count', () => {
    console.info(`[proof/references] ${referencing.length} operations reference other records, ${requests} requests`);
    expect(requests).toBeGreaterThan(60);
  });
});
