import { z } from 'zod';
import { CONDITIONS } from '../../platform/access/catalogue.ts';
import { actorOf, type ApiInstance } from '../../platform/http/api.ts';
import { pageQuery, pageQuerystring } from '../../platform/db/pagination.ts';
import { booleanQuery, emailField, errorResponses, idParams, jsonObject, pageOfSchema } from '../../platform/http/schemas.ts';
import type { UsersService } from './users.service.ts';

export const roleRef = z.object({ id: z.uuid(), name: z.string() });

export const userSchema = z.object({
  id: z.uuid(),
  orgId: z.uuid(),
  email: z.string(),
  name: z.string(),
  department: z.string().nullable(),
  phone: z.string().nullable(),
  isActive: z.boolean(),
  twoFactorEnabled: z.boolean(),
  lastLogin: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  deletedAt: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  roles: z.array(roleRef),
}).meta({ id: 'User', description: 'A person of the organization (never their password or secrets)' });

/** A sign-in session as its user, or an administrator, sees it: never its tokens. */
export const sessionSchema = z.object({
  id: z.uuid(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: z.string(),
  lastActivityAt: z.string(),
  expiresAt: z.string(),
  current: z.boolean(),
}).meta({ id: 'Session', description: 'A signed-in session (a device or browser), with its last activity' });

const name = z.string().trim().min(1).max(200);
const department = z.string().trim().min(1).max(100).nullable();
const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9 ()-]{5,20}$/, 'Use an international phone number such as +44 20 7946 0000')
  .nullable();
const condition = z.enum(CONDITIONS);

const grantView = z.object({
  direct: z.array(z.object({ permission: z.string(), condition, grantedBy: z.uuid().nullable(), grantedAt: z.string() })),
  viaRoles: z.array(z.object({ permission: z.string(), condition, role: z.string() })),
});

