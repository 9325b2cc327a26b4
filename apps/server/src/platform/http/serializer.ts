import { serializerCompiler } from 'fastify-type-provider-zod';

const reusable = new WeakSet<object>();

/** Freezes an object and everything reachable from it. */
function deepFreeze(value: unknown) {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
}

/**
 * Marks a response body that a handler will return again and again (a cached response): it is
 * deeply frozen, and the serializer validates and stringifies it once per route and status, then
 * serves the same JSON whenever the very same object is returned. A changed response must be a
 * new object.
 */
export function reusableBody<T extends object>(body: T): T {
  deepFreeze(body);
  reusable.add(body);
  return body;
}

/** The Zod response serializer, memoized for bodies marked with `reusableBody` (others as before). */
export const memoizingSerializerCompiler: typeof serializerCompiler = (route) => {
  const serialize = serializerCompiler(route);
  const memo = new WeakMap<object, string>();
  return (data: unknown) => {
    if (data === null || typeof data !== 'object' || !reusable.has(data)) return serialize(data);
    let json = memo.get(data);
    if (json === undefined) {
      json = serialize(data);
      memo.set(data, json);
    }
    return json;
  };
};
