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

/** Whether `body` was marked with `reusableBody` (the serializer then memoizes its JSON). */
export const isReusable = (body: object): boolean => reusable.has(body);
