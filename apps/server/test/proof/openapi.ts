/**
 * The proof suite works from the OpenAPI document, never from per-route code: this module reads the
 * document into a list of operations, derives request values and fast-check arbitraries from the
 * declared schemas, and validates responses against the declared response schemas.
 */
import crypto from 'node:crypto';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { TestApp } from '../helpers.ts';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

export type JsonSchema = Record<string, unknown>;
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

export interface ApiOperation {
  /** `METHOD /path` as the document spells it. */
  key: string;
  method: Method;
  path: string;
  /** The declared `x-permission` (undefined when the route declares none). */
  permission: string | undefined;
  /** The operation's own `security`: `[]` for anonymous routes, a list for public routes that still take a credential. */
  security: unknown[] | undefined;
  pathParams: Param[];
  queryParams: Param[];
  headerParams: Param[];
  body: JsonSchema | undefined;
  /** Status code → JSON schema of the body (null: no body). */
  responses: Record<string, JsonSchema | null>;
  /** Status code → every media type the document declares for it. */
  responseMedia: Record<string, string[]>;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas?: Record<string, JsonSchema> };
  tags?: { name: string; description?: string }[];
}

const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] satisfies Method[];

/** Inlines `$ref`s to components and drops the `$schema`/`$id` keys that components carry. */
export function deref(doc: OpenApiDoc, schema: unknown, seen: string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((s) => deref(doc, s, seen));
  if (schema === null || typeof schema !== 'object') return schema;
  const s = schema as JsonSchema;
  if (typeof s.$ref === 'string') {
    const name = s.$ref.replace('#/components/schemas/', '');
    if (seen.includes(name)) return {};
    return deref(doc, doc.components.schemas?.[name] ?? {}, [...seen, name]);
  }
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$schema' || k === '$id') continue;
    out[k] = k === 'properties' || k === '$defs' ? Object.fromEntries(Object.entries(v as object).map(([pk, pv]) => [pk, deref(doc, pv, seen)])) : deref(doc, v, seen);
  }
  return out;
}

export async function loadDocument(t: TestApp): Promise<OpenApiDoc> {
  const res = await t.inject({ method: 'GET', url: '/api/openapi.json' });
  if (res.statusCode !== 200) throw new Error(`GET /api/openapi.json: ${res.statusCode}`);
  return res.json() as OpenApiDoc;
}

/** Every operation in the document. */
export function operationsOf(doc: OpenApiDoc): ApiOperation[] {
  const ops: ApiOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [m, raw] of Object.entries(item)) {
      const method = m.toUpperCase() as Method;
      if (!METHODS.includes(method)) continue;
      const op = deref(doc, raw) as Record<string, unknown>;
      const params = ((op.parameters ?? []) as Param[]).map((p) => ({ ...p, required: Boolean(p.required), schema: p.schema ?? {} }));
      const content = (op.requestBody as { content?: Record<string, { schema?: JsonSchema; examples?: Record<string, { value: unknown }> }> } | undefined)
        ?.content;
      const media = content?.['application/json'];
      // @fastify/swagger moves a schema's `examples` up to the media type; they are valid bodies to start from.
      const examples = media?.examples ? Object.values(media.examples).map((e) => e.value) : [];
      const responses: Record<string, JsonSchema | null> = {};
      const responseMedia: Record<string, string[]> = {};
      for (const [status, r] of Object.entries((op.responses ?? {}) as Record<string, { content?: Record<string, { schema?: JsonSchema }> }>)) {
        const media = Object.keys(r.content ?? {});
        responseMedia[status] = media;
        // A non-JSON answer (a file download) is recorded by its media types.
        responses[status] = r.content?.['application/json']?.schema ?? (media.length ? { 'x-media': media } : null);
      }
      ops.push({
        key: `${method} ${path}`,
        method,
        path,
        permission: typeof op['x-permission'] === 'string' ? (op['x-permission'] as string) : undefined,
        security: Array.isArray(op.security) ? (op.security as unknown[]) : undefined,
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        headerParams: params.filter((p) => p.in === 'header'),
        body: content ? { ...(media?.schema ?? {}), ...(examples.length ? { examples } : {}) } : undefined,
        responses,
        responseMedia,
      });
    }
  }
  return ops;
}

