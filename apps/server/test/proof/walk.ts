/**
 * Pieces the scope walker and the reference fuzzer share with the isolation walker: bodies filled
 * from a world, snapshots of what an admin reads, the unchanged-data check, and a realtime client.
 * (isolation.test.ts keeps its own copies; these take the caller and the worlds as arguments.)
 */
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { bearer, type TestApp } from '../helpers.ts';
import { connect, type Msg } from '../realtime-client.ts';
import { sampleValid, urlOf, type ApiOperation, type JsonSchema } from './openapi.ts';
import { headerValues, namedValue, pathValues, queryIdValue, type World } from './world.ts';

export const isUuid = (s: JsonSchema): boolean =>
  s.format === 'uuid' || ((s.anyOf ?? []) as JsonSchema[]).some(isUuid) || (s.type === 'array' && isUuid((s.items as JsonSchema) ?? {}));

/** The uuid a body or query field names, from the world (by field name, then by the route's family). */
export function idFor(w: World, op: ApiOperation, name: string): string | undefined {
  const byName = queryIdValue(name, w);
  if (byName) return byName;
  if (name === 'id' || name === 'ids') {
    const values = pathValues({ ...op, pathParams: [{ name: 'id', in: 'path', required: true, schema: {} }] }, w);
    if ('values' in values) return values.values.id;
  }
  return undefined;
}

/**
 * A body that passes validation, whose uuid fields name `w`'s entities where the field says which;
 * with `everyId`, optional uuid fields that name an entity are sent too. `pick` may choose the id
 * of a field instead (by its name).
 */
export function bodyFor(
  op: ApiOperation,
  w: World,
  everyId = false,
  pick: (name: string) => string | undefined = (k) => idFor(w, op, k),
  sample: unknown = op.body ? sampleValid(op.body) : undefined,
): unknown {
  if (!op.body) return undefined;
  if (everyId && sample !== null && typeof sample === 'object' && !Array.isArray(sample)) {
    for (const [k, s] of Object.entries((op.body.properties ?? {}) as Record<string, JsonSchema>)) {
      const id = pick(k);
      if (!(k in sample) && id && isUuid(s)) (sample as Record<string, unknown>)[k] = s.type === 'array' ? [id] : id;
    }
  }
  return fillIds(sample, op.body, w, pick);
}
function fillIds(value: unknown, schema: JsonSchema, w: World, pick: (name: string) => string | undefined, name = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => fillIds(v, (schema.items as JsonSchema) ?? {}, w, pick, name));
  if (value !== null && typeof value === 'object') {
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillIds(v, props[k] ?? {}, w, pick, k)]));
  }
  if (typeof value === 'string' && isUuid(schema)) return pick(name) ?? value;
  if (typeof value === 'string') return namedValue(name, w) ?? value;
  return value;
}

let addresses = 0;
/**
 * A client address per request: the walkers call rate-limited public routes (the requester portal)
 * hundreds of times, and rate limits are not what they test.
 */
export const nextAddress = () => `10.${(addresses >> 16) & 255}.${(++addresses >> 8) & 255}.${addresses & 255}`;

