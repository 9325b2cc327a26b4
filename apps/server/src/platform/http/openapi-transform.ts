import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];
type MediaResponse = { description?: string; content: Record<string, { schema: z.ZodType }> };

const isMediaResponse = (v: unknown): v is MediaResponse =>
  v !== null && typeof v === 'object' && !(v instanceof z.ZodType) && 'content' in v;

/**
 * The zod transform only knows JSON responses; a route that answers with other media (a file
 * download) declares `{ content: { 'application/octet-stream': { schema } } }`, which is passed
 * through here with its zod schema turned into JSON Schema.
 */
export function openApiTransform(input: TransformInput) {
  const response = (input.schema?.response ?? {}) as Record<string, unknown>;
  const media = Object.entries(response).filter(([, v]) => isMediaResponse(v)) as [string, MediaResponse][];
  if (media.length === 0) return jsonSchemaTransform(input);
  const rest = Object.fromEntries(Object.entries(response).filter(([, v]) => !isMediaResponse(v)));
  const out = jsonSchemaTransform({ ...input, schema: { ...input.schema, response: rest } } as TransformInput);
  const converted = Object.fromEntries(
    media.map(([status, r]) => [
      status,
      {
        description: r.description ?? 'OK',
        content: Object.fromEntries(Object.entries(r.content).map(([type, c]) => [type, { schema: z.toJSONSchema(c.schema, { target: 'draft-2020-12' }) }])),
      },
    ]),
  );
  return { ...out, schema: { ...out.schema, response: { ...((out.schema as { response?: object }).response ?? {}), ...converted } } };
}
