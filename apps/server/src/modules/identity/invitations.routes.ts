import { z } from 'zod';
import { actorOf, metaOf, type ApiInstance } from '../../platform/http/api.ts';
import type { Config } from '../../config.ts';
import { pageQuery } from '../../platform/db/pagination.ts';
import { emailField, errorResponses, idParams, pageOfSchema } from '../../platform/http/schemas.ts';
import { refreshCookieSetter, tokenPair } from './auth.routes.ts';
import type { InvitationsService } from './invitations.service.ts';
import { userSchema } from './users.routes.ts';

const invitationSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  roles: z.array(z.string()),
  department: z.string().nullable(),
  invitedBy: z.uuid().nullable(),
  expiresAt: z.string(),
  expired: z.boolean(),
  createdAt: z.string(),
}).meta({ id: 'Invitation', description: 'A pending invitation to join the organization' });
const token = z.string().min(1).max(256);

export function invitationsRoutes(api: ApiInstance, invitations: InvitationsService, config: Config) {
  const tags = ['invitations'];
  const perIp = { rateLimit: { max: config.AUTH_RATE_LIMIT, timeWindow: 60_000 } };
  const setRefreshCookie = refreshCookieSetter(config);

  api.post(
    '/invitations',
    {
      config: { auth: 'users:create' },
      schema: {
        tags,
        operationId: 'createInvitation',
        summary: 'Invite a person by email, with roles and a department (a link valid once)',
        body: z.strictObject({
          email: emailField,
          roles: z.array(z.string().min(1).max(64)).max(20).optional(),
          department: z.string().trim().min(1).max(100).nullable().optional(),
        }),
        response: { 201: invitationSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await invitations.create(actorOf(req), req.body)),
  );

  api.get(
    '/invitations',
    {
      config: { auth: 'users:create' },
      schema: {
        tags,
        operationId: 'listInvitations',
        summary: 'Pending invitations (not accepted or revoked; expired ones say so), newest first',
        querystring: z.strictObject({ ...pageQuery }),
        response: { 200: pageOfSchema(invitationSchema), ...errorResponses },
      },
    },
    async (req) => invitations.list(actorOf(req), req.query),
  );

  api.post(
    '/invitations/:id/resend',
    {
      config: { auth: 'users:create' },
      schema: {
        tags,
        operationId: 'resendInvitation',
        summary: 'Send a pending invitation again with a new link (the old link stops working)',
        params: idParams,
        response: { 200: invitationSchema, ...errorResponses },
      },
    },
    async (req) => invitations.resend(actorOf(req), req.params.id),
  );

  api.delete(
    '/invitations/:id',
    {
      config: { auth: 'users:create' },
      schema: { tags, operationId: 'revokeInvitation', summary: 'Revoke a pending invitation', params: idParams, response: { 204: z.null(), ...errorResponses } },
    },
    async (req, reply) => {
      await invitations.revoke(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/invitations/accept',
    {
      config: { auth: 'public', ...perIp },
      schema: {
        tags,
        operationId: 'getInvitationByToken',
        summary: 'What an invitation link shows before acceptance: the org, the address, roles, department and expiry',
        querystring: z.strictObject({ token }),
        response: {
          200: z.object({
            orgName: z.string(),
            orgSlug: z.string(),
            email: z.string(),
            roles: z.array(z.string()),
            department: z.string().nullable(),
            expiresAt: z.string(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => invitations.preview(req.query.token),
  );

  api.post(
    '/invitations/accept',
    {
      config: { auth: 'public', ...perIp },
      schema: {
        tags,
        operationId: 'acceptInvitation',
        summary: 'Accept an invitation: choose a name and password; answers a signed-in token pair (and sets the refresh cookie)',
        body: z.strictObject({ token, name: z.string().trim().min(1).max(200), password: z.string().min(1).max(1024) }),
        response: { 200: tokenPair.extend({ user: userSchema }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const signedIn = await invitations.accept(req.body, metaOf(req));
      // The console keeps the session as after a login.
      setRefreshCookie(reply, signedIn.refreshToken);
      return signedIn;
    },
  );
}