/**
 * What the operations of the document lack to be named and grouped: each needs an operationId
 * (camelCase, unique in the document: the SDK's and Swagger UI's name for it), a summary, and at
 * least one tag, every tag declared in the document's top-level tags (which the modules declare).
 */
export function namingProblems(doc: OpenApiDoc): string[] {
  const declared = new Set((doc.tags ?? []).map((t) => t.name));
  const owners = new Map<string, string>();
  const problems: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      const key = `${m.toUpperCase()} ${path}`;
      if (!METHODS.includes(m.toUpperCase())) continue;
      const id = op.operationId;
      if (typeof id !== 'string' || id === '') problems.push(`${key}: no operationId`);
      else if (!/^[a-z][a-zA-Z0-9]*$/.test(id)) problems.push(`${key}: operationId "${id}" is not camelCase`);
      else if (owners.has(id)) problems.push(`${key}: operationId "${id}" is already ${owners.get(id)}'s`);
      else owners.set(id, key);
      if (typeof op.summary !== 'string' || op.summary.trim() === '') problems.push(`${key}: no summary`);
      const tags = Array.isArray(op.tags) ? (op.tags as unknown[]) : [];
      if (tags.length === 0) problems.push(`${key}: no tag`);
      for (const tag of tags) if (!declared.has(String(tag))) problems.push(`${key}: tag "${String(tag)}" is not among the document's tags`);
    }
  }
  return problems;
}

