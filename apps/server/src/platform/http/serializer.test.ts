import { isResponseSerializationError } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { reusableBody } from '../cache/reusable.ts';
import { fastSerializer, responseSerializerCompiler, SerializerMismatchError } from './serializer.ts';

const item = z.object({
  id: z.uuid(),
  name: z.string(),
  department: z.string().nullable(),
  count: z.number().int(),
  ratio: z.number().nullable(),
  active: z.boolean(),
  kind: z.enum(['a', 'b']),
  note: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()),
  roles: z.array(z.object({ id: z.uuid(), name: z.string() })),
  status: z.literal('ok'),
});
const page = z.object({ data: z.array(item), nextCursor: z.string().nullable() });

const sample = {
  data: [
    {
      id: '0190a0b0-0000-7000-8000-000000000001',
      name: 'Ada "the first" \\ Lovelace\n\u0007 \ud83d\ude00 \ud800 </script>',
      department: null,
      count: 3,
      ratio: -0.5e-7,
      active: true,
      kind: 'b',
      metadata: { nested: { list: [1, 'two', null, { deep: true }] }, 'odd key "quoted"': 1 },
      roles: [{ id: '0190a0b0-0000-7000-8000-000000000002', name: 'admin' }],
      status: 'ok',
      // Not in the schema: neither serializer sends it.
      passwordHash: 'secret',
    },
    { id: '0190a0b0-0000-7000-8000-000000000003', name: '', department: 'ops', count: 0, ratio: null, active: false, kind: 'a', note: 'n', metadata: {}, roles: [], status: 'ok' },
  ],
  nextCursor: null,
};

const compile = (checked: boolean, schema: z.ZodType = page) =>
  responseSerializerCompiler({ checked })({ schema, method: 'GET', url: '/x', httpStatus: '200' } as never) as (data: unknown) => string;

describe('response serializer', () => {
  it('compiles a schema to the same JSON as validating with Zod and JSON.stringify of its output', () => {
    const fast = fastSerializer(page);
    expect(fast).not.toBeNull();
    expect(JSON.parse(fast!(sample))).toStrictEqual(JSON.parse(JSON.stringify(page.parse(sample))));
    expect(fast!(sample)).not.toContain('secret');
    // Byte for byte but for the place of an optional property present (after the required ones).
    const { note, ...rest } = sample.data[1]!;
    expect(fast!({ data: [sample.data[0]], nextCursor: null })).toBe(JSON.stringify(page.parse({ data: [sample.data[0]], nextCursor: null })));
    expect(fast!({ data: [{ ...rest, note }], nextCursor: 'c' })).toContain('"status":"ok","note":"n"}');
  });

  it('in production serializes with the compiled function, without validating', () => {
    const serialize = compile(false);
    expect(JSON.parse(serialize(sample))).toStrictEqual(JSON.parse(JSON.stringify(page.parse(sample))));
    // The checked mode accepts the other order of the optional property.
    expect(() => compile(true)(sample)).not.toThrow();
    // A value outside its enum is not caught at run time in production (the tests' checked mode catches it).
    expect(serialize({ data: [{ ...sample.data[1], kind: 'c' }], nextCursor: null })).toContain('"kind":"c"');
    expect(() => compile(true)({ data: [{ ...sample.data[1], kind: 'c' }], nextCursor: null })).toThrow();
  });

  it('in checked mode refuses a body that does not match its schema', () => {
    let caught: unknown;
    try {
      compile(true)({ data: [{ ...sample.data[0], count: 'three' }], nextCursor: null });
    } catch (err) {
      caught = err;
    }
    expect(isResponseSerializationError(caught)).toBe(true);
  });

  it('in checked mode refuses a schema whose compiled serializer would send other bytes than Zod (an output transform)', () => {
    const trimmed = z.object({ name: z.string().trim() });
    expect(() => compile(true, trimmed)({ name: ' padded ' })).toThrow(SerializerMismatchError);
    expect(compile(true, trimmed)({ name: 'plain' })).toBe('{"name":"plain"}');
  });

  it('keeps the Zod serializer for a schema without a JSON Schema', () => {
    const transformed = z.object({ at: z.date().transform((d) => d.toISOString()) });
    expect(fastSerializer(transformed)).toBeNull();
    expect(compile(false, transformed)({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });

  it('serializes a reusable body once', () => {
    const serialize = compile(false);
    const body = reusableBody(structuredClone(sample));
    const first = serialize(body);
    expect(serialize(body)).toBe(first);
    expect(Object.isFrozen(body.data[0]!.roles)).toBe(true);
  });
});
