import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
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
  return withRetryAfter(mediaTransform(input));
}

/** Every 429 (and a 503 problem) is sent with `Retry-After` (`platform/http/api.ts`, `errors.ts`); the document says so. */
const RETRY_AFTER = { 'Retry-After': { type: 'integer', minimum: 0, maximum: 86_400, description: 'Seconds to wait before retrying' } };
function withRetryAfter<T extends ReturnType<typeof jsonSchemaTransform>>(out: T): T {
  const response = (out.schema as { response?: Record<string, unknown> }).response;
  if (!response?.['429'] || typeof response['429'] !== 'object') return out;
  return { ...out, schema: { ...out.schema, response: { ...response, 429: { ...(response['429'] as object), headers: RETRY_AFTER } } } };
}

function mediaTransform(input: TransformInput) {
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

type TransformObjectInput = Parameters<typeof jsonSchemaTransformObject>[0];
type Components = { schemas?: Record<string, Record<string, unknown>> };

/**
 * The zod transform's components, made valid OpenAPI 3.1: it gives each one `$id:
 * "#/components/schemas/<name>"` (a fragment, which JSON Schema 2020-12 forbids in `$id`) and a
 * `$schema`, and registers an input twin of every output schema whether a route uses it or not.
 */
export function openApiTransformObject(input: TransformObjectInput): ReturnType<typeof jsonSchemaTransformObject> {
  const doc = jsonSchemaTransformObject(input) as { components?: Components };
  const schemas = doc.components?.schemas ?? {};
  const cleaned = Object.fromEntries(Object.entries(schemas).map(([name, s]) => [name, Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$id' && k !== '$schema'))]));
  const text = JSON.stringify({ ...doc, components: { ...doc.components, schemas: {} } });
  // A component is kept when the paths or another kept component refer to it.
  const used = new Set<string>();
  const visit = (json: string) => {
    for (const [, name] of json.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (!used.has(name!) && cleaned[name!]) {
        used.add(name!);
        visit(JSON.stringify(cleaned[name!]));
      }
    }
  };
  visit(text);
  const schemasKept = Object.fromEntries(Object.entries(cleaned).filter(([name]) => used.has(name)));
  return { ...doc, components: { ...doc.components, schemas: schemasKept } } as ReturnType<typeof jsonSchemaTransformObject>;
}

/** The origin the generated document names (packages/sdk/openapi.json); a deployment serves its own. */
export const OPENAPI_PLACEHOLDER_ORIGIN = 'http://127.0.0.1:3000';

/**
 * The document's `servers` entry: the deployment's origin, a variable a client may set. Not internal
 * (`x-internal: false`): the API is what the console, integrations and devices call.
 */
export function serverEntry(origin: string) {
  const placeholder = origin === OPENAPI_PLACEHOLDER_ORIGIN;
  return {
    url: '{origin}',
    description: placeholder
      ? 'A local IMSOP server (npm start); set origin to your deployment (production or staging). The paths begin with /api.'
      : 'This IMSOP deployment (the production, staging or local server that served this document). The paths begin with /api.',
    'x-internal': false,
    variables: { origin: { default: origin.replace(/\/+$/, ''), description: "The deployment's origin (its PUBLIC_URL), e.g. https://imsop.example.org" } },
  };
}