/** The URL of an operation with its path parameters filled in (values are percent-encoded unless `raw`). */
export function urlOf(path: string, values: Record<string, string>, query = '', raw = false): string {
  const url = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for path parameter {${name}} of ${path}`);
    return raw ? v : encodeURIComponent(v);
  });
  return query ? `${url}?${query}` : url;
}

// ---------------------------------------------------------------------------------------------
// Values from schemas

const typesOf = (s: JsonSchema): string[] => (Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : []);
const branchesOf = (s: JsonSchema): JsonSchema[] | null => ((s.anyOf ?? s.oneOf) as JsonSchema[] | undefined) ?? null;

/** Ids the generators may pick for uuid fields, so that valid-ish requests reach real rows. */
export interface ValueContext {
  ids: string[];
  /** The id a uuid field's name asks for (`deviceId` → a device), when there is one. */
  idFor?: (name: string) => string | undefined;
  /** Objects with their required properties only (or a single one when none is required). */
  minimal?: boolean;
  /** Values at the edges of what the schema allows: the largest numbers, the longest strings, the oldest dates. */
  extreme?: boolean;
}

const EDGE_DATES = ['0000-01-01T00:00:00Z', '0001-01-01T00:00:00+00:01', '9999-12-31T23:59:59.999-23:59', '1969-12-31T23:59:59.999999999Z', '2000-02-29T00:00:00+14:00'];

/** The edge values of a scalar schema, or null when it has none worth trying. */
function extremeValues(schema: JsonSchema): fc.Arbitrary<unknown> | null {
  const type = typesOf(schema).find((t) => t !== 'null');
  if (type === 'number' || type === 'integer') {
    const int = type === 'integer';
    const min = typeof schema.minimum === 'number' ? schema.minimum : int ? -Number.MAX_SAFE_INTEGER : -1.7976931348623157e308;
    const max = typeof schema.maximum === 'number' ? schema.maximum : int ? Number.MAX_SAFE_INTEGER : 1.7976931348623157e308;
    return fc.constantFrom(min, max);
  }
  if (type === 'string' && schema.format === 'date-time') return fc.constantFrom(...EDGE_DATES);
  if (type === 'string' && !schema.format && !schema.pattern && typeof schema.maxLength === 'number' && schema.maxLength > 0) {
    const n = schema.maxLength;
    // The longest string allowed, counted in UTF-16 units, in characters a database may count differently.
    return fc.constantFrom('x'.repeat(n), '\u{1F4A9}'.repeat(Math.floor(n / 2)) || 'x', 'é'.repeat(n));
  }
  return null;
}

/** A deterministic, minimal valid value: required properties only, the first enum value, the lower bounds. */
export function sampleValid(schema: JsonSchema, ctx: ValueContext = { ids: [] }, name = ''): unknown {
  if (typeof schema === 'boolean') return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if ('default' in schema && schema.default !== undefined) return schema.default;
  const branches = branchesOf(schema);
  if (branches) return sampleValid(branches.find((b) => !typesOf(b).includes('null')) ?? branches[0]!, ctx, name);
  const types = typesOf(schema).filter((t) => t !== 'null');
  const type = types[0] ?? (schema.properties ? 'object' : undefined);
  switch (type) {
    case 'string':
      return sampleString(schema, ctx, name);
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 0;
      const max = typeof schema.maximum === 'number' ? schema.maximum : Number.MAX_SAFE_INTEGER;
      return Math.min(Math.max(min, 1), max);
    }
    case 'boolean':
      return true;
    case 'array': {
      if (Array.isArray(schema.prefixItems)) return (schema.prefixItems as JsonSchema[]).map((s) => sampleValid(s, ctx, name));
      const n = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return Array.from({ length: n }, () => sampleValid((schema.items as JsonSchema) ?? {}, ctx, name));
    }
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = (schema.required ?? []) as string[];
      // With nothing required, send one field: "send at least one field to change" is common and not expressible in the schema.
      const keys = required.length ? required : Object.keys(props).slice(0, 1);
      return Object.fromEntries(keys.map((k) => [k, sampleValid(props[k] ?? {}, ctx, k)]));
    }
    default:
      return {};
  }
}

let dateSamples = 0;
function sampleString(schema: JsonSchema, ctx: ValueContext, name: string): string {
  if (schema.format === 'uuid') return ctx.ids[0] ?? crypto.randomUUID();
  // Successive dates move forward, so that a window (startsAt, endsAt) comes out in order.
  if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000 + ++dateSamples * 3_600_000).toISOString();
  if (schema.format === 'email') return `sample.${crypto.randomBytes(4).toString('hex')}@example.test`;
  if (typeof schema.pattern === 'string') {
    const [v] = fc.sample(stringMatching(schema), { seed: 1, numRuns: 1 });
    return v!;
  }
  const min = typeof schema.minLength === 'number' ? schema.minLength : 1;
  const base = name ? `${name}-sample` : 'sample';
  return base.padEnd(min, 'x').slice(0, typeof schema.maxLength === 'number' ? Math.max(schema.maxLength, min) : undefined);
}

function stringMatching(schema: JsonSchema): fc.Arbitrary<string> {
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  return fc.stringMatching(new RegExp(schema.pattern as string)).filter((s) => s.length >= min && s.length <= max);
}

/**
 * A fast-check arbitrary of values the schema accepts (or nearly: refinements that JSON Schema
 * cannot express, such as "at least one field", are left to chance).
 */
export function validArbitrary(schema: JsonSchema, ctx: ValueContext, depth = 0, name = ''): fc.Arbitrary<unknown> {
  if (typeof schema === 'boolean') return fc.constant(null);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.examples) && schema.examples.length) {
    const { examples, ...rest } = schema;
    if (ctx.extreme) {
      // A documented example with one of its numbers pushed to the edge of float64.
      const cases = (examples as unknown[]).flatMap((ex) => leafPaths(ex).filter((p) => typeof getAt(ex, p) === 'number').map((p) => [ex, p] as const));
      if (cases.length) {
        return fc
          .tuple(fc.constantFrom(...cases), fc.constantFrom(1.7976931348623157e308, -1.7976931348623157e308))
          .map(([[ex, path], edge]) => replaceAt(ex, path, edge));
      }
    }
    return fc.oneof(fc.constantFrom(...(examples as unknown[])), validArbitrary(rest, ctx, depth, name));
  }
  if (ctx.extreme) {
    const edge = extremeValues(schema);
    if (edge) return edge;
  }
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const branches = branchesOf(schema);
  if (branches) return fc.oneof(...branches.map((b) => validArbitrary(b, ctx, depth, name)));
  const types = typesOf(schema);
  if (types.length > 1) return fc.oneof(...types.map((type) => validArbitrary({ ...schema, type }, ctx, depth, name)));
  const type = types[0] ?? (schema.properties ? 'object' : undefined);
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1_000_000;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1_000_000;
      return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
    }
    case 'number': {
      const bounded = typeof schema.minimum === 'number' || typeof schema.maximum === 'number';
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1e9;
      const max = typeof schema.maximum === 'number' ? schema.maximum : 1e9;
      const small = fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
      // Unbounded numbers range over all of float64: ±1.7e308 is a valid JSON number too.
      return bounded ? small : fc.oneof(small, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e308, -1e308, 5e-324));
    }
    case 'string':
      return stringArbitrary(schema, ctx, name);
    case 'array': {
      // A tuple (JSON Schema 2020: prefixItems, with `items: false` closing it).
      if (Array.isArray(schema.prefixItems)) {
        return fc.tuple(...(schema.prefixItems as JsonSchema[]).map((s) => validArbitrary(s, ctx, depth + 1, name)));
      }
      const minLength = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const maxLength = Math.max(minLength, Math.min(typeof schema.maxItems === 'number' ? schema.maxItems : 3, 3));
      return fc.array(validArbitrary((schema.items as JsonSchema) ?? {}, ctx, depth + 1, name), { minLength, maxLength });
    }
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = (schema.required ?? []) as string[];
      if (Object.keys(props).length === 0) {
        // A free-form object (settings, metadata): any small JSON object.
        return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
      }
      const record = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, validArbitrary(s, ctx, depth + 1, k)]));
      const requiredKeys = required.filter((k) => k in props);
      if (ctx.extreme) return fc.record(record);
      if (!ctx.minimal) return fc.record(record, { requiredKeys });
      if (requiredKeys.length) return fc.record(Object.fromEntries(requiredKeys.map((k) => [k, record[k]!])));
      return fc.constantFrom(...Object.keys(record)).chain((k) => fc.record({ [k]: record[k]! }));
    }
    default:
      return depth > 2 ? fc.constant(null) : fc.jsonValue({ maxDepth: 3 });
  }
}

/** Values a field's name asks for, which JSON Schema cannot say (a password the policy accepts). */
const HINTS: [RegExp, fc.Arbitrary<string>][] = [[/password/i, fc.integer({ min: 0 }).map((n) => `Sturdy-${n.toString(36)}-Pass-42`)]];

function stringArbitrary(schema: JsonSchema, ctx: ValueContext, name = ''): fc.Arbitrary<string> {
  const hint = HINTS.find(([re]) => re.test(name))?.[1];
  if (hint) return fc.oneof(hint, stringArbitrary(schema, ctx));
  if (schema.format === 'uuid') {
    const named = ctx.idFor?.(name);
    if (named) return fc.oneof({ arbitrary: fc.constant(named), weight: 3 }, { arbitrary: fc.uuid(), weight: 1 });
    return ctx.ids.length ? fc.oneof(fc.constantFrom(...ctx.ids), fc.uuid()) : fc.uuid();
  }
  if (schema.format === 'date-time') {
    return fc.oneof(
      fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
      // The edges of what the format allows: year 0000, year 9999 pushed past by an offset.
      fc.constantFrom('0000-01-01T00:00:00Z', '0001-01-01T00:00:00+00:01', '9999-12-31T23:59:59.999-23:59', '1969-12-31T23:59:59.999999999Z', '2000-02-29T00:00:00+14:00'),
      ...(typeof schema.pattern === 'string' ? [stringMatching(schema)] : []),
    );
  }
  if (typeof schema.pattern === 'string') return stringMatching(schema);
  if (schema.format === 'email') return fc.emailAddress().filter((e) => e.length <= ((schema.maxLength as number) ?? 254));
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = Math.max(minLength, Math.min(typeof schema.maxLength === 'number' ? schema.maxLength : 80, 80));
  return fc.oneof(
    fc.string({ minLength, maxLength }),
    fc.string({ minLength, maxLength, unit: 'grapheme' }),
    fc.constantFrom(...INJECTIONS.filter((s) => s.length >= minLength && s.length <= maxLength)),
  );
}

// ---------------------------------------------------------------------------------------------
// Hostile values

/**
 * JSON text that JSON.stringify cannot write (`1e400`, `NaN`, 50,000 levels of nesting, duplicate
 * keys): a placeholder string in the value, spliced into the text by `toJsonText`.
 */
const rawTexts: string[] = [];
export function rawJson(text: string): string {
  let i = rawTexts.indexOf(text);
  if (i < 0) i = rawTexts.push(text) - 1;
  return `\u0001raw:${i}\u0001`;
}
export const rawNumber = rawJson;

/** JSON text for a value, with the raw pieces spliced in. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0001raw:(\d+)\\u0001"/g, (_, i: string) => rawTexts[Number(i)]!);
}

export const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '1) UNION SELECT password_hash FROM users --',
  "\\'; select pg_sleep(5); --",
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{"$ne": null}',
  '{"__proto__": {"admin": true}}',
  '${7*7}{{7*7}}',
  '../../../../etc/passwd',
  '%00%27%22',
  'null',
  'undefined',
  'true',
  '-1',
  '1e400',
];

const deepArray = (n: number) => rawJson(`${'['.repeat(n)}${']'.repeat(n)}`);
const deepObject = (n: number) => rawJson(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`);
const withKeys = (pairs: [string, unknown][]) => {
  const o: Record<string, unknown> = {};
  for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
};

