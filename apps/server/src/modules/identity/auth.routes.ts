import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { actorOf, metaOf, type ApiInstance } from '../../platform/http/api.ts';
import { invalidRefresh } from './identity.errors.ts';
import { pageQuerystring } from '../../platform/db/pagination.ts';
import { emailField, errorResponses, idParams, pageOfSchema } from '../../platform/http/schemas.ts';
import type { AuthService } from './auth.service.ts';
import { userSchema } from './users.routes.ts';

const REFRESH_COOKIE = 'imsop_refresh';

export const tokenPair = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number(),
  tokenType: z.literal('Bearer'),
});
const loginResponse = z.union([
  tokenPair.extend({ user: userSchema, mfaRequired: z.literal(false).optional() }),
  z.object({ mfaRequired: z.literal(true), mfaToken: z.string() }),
]);
const sessionSchema = z.object({
  id: z.uuid(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: z.string(),
  lastActivityAt: z.string(),
  expiresAt: z.string(),
  current: z.boolean(),
});
const password = z.string().min(1).max(1024);

/** The refresh token's cookie, as every sign-in sets it (password, MFA, invitation, single sign-on). */
export const setRefreshCookie = (reply: FastifyReply, config: Config, token: string) =>
  reply.setCookie(REFRESH_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: config.SECURE_COOKIES ?? false,
    path: '/api/auth',
    maxAge: config.REFRESH_TOKEN_TTL,
  });

export function authRoutes(api: ApiInstance, auth: AuthService, config: Config) {
  const tags = ['auth'];
  // The per-IP limit guards the credential endpoints (login, refresh, MFA, password).
  const rateLimited = { rateLimit: { max: config.AUTH_RATE_LIMIT, timeWindow: 60_000 } };

  api.post(
    '/auth/login',
    {
      config: { auth: 'public', ...rateLimited },
      schema: {
        tags,
        operationId: 'login',
        summary: 'Sign in with email and password',
        body: z.strictObject({ email: emailField, password, org: z.string().min(1).max(64).optional() }),
        response: { 200: loginResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const result = await auth.login(req.body, metaOf(req));
      if (!result.mfaRequired) setRefreshCookie(reply, config, result.refreshToken);
      return result;
    },
  );

  api.post(
    '/auth/mfa/verify',
    {
      config: { auth: 'public', ...rateLimited },
      schema: {
        tags,
        operationId: 'verifyMfa',
        summary: 'Complete a sign-in with a TOTP or recovery code',
        body: z.strictObject({ mfaToken: z.string().min(1).max(2048), code: z.string().min(6).max(32) }),
        response: { 200: tokenPair.extend({ user: userSchema }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const result = await auth.verifyMfa(req.body, metaOf(req));
      setRefreshCookie(reply, config, result.refreshToken);
      return result;
    },
  );

  api.post(
    '/auth/refresh',
    {
      config: { auth: 'public', ...rateLimited },
      schema: {
        tags,
        operationId: 'refreshSession',
        summary: 'Rotate a refresh token (body or cookie) for a new token pair',
        body: z.strictObject({ refreshToken: z.string().min(1).max(512).optional() }).nullish(),
        response: { 200: tokenPair, ...errorResponses },
      },
    },
    async (req, reply) => {
      const token = req.body?.refreshToken ?? req.cookies[REFRESH_COOKIE];
      if (!token) throw invalidRefresh();
      const pair = await auth.refresh(token, metaOf(req));
      setRefreshCookie(reply, config, pair.refreshToken);
      return pair;
    },
  );

  api.post(
    '/auth/logout',
    {
      config: { auth: 'authenticated' },
      schema: { tags, operationId: 'logout', summary: 'End the current session', response: { 204: z.null(), ...errorResponses } },
    },
    async (req, reply) => {
      await auth.logout(actorOf(req));
      reply.clearCookie(REFRESH_COOKIE, { path: '/api/auth' });
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/auth/me',
    {
      config: { auth: 'authenticated' },
      schema: {
        tags,
        operationId: 'getCurrentUser',
        summary: 'The signed-in user (or API key) with effective permissions',
        response: {
          200: z.union([
            userSchema.extend({
              org: z.object({ id: z.uuid(), name: z.string(), slug: z.string() }),
              permissions: z.record(z.string(), z.enum(['any', 'department', 'own'])),
              isPlatformAdmin: z.boolean(),
            }),
            z.object({ type: z.literal('api_key'), id: z.uuid(), orgId: z.uuid(), permissions: z.array(z.string()) }),
          ]),
          ...errorResponses,
        },
      },
    },
    async (req) => auth.me(actorOf(req)),
  );

  api.get(
    '/auth/sessions',
    {
      config: { auth: 'authenticated' },
      schema: { tags, operationId: 'listSessions', summary: 'My active sessions, newest first (cursor pagination)', querystring: pageQuerystring, response: { 200: pageOfSchema(sessionSchema), ...errorResponses } },
    },
    async (req) => auth.listSessions(actorOf(req), req.query),
  );

  api.delete(
    '/auth/sessions/:id',
    {
      config: { auth: 'authenticated' },
      schema: { tags, operationId: 'revokeSession', summary: 'Revoke one of my sessions', params: idParams, response: { 204: z.null(), ...errorResponses } },
    },
    async (req, reply) => {
      await auth.revokeSession(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/auth/sessions/revoke-others',
    {
      config: { auth: 'authenticated' },
      schema: { tags, operationId: 'revokeOtherSessions', summary: 'Revoke all my other sessions', response: { 200: z.object({ revoked: z.number() }), ...errorResponses } },
    },
    async (req) => auth.revokeOtherSessions(actorOf(req)),
  );

  api.post(
    '/auth/password',
    {
      config: { auth: 'authenticated', ...rateLimited },
      schema: {
        tags,
        operationId: 'changePassword',
        summary: 'Change my password (other sessions are revoked)',
        body: z.strictObject({ currentPassword: password, newPassword: password }),
        response: { 200: z.object({ otherSessionsRevoked: z.number() }), ...errorResponses },
      },
    },
    async (req) => auth.changePassword(actorOf(req), req.body),
  );

  api.post(
    '/auth/mfa/setup',
    {
      config: { auth: 'authenticated' },
      schema: {
        tags,
        operationId: 'setupMfa',
        summary: 'Start TOTP enrolment: a secret and an otpauth:// URI for the authenticator app',
        response: { 200: z.object({ secret: z.string(), otpauthUri: z.string() }), ...errorResponses },
      },
    },
    async (req) => auth.mfaSetup(actorOf(req)),
  );

  api.post(
    '/auth/mfa/enable',
    {
      config: { auth: 'authenticated', ...rateLimited },
      schema: {
        tags,
        operationId: 'enableMfa',
        summary: 'Confirm enrolment with a code; returns 10 one-time recovery codes, shown once',
        body: z.strictObject({ code: z.string().min(6).max(12) }),
        response: { 200: z.object({ enabled: z.literal(true), recoveryCodes: z.array(z.string()) }), ...errorResponses },
      },
    },
    async (req) => auth.mfaEnable(actorOf(req), req.body.code),
  );

  api.post(
    '/auth/mfa/disable',
    {
      config: { auth: 'authenticated', ...rateLimited },
      schema: {
        tags,
        operationId: 'disableMfa',
        summary: 'Turn two-factor authentication off (password and a code)',
        body: z.strictObject({ password, code: z.string().min(6).max(32) }),
        response: { 200: z.object({ enabled: z.literal(false) }), ...errorResponses },
      },
    },
    async (req) => auth.mfaDisable(actorOf(req), req.body),
  );
}