/** A caller of the app: `headers` authenticate, `world` fills a requester-token header. */
export function caller(t: TestApp, count: () => void) {
  return (op: ApiOperation, url: string, headers: Record<string, string>, world: World, body?: unknown) => {
    count();
    const own = headerValues(op, world);
    return t.inject({
      method: op.method,
      url,
      remoteAddress: nextAddress(),
      headers: body === undefined ? { ...own, ...headers } : { ...own, ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  };
}

export const show = (op: ApiOperation, url: string, res: LightMyRequestResponse) => `${op.method} ${url} → ${res.statusCode} ${res.body.slice(0, 300)}`;

/** A query string of required parameters (from the world where they name an entity) plus `extra`. */
const queries = new Map<string, string>();
export function queryOf(op: ApiOperation, w: World, extra: (readonly [string, string])[] = []): string {
  // The same each time for the same request (sampled dates move on), so snapshots compare request by request.
  const key = `${op.key} ${w.ids.user} ${w.ids.ticket} ${JSON.stringify(extra)}`;
  const known = queries.get(key);
  if (known !== undefined) return known;
  const required = op.queryParams.filter((p) => p.required).map((p) => [p.name, String(queryIdValue(p.name, w) ?? sampleValid(p.schema, { ids: [] }, p.name))] as const);
  const query = [...required, ...extra].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  queries.set(key, query);
  return query;
}

/**
 * Everything `token`'s holder reads about `worlds`: every GET of the document with each world's
 * ids in its path, and every list, plain and with each uuid filter set to the world's ids (not
 * with `lists: false`, which reads the worlds' records alone). Keyed by request.
 */
export async function snapshot(t: TestApp, gets: ApiOperation[], worlds: World[], token: string, lists = true): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const w of worlds) {
    for (const op of gets) {
      const filled = pathValues(op, w);
      if ('missing' in filled) continue;
      const filters = op.queryParams.filter((p) => !p.required && queryIdValue(p.name, w)).map((p) => [p.name, queryIdValue(p.name, w)!] as const);
      const variants = op.pathParams.length ? [queryOf(op, w)] : lists ? [queryOf(op, w), ...filters.map((f) => queryOf(op, w, [f]))] : [];
      for (const query of variants) {
        const url = urlOf(op.path, filled.values, query);
        const res = await t.inject({ method: 'GET', url, remoteAddress: nextAddress(), headers: { ...headerValues(op, w), ...bearer(token) } });
        const json = String(res.headers['content-type'] ?? '').includes('json');
        out[`GET ${url}`] = { status: res.statusCode, body: !res.body ? null : json ? (res.json() as unknown) : res.body };
      }
    }
  }
  return out;
}

/** JSON flattened to `path → value`, to compare snapshots field by field; list items with an id are keyed by it. */
export function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      const id = v !== null && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null;
      flatten(v, `${prefix}/${id ? `[${id}]` : i}`, out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, `${prefix}/${k}`, out);
  } else out[prefix] = value;
  return out;
}

/**
 * Nothing changed: every field that held still between two reads before (s1, s2) still holds
 * after (s3), and no list gained or lost a row, except lists that grow by themselves (the audit
 * entries of the reads). Returns the differences, each as `request/field: before → after`.
 */
export function differences(s1: Record<string, unknown>, s2: Record<string, unknown>, s3: Record<string, unknown>): string[] {
  // A list's cursor is where its next page starts, not data (the audit trail grows with every read).
  // A session's last activity is moved by the reads themselves (at most once a minute), so a slow
  // run sees it move with no change made (in a session list, mine or another user's, or in an export).
  const moving = (k: string) => k.endsWith('/nextCursor') || /\/sessions\b.*\/lastActivityAt$/.test(k);
  const data = (f: Record<string, unknown>) => Object.fromEntries(Object.entries(f).filter(([k]) => !moving(k)));
  const [f1, f2, f3] = [data(flatten(s1)), data(flatten(s2)), data(flatten(s3))];
  const listOf = (k: string) => /^(.*?)\/(?:\[[^\]]+\]|\d+)(?:\/|$)/.exec(k)?.[1];
  const growing = new Set(
    Object.keys(f2)
      .filter((k) => !(k in f1))
      .map(listOf)
      .filter(Boolean),
  );
  const changed = Object.keys(f2).filter((k) => f1[k] === f2[k] && f2[k] !== f3[k] && !(k in f3 === false && growing.has(listOf(k))));
  const added = Object.keys(f3).filter((k) => !(k in f2) && !growing.has(listOf(k)));
  const stable = Object.keys(f2).filter((k) => f1[k] === f2[k]).length;
  expect(stable, 'the snapshots hold still between two reads').toBeGreaterThan(Object.keys(f2).length * 0.7);
  return [...changed, ...added].map((k) => `${k}: ${JSON.stringify(f2[k])} → ${JSON.stringify(f3[k])}`);
}

// ---------------------------------------------------------------------------------------------
// Realtime

export type RealtimeMessage = Msg;

/** A recording WebSocket client of the app (which starts listening on a free port on first use). */
export async function listen(t: TestApp, query: string) {
  if (!t.app.server.listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
  const c = await connect(`http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`, query);
  return { ws: c.ws, messages: c.messages, waitFor: c.next, send: c.send };
}