export function usersRoutes(api: ApiInstance, users: UsersService) {
  const tags = ['users'];

  api.get(
    '/users',
    {
      config: { auth: 'users:read' },
      schema: {
        tags,
        operationId: 'listUsers',
        summary: 'List users (search, filters, cursor pagination)',
        querystring: z.strictObject({
          ...pageQuery,
          sort: z.string().max(100).optional(),
          q: z.string().trim().min(1).max(200).optional(),
          department: z.string().max(100).optional(),
          isActive: booleanQuery.optional(),
          role: z.string().max(64).optional(),
          deleted: z.enum(['exclude', 'include', 'only']).optional(),
        }),
        response: { 200: pageOfSchema(userSchema), ...errorResponses },
      },
    },
    async (req) => users.list(actorOf(req), req.query),
  );

  api.post(
    '/users',
    {
      config: { auth: 'users:create' },
      schema: {
        tags,
        operationId: 'createUser',
        summary: 'Create a user, optionally with roles',
        body: z.strictObject({
          email: emailField,
          name,
          password: z.string().min(1).max(1024),
          department: department.optional(),
          phone: phone.optional(),
          metadata: jsonObject.optional(),
          roles: z.array(z.string().min(1).max(64)).max(20).optional(),
        }),
        response: { 201: userSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await users.create(actorOf(req), req.body)),
  );

  api.get(
    '/users/:id',
    {
      config: { auth: 'users:read' },
      schema: { tags, operationId: 'getUser', summary: 'Get a user', params: idParams, response: { 200: userSchema, ...errorResponses } },
    },
    async (req) => users.get(actorOf(req), req.params.id),
  );

  api.patch(
    '/users/:id',
    {
      config: { auth: 'users:update' },
      schema: {
        tags,
        operationId: 'updateUser',
        summary: 'Update a user; fields you may not set (orgId, roles, password…) are refused',
        params: idParams,
        body: z
          .strictObject({
            name: name.optional(),
            email: emailField.optional(),
            department: department.optional(),
            phone: phone.optional(),
            metadata: jsonObject.optional(),
            isActive: z.boolean().optional(),
          })
          .refine((b) => Object.keys(b).length > 0, 'Send at least one field to change'),
        response: { 200: userSchema, ...errorResponses },
      },
    },
    async (req) => users.update(actorOf(req), req.params.id, req.body),
  );

  api.post(
    '/users/:id/deactivate',
    {
      config: { auth: 'users:update' },
      schema: { tags, operationId: 'deactivateUser', summary: 'Deactivate a user (their sessions end)', params: idParams, response: { 200: userSchema, ...errorResponses } },
    },
    async (req) => users.update(actorOf(req), req.params.id, { isActive: false }),
  );

  api.post(
    '/users/:id/activate',
    {
      config: { auth: 'users:update' },
      schema: { tags, operationId: 'activateUser', summary: 'Reactivate a user', params: idParams, response: { 200: userSchema, ...errorResponses } },
    },
    async (req) => users.update(actorOf(req), req.params.id, { isActive: true }),
  );

  api.delete(
    '/users/:id',
    {
      config: { auth: 'users:delete' },
      schema: { tags, operationId: 'deleteUser', summary: 'Soft-delete a user (restorable)', params: idParams, response: { 204: z.null(), ...errorResponses } },
    },
    async (req, reply) => {
      await users.softDelete(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/users/:id/restore',
    {
      config: { auth: 'users:delete' },
      schema: { tags, operationId: 'restoreUser', summary: 'Restore a soft-deleted user', params: idParams, response: { 200: userSchema, ...errorResponses } },
    },
    async (req) => users.restore(actorOf(req), req.params.id),
  );

  api.get(
    '/users/:id/roles',
    {
      config: { auth: 'users:read' },
      schema: { tags, operationId: 'listUserRoles', summary: 'A user’s roles', params: idParams, response: { 200: z.object({ data: z.array(roleRef) }), ...errorResponses } },
    },
    async (req) => ({ data: await users.getRoles(actorOf(req), req.params.id) }),
  );

  api.put(
    '/users/:id/roles',
    {
      config: { auth: 'roles:assign' },
      schema: {
        tags,
        operationId: 'replaceUserRoles',
        summary: 'Replace a user’s roles (names or ids); you can only hand out what you hold',
        params: idParams,
        body: z.strictObject({ roles: z.array(z.string().min(1).max(64)).max(20) }),
        response: { 200: z.object({ data: z.array(roleRef) }), ...errorResponses },
      },
    },
    async (req) => ({ data: await users.setRoles(actorOf(req), req.params.id, req.body.roles) }),
  );

  api.get(
    '/users/:id/permissions',
    {
      config: { auth: 'users:read' },
      schema: { tags, operationId: 'getUserPermissions', summary: 'A user’s direct grants and permissions via roles', params: idParams, response: { 200: grantView, ...errorResponses } },
    },
    async (req) => users.getPermissions(actorOf(req), req.params.id),
  );

  api.post(
    '/users/:id/permissions',
    {
      config: { auth: 'permissions:grant' },
      schema: {
        tags,
        operationId: 'grantUserPermission',
        summary: 'Grant a permission directly; you can only grant what you hold',
        params: idParams,
        body: z.strictObject({ permission: z.string().min(3).max(100), condition: condition.default('any') }),
        response: { 200: grantView, ...errorResponses },
      },
    },
    async (req) => users.grantPermission(actorOf(req), req.params.id, req.body.permission, req.body.condition),
  );

  api.delete(
    '/users/:id/permissions/:permission',
    {
      config: { auth: 'permissions:grant' },
      schema: {
        tags,
        operationId: 'revokeUserPermission',
        summary: 'Revoke a direct grant',
        params: idParams.extend({ permission: z.string().min(3).max(100) }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await users.revokePermission(actorOf(req), req.params.id, req.params.permission);
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/users/:id/sessions',
    {
      config: { auth: 'users:update' },
      schema: {
        tags,
        operationId: 'listUserSessions',
        summary: 'A user’s live sessions, newest sign-in first (cursor pagination; you must be able to change the user)',
        params: idParams,
        querystring: pageQuerystring,
        response: { 200: pageOfSchema(sessionSchema), ...errorResponses },
      },
    },
    async (req) => users.listSessions(actorOf(req), req.params.id, req.query),
  );

  api.delete(
    '/users/:id/sessions/:sessionId',
    {
      config: { auth: 'users:update' },
      schema: {
        tags,
        operationId: 'revokeUserSession',
        summary: 'Sign a user out of one session',
        params: idParams.extend({ sessionId: z.uuid() }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await users.revokeSession(actorOf(req), req.params.id, req.params.sessionId);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/users/:id/sessions/revoke-all',
    {
      config: { auth: 'users:update' },
      schema: {
        tags,
        operationId: 'revokeUserSessions',
        summary: 'Sign a user out everywhere (the account stays active)',
        params: idParams,
        response: { 200: z.object({ revoked: z.number() }), ...errorResponses },
      },
    },
    async (req) => users.revokeAllSessions(actorOf(req), req.params.id),
  );

  api.get(
    '/users/:id/export',
    {
      config: { auth: 'users:export' },
      schema: {
        tags,
        operationId: 'exportUserData',
        summary: 'GDPR: all personal data held about a user, as JSON',
        params: idParams,
        response: { 200: z.record(z.string(), z.unknown()), ...errorResponses },
      },
    },
    async (req) => users.exportData(actorOf(req), req.params.id),
  );

  api.post(
    '/users/:id/erase',
    {
      config: { auth: 'users:erase' },
      schema: {
        tags,
        operationId: 'eraseUser',
        summary: 'GDPR: anonymise a user’s personal data; the audit chain stays verifiable',
        params: idParams,
        response: { 200: z.object({ erased: z.literal(true) }), ...errorResponses },
      },
    },
    async (req) => users.erase(actorOf(req), req.params.id),
  );
}
