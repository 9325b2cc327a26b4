import { z } from 'zod';
import { CONDITIONS } from '../../platform/access/catalogue.ts';
import { actorOf, type ApiInstance } from '../../platform/http/api.ts';
import { pageQuerystring } from '../../platform/db/pagination.ts';
import { errorResponses, idParams, pageOfSchema } from '../../platform/http/schemas.ts';
import type { RolesService } from './roles.service.ts';

const grant = z.strictObject({ permission: z.string().min(3).max(100), condition: z.enum(CONDITIONS).default('any') });
const grants = z.array(z.union([z.string().min(3).max(100).transform((permission) => ({ permission, condition: 'any' as const })), grant])).max(200);

const roleSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  displayName: z.string(),
  description: z.string(),
  isSystem: z.boolean(),
  permissions: z.array(z.object({ permission: z.string(), condition: z.enum(CONDITIONS) })),
  userCount: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Role', description: 'A role: a named set of permissions, each with its scope' });

export function rolesRoutes(api: ApiInstance, roles: RolesService) {
  const tags = ['roles'];
  api.get(
    '/roles',
    {
      config: { auth: 'roles:read' },
      schema: { tags, operationId: 'listRoles', summary: 'List roles with their permissions, by name (cursor pagination)', querystring: pageQuerystring, response: { 200: pageOfSchema(roleSchema), ...errorResponses } },
    },
    async (req) => roles.list(actorOf(req), req.query),
  );
  api.get(
    '/roles/:id',
    { config: { auth: 'roles:read' }, schema: { tags, operationId: 'getRole', summary: 'Get a role', params: idParams, response: { 200: roleSchema, ...errorResponses } } },
    async (req) => roles.get(actorOf(req), req.params.id),
  );
  api.post(
    '/roles',
    {
      config: { auth: 'roles:manage' },
      schema: {
        tags,
        operationId: 'createRole',
        summary: 'Create a custom role; you can only put in it what you hold',
        body: z.strictObject({
          name: z.string().trim().regex(/^[a-z][a-z0-9_-]{1,62}$/, 'Lowercase letters, digits, - and _; 2 to 63 characters'),
          displayName: z.string().trim().min(1).max(100),
          description: z.string().max(500).optional(),
          permissions: grants.default([]),
        }),
        response: { 201: roleSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await roles.create(actorOf(req), req.body)),
  );
  api.patch(
    '/roles/:id',
    {
      config: { auth: 'roles:manage' },
      schema: {
        tags,
        operationId: 'updateRole',
        summary: 'Edit a custom role (system roles are fixed)',
        params: idParams,
        body: z
          .strictObject({
            displayName: z.string().trim().min(1).max(100).optional(),
            description: z.string().max(500).optional(),
            permissions: grants.optional(),
          })
          .refine((b) => Object.keys(b).length > 0, 'Send at least one field to change'),
        response: { 200: roleSchema, ...errorResponses },
      },
    },
    async (req) => roles.update(actorOf(req), req.params.id, req.body),
  );
  api.delete(
    '/roles/:id',
    { config: { auth: 'roles:manage' }, schema: { tags, operationId: 'deleteRole', summary: 'Delete a custom role', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await roles.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  api.get(
    '/permissions',
    {
      config: { auth: 'permissions:read' },
      schema: {
        tags: ['permissions'],
        operationId: 'listPermissions',
        summary: 'The permission catalogue',
        response: {
          200: z.object({
            data: z.array(
              z.object({
                key: z.string(),
                resource: z.string(),
                action: z.string(),
                description: z.string(),
                scoped: z.boolean().describe('Whether a condition (any, department, own) narrows this permission; for the others only "any" means anything'),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => ({ data: await roles.catalogue(actorOf(req)) }),
  );
}