/** Strings no field should choke on. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'x'.repeat(100_000),
    '\u00e9\u{1F4A9}'.repeat(25_000),
    'a\u0000b',
    '\u0000',
    '\ud800',
    'x\udfffy',
    '\ud83d',
    '\u202e\u200b\ufeff',
    '',
    ' ',
    ...INJECTIONS,
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

/** Any JSON value a hostile client might send in place of a field or a whole body. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(
    rawNumber('NaN'),
    rawNumber('1e400'),
    rawNumber('-1e400'),
    rawNumber('-0'),
    rawNumber('123456789012345678901234567890'),
    -1,
    0,
    1.5,
    -1e308,
    1e308,
    2 ** 53 + 1,
    Number.MIN_VALUE,
    true,
    false,
    null,
    [],
    {},
    '123',
    ['a', 1, null],
  ),
  fc.constantFrom(deepArray(50_000), deepObject(10_000), deepArray(20), deepObject(20), rawJson('{"a":1,"a":{"b":2}}')),
  fc.constantFrom(
    withKeys([['__proto__', { isPlatformAdmin: true, permissions: ['*'] }]]),
    withKeys([['constructor', { prototype: { isPlatformAdmin: true } }]]),
    withKeys([['prototype', {}], ['__proto__', null]]),
  ),
  fc.double(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.jsonValue({ maxDepth: 3 }),
);

const getAt = (v: unknown, path: (string | number)[]): unknown => path.reduce<unknown>((x, k) => (x as Record<string | number, unknown>)?.[k], v);

/** Every path to a leaf of a JSON value. */
function leafPaths(v: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (v !== null && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v);
    return entries.length ? entries.flatMap(([k, x]) => leafPaths(x, [...path, k])) : [path];
  }
  return [path];
}
function replaceAt(v: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(v)) return v.map((x, i) => (i === head ? replaceAt(x, rest, replacement) : x));
  return { ...(v as object), [head!]: replaceAt((v as Record<string, unknown>)[head!], rest, replacement) };
}

