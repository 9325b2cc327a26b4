import { z } from 'zod';
import { actorOf, type ApiInstance } from '../../platform/http/api.ts';
import { pageQuerystring } from '../../platform/db/pagination.ts';
import { errorResponses, idParams, isoDate, pageOfSchema } from '../../platform/http/schemas.ts';
import type { ApiKeysService } from './api-keys.service.ts';

const keySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  permissions: z.array(z.string()),
  createdBy: z.uuid().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
}).meta({ id: 'ApiKey', description: 'An API key (its secret is shown once, at creation)' });

export function apiKeysRoutes(api: ApiInstance, keys: ApiKeysService) {
  const tags = ['api-keys'];
  api.get(
    '/api-keys',
    {
      config: { auth: 'api_keys:read' },
      schema: { tags, operationId: 'listApiKeys', summary: 'List API keys (never the keys themselves), newest first (cursor pagination)', querystring: pageQuerystring, response: { 200: pageOfSchema(keySchema), ...errorResponses } },
    },
    async (req) => keys.list(actorOf(req), req.query),
  );
  api.post(
    '/api-keys',
    {
      config: { auth: 'api_keys:manage' },
      schema: {
        tags,
        operationId: 'createApiKey',
        summary: 'Create an API key scoped to permissions you hold; the key is shown once',
        body: z.strictObject({
          name: z.string().trim().min(1).max(100),
          permissions: z.array(z.string().min(3).max(100)).max(100).optional(),
          expiresAt: isoDate.optional(),
        }),
        response: { 201: keySchema.extend({ key: z.string() }), ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await keys.create(actorOf(req), req.body)),
  );
  api.delete(
    '/api-keys/:id',
    { config: { auth: 'api_keys:manage' }, schema: { tags, operationId: 'revokeApiKey', summary: 'Revoke an API key', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await keys.revoke(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
