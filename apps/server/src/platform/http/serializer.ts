import { isDeepStrictEqual } from 'node:util';
import fastJson from 'fast-json-stringify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { isReusable } from '../cache/reusable.ts';
import { z } from 'zod';

type Serialize = (data: unknown) => string;
type SerializerCompiler = typeof serializerCompiler;

/**
 * A response schema compiled to a fast-json-stringify function (Fastify's own serializer), from the
 * JSON Schema of the Zod schema's output. Null when the schema has no JSON Schema (a transform, a
 * date object…): that route keeps the Zod serializer. Compiled on first use and shared by every
 * route and status with the same schema object (the error responses, the common item schemas).
 */
const compiled = new WeakMap<z.ZodType, Serialize | null>();
export function fastSerializer(schema: z.ZodType): Serialize | null {
  let fn = compiled.get(schema);
  if (fn !== undefined) return fn;
  try {
    const json = z.toJSONSchema(schema, { io: 'output', target: 'draft-7', unrepresentable: 'throw' }) as Record<string, unknown>;
    delete json.$schema;
    fn = fastJson(json as unknown as Parameters<typeof fastJson>[0]);
  } catch {
    fn = null;
  }
  compiled.set(schema, fn);
  return fn;
}

/**
 * Raised (in checked mode) when the compiled serializer would have answered another JSON value than
 * the validated Zod one. (The bytes may differ in one way only: fast-json-stringify writes an
 * object's optional properties after its required ones, Zod in the schema's order. JSON objects are
 * unordered, so that is not a difference in the value.)
 */
export class SerializerMismatchError extends Error {
  constructor(method: string, url: string, status: string, zod: string, fast: string) {
    let at = 0;
    while (at < zod.length && zod[at] === fast[at]) at++;
    const around = (s: string) => JSON.stringify(s.slice(Math.max(0, at - 80), at + 80));
    super(`${method} ${url} (${status}): the compiled serializer's JSON differs from the Zod one's (first differing byte ${at}): zod ${around(zod)}, fast ${around(fast)}`);
  }
}

/**
 * The API's response serializer compiler.
 *
 * - `checked` (tests: NODE_ENV=test, or RESPONSE_VALIDATION=true): every response is validated
 *   against its Zod schema (a body that does not match answers 500, as before), and the compiled
 *   serializer must produce the same JSON from the same data, or the response fails with
 *   SerializerMismatchError. So the whole test suite checks what production sends.
 * - otherwise (production): the compiled fast-json-stringify function, without validation at run
 *   time; the Zod serializer only for schemas without a JSON Schema.
 *
 * In both modes a body marked with `reusableBody` is serialized once and its JSON reused.
 */
export function responseSerializerCompiler(mode: { checked: boolean }): SerializerCompiler {
  return (route) => {
    const validated = serializerCompiler(route);
    const { schema, method, url } = route as { schema: unknown; method: string; url: string; httpStatus?: string };
    const status = String((route as { httpStatus?: string }).httpStatus ?? '');
    const zodSchema = schema instanceof z.ZodType ? schema : null;
    let serialize: Serialize;
    if (!zodSchema) {
      serialize = validated;
    } else if (mode.checked) {
      serialize = (data) => {
        const json = validated(data);
        const fast = fastSerializer(zodSchema);
        if (fast) {
          const other = fast(data);
          if (other !== json && !isDeepStrictEqual(JSON.parse(other), JSON.parse(json))) {
            throw new SerializerMismatchError(method, url, status, json, other);
          }
        }
        return json;
      };
    } else {
      let fast: Serialize | null | undefined;
      serialize = (data) => {
        if (fast === undefined) fast = fastSerializer(zodSchema);
        return fast ? fast(data) : validated(data);
      };
    }
    const memo = new WeakMap<object, string>();
    return (data: unknown) => {
      if (data === null || typeof data !== 'object' || !isReusable(data)) return serialize(data);
      let json = memo.get(data);
      if (json === undefined) {
        json = serialize(data);
        memo.set(data, json);
      }
      return json;
    };
  };
}