/** A body that breaks the schema: a hostile whole, or a valid-ish object with one hostile field or an extra key. */
export function invalidArbitrary(schema: JsonSchema, ctx: ValueContext): fc.Arbitrary<unknown> {
  const props = Object.keys((schema.properties ?? {}) as object);
  const shaped = validArbitrary(schema, ctx);
  const parts: fc.Arbitrary<unknown>[] = [hostileValue];
  if (Array.isArray(schema.examples) && schema.examples.length) {
    // A documented example with one leaf made hostile (free-form bodies such as telemetry points).
    parts.push(
      fc
        .constantFrom(...(schema.examples as unknown[]))
        .chain((ex) => fc.tuple(fc.constant(ex), fc.constantFrom(...leafPaths(ex)), hostileValue))
        .map(([ex, path, bad]) => replaceAt(ex, path, bad)),
    );
  }
  if (props.length) {
    parts.push(
      fc.tuple(shaped, fc.constantFrom(...props), hostileValue).map(([v, k, bad]) =>
        v !== null && typeof v === 'object' && !Array.isArray(v) ? { ...(v as object), [k]: bad } : v,
      ),
      fc
        .tuple(shaped, fc.constantFrom('__proto__', 'constructor', 'isPlatformAdmin', 'orgId', 'id'), hostileValue)
        .map(([v, k, bad]) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? withKeys([...Object.entries(v as object), [k, bad]]) : v)),
    );
  }
  return fc.oneof(...parts);
}

