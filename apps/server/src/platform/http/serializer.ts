import { serializerCompiler } from 'fastify-type-provider-zod';
import { isReusable } from '../cache/reusable.ts';


/** The Zod response serializer, memoized for bodies marked with `reusableBody` (others as before). */
export const memoizingSerializerCompiler: typeof serializerCompiler = (route) => {
  const serialize = serializerCompiler(route);
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