/** Query or path values that break the schema: strings only (that is all a URL carries). */
export const hostileParam: fc.Arbitrary<{ text: string; raw: boolean }> = fc.oneof(
  hostileString.filter((s) => s.length < 20_000 && !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))).map((text) => ({ text, raw: false })),
  fc.constantFrom('NaN', 'Infinity', '-1', '1e400', '99999999999999999999', '0x10', '[]', '{}', 'true', '00000000-0000-0000-0000-000000000000').map((text) => ({ text, raw: false })),
  // Malformed percent-encoding and lone surrogates as UTF-8 bytes, sent as they are.
  fc.constantFrom('%', '%zz', '%ED%A0%80', '%FF%FE', '%00', 'a%2Fb', '..%2F..%2F').map((text) => ({ text, raw: true })),
);

// ---------------------------------------------------------------------------------------------
// Responses

export interface ResponseCheck {
  ok: boolean;
  reason?: string;
}

/** Validates responses against the document: 2xx bodies against their declared schema, 4xx as problem+json. */
export function responseChecker(doc: OpenApiDoc) {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  const cache = new Map<JsonSchema, ReturnType<typeof ajv.compile>>();
  const compile = (s: JsonSchema) => {
    let v = cache.get(s);
    if (!v) {
      v = ajv.compile(s);
      cache.set(s, v);
    }
    return v;
  };
  const problem = deref(doc, { $ref: '#/components/schemas/Problem' }) as JsonSchema;

  return (op: ApiOperation, res: LightMyRequestResponse): ResponseCheck => {
    const status = res.statusCode;
    const ct = String(res.headers['content-type'] ?? '');
    if (status >= 500) return { ok: false, reason: `${status} server error: ${res.body.slice(0, 500)}` };
    if (status >= 400) {
      if (!ct.startsWith('application/problem+json')) return { ok: false, reason: `${status} is not problem+json (${ct}): ${res.body.slice(0, 300)}` };
      let body: unknown;
      try {
        body = res.json();
      } catch {
        return { ok: false, reason: `${status} body is not JSON` };
      }
      const v = compile(problem);
      if (!v(body)) return { ok: false, reason: `${status} problem breaks the Problem schema: ${ajv.errorsText(v.errors)}` };
      if ((body as { status?: number }).status !== status) return { ok: false, reason: `problem status ${(body as { status?: number }).status} ≠ ${status}` };
      return { ok: true };
    }
    if (status >= 200 && status < 300) {
      if (!(String(status) in op.responses)) return { ok: false, reason: `${status} is not a declared response` };
      const schema = op.responses[String(status)] ?? null;
      // A declared non-JSON alternative (a CSV or PDF export of a JSON report).
      const declared = op.responseMedia[String(status)] ?? [];
      if (!ct.includes('json') && declared.some((m) => m !== 'application/json' && ct.startsWith(m))) {
        return res.rawPayload.length > 0 ? { ok: true } : { ok: false, reason: `${status} ${ct} is empty` };
      }
      if (schema?.['x-media']) {
        return ct.startsWith('application/json') || res.rawPayload.length === 0 ? { ok: false, reason: `${status} should be a file, got ${ct}` } : { ok: true };
      }
      if (schema === null || status === 204) {
        return res.body.length === 0 || schema?.type === 'null' ? { ok: true } : { ok: false, reason: `${status} should have no body: ${res.body.slice(0, 200)}` };
      }
      let body: unknown;
      try {
        body = res.json();
      } catch {
        return { ok: false, reason: `${status} body is not JSON: ${res.body.slice(0, 200)}` };
      }
      const v = compile(schema);
      if (!v(body)) return { ok: false, reason: `${status} body breaks its declared schema: ${ajv.errorsText(v.errors)} in ${res.body.slice(0, 500)}` };
      return { ok: true };
    }
    return { ok: true };
  };
}
