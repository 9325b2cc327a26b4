import { z } from 'zod';
import type { Config } from '../../config.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { actorOf, metaOf, type ApiInstance } from '../../platform/http/api.ts';
import { emailField, errorResponses, idParams } from '../../platform/http/schemas.ts';
import { refreshCookieSetter } from './auth.routes.ts';
import { issuerProblem, SSO_STATE_TTL_MS, type SsoService } from './sso.service.ts';

const STATE_COOKIE = 'imsop_sso';
const STATE_PATH = '/api/auth/sso';

const providerSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  issuer: z.string(),
  clientId: z.string(),
  hasClientSecret: z.boolean(),
  allowedDomains: z.array(z.string()),
  jitEnabled: z.boolean(),
  defaultRole: z.string().nullable(),
  linkByEmail: z.boolean(),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const domain = z
  .string()
  .trim()
  .max(253)
  .toLowerCase()
  .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'A domain such as example.com');
const fields = {
  name: z.string().trim().min(1).max(100),
  issuer: z
    .string()
    .trim()
    .max(500)
    .superRefine((v, c) => {
      const problem = issuerProblem(v);
      if (problem) c.addIssue({ code: 'custom', message: problem });
    })
    .transform((v) => v.replace(/\/+$/, '')),
  clientId: z.string().trim().min(1).max(500),
  clientSecret: z.string().min(1).max(2000),
  allowedDomains: z.array(domain).min(1).max(50),
  jitEnabled: z.boolean(),
  defaultRole: z.string().trim().min(1).max(64).nullable(),
  linkByEmail: z.boolean(),
  enabled: z.boolean(),
};

/** Where a browser lands after the callback: the console's login page, which finishes the sign-in or shows the error. */
const loginPage = (publicUrl: string, q: Record<string, string>) => `${publicUrl.replace(/\/+$/, '')}/login?${new URLSearchParams(q)}`;

export function ssoRoutes(api: ApiInstance, sso: SsoService, config: Config, publicUrl: string) {
  const secure = config.SECURE_COOKIES ?? false;
  const rateLimited = { rateLimit: { max: config.AUTH_RATE_LIMIT, timeWindow: 60_000 } };
  const admin = { tags: ['sso'] };
  const base = '/organizations/current/sso-providers';

  api.get(
    base,
    { config: { auth: 'org:update' }, schema: { ...admin, operationId: 'listSsoProviders', summary: 'The organization’s OpenID Connect providers (client secrets are never returned)', response: { 200: z.object({ data: z.array(providerSchema) }), ...errorResponses } } },
    async (req) => ({ data: await sso.list(actorOf(req)) }),
  );
  api.post(
    base,
    {
      config: { auth: 'org:update' },
      schema: {
        ...admin,
        operationId: 'createSsoProvider',
        summary: 'Add an OpenID Connect provider people of the organization may sign in with',
        body: z.strictObject({
          name: fields.name,
          issuer: fields.issuer,
          clientId: fields.clientId,
          clientSecret: fields.clientSecret,
          allowedDomains: fields.allowedDomains,
          jitEnabled: fields.jitEnabled.optional(),
          defaultRole: fields.defaultRole.optional(),
          linkByEmail: fields.linkByEmail.optional(),
          enabled: fields.enabled.optional(),
        }),
        response: { 201: providerSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await sso.create(actorOf(req), req.body)),
  );
  api.get(
    `${base}/:id`,
    { config: { auth: 'org:update' }, schema: { ...admin, operationId: 'getSsoProvider', summary: 'One OpenID Connect provider of the organization', params: idParams, response: { 200: providerSchema, ...errorResponses } } },
    async (req) => sso.get(actorOf(req), req.params.id),
  );
  api.patch(
    `${base}/:id`,
    {
      config: { auth: 'org:update' },
      schema: {
        ...admin,
        operationId: 'updateSsoProvider',
        summary: 'Change an OpenID Connect provider (a clientSecret replaces the stored one)',
        params: idParams,
        body: z
          .strictObject({
            name: fields.name.optional(),
            issuer: fields.issuer.optional(),
            clientId: fields.clientId.optional(),
            clientSecret: fields.clientSecret.optional(),
            allowedDomains: fields.allowedDomains.optional(),
            jitEnabled: fields.jitEnabled.optional(),
            defaultRole: fields.defaultRole.optional(),
            linkByEmail: fields.linkByEmail.optional(),
            enabled: fields.enabled.optional(),
          })
          .refine((b) => Object.keys(b).length > 0, 'Send at least one field to change'),
        response: { 200: providerSchema, ...errorResponses },
      },
    },
    async (req) => sso.update(actorOf(req), req.params.id, req.body),
  );
  api.delete(
    `${base}/:id`,
    { config: { auth: 'org:update' }, schema: { ...admin, operationId: 'deleteSsoProvider', summary: 'Remove an OpenID Connect provider (its linked identities go with it)', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await sso.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  const tags = ['auth'];
  api.get(
    '/auth/sso/providers',
    {
      config: { auth: 'public', ...rateLimited },
      schema: {
        tags,
        operationId: 'findSsoProviders',
        summary: 'The single sign-on providers for an organization (by slug) or an email address (by its domain)',
        querystring: z
          .strictObject({ org: z.string().trim().min(1).max(64).optional(), email: emailField.optional() })
          .refine((q) => (q.org === undefined) !== (q.email === undefined), 'Give either org (a slug) or email'),
        response: { 200: z.object({ data: z.array(z.object({ id: z.uuid(), name: z.string(), org: z.object({ slug: z.string(), name: z.string() }) })) }), ...errorResponses },
      },
    },
    async (req) => ({ data: await sso.discover(req.query) }),
  );

  api.get(
    '/auth/sso/start',
    {
      config: { auth: 'public', ...rateLimited },
      schema: {
        tags,
        operationId: 'startSso',
        summary: 'Start a single sign-on: redirects the browser to the identity provider (authorization code with PKCE), or to the login page when it cannot be reached',
        querystring: z.strictObject({ provider: z.uuid() }),
        response: { 302: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      let begun: Awaited<ReturnType<SsoService['begin']>>;
      try {
        begun = await sso.begin(req.query.provider);
      } catch (err) {
        // A browser on its way to a provider that cannot be reached lands on the login page, which explains.
        if (err instanceof AppError && err.code === 'sso_provider_unavailable') return reply.redirect(loginPage(publicUrl, { sso_error: err.code }), 302);
        throw err;
      }
      const { url, state } = begun;
      // Lax, not strict: the provider's redirect back is a cross-site navigation that must carry it.
      reply.setCookie(STATE_COOKIE, state, { httpOnly: true, sameSite: 'lax', secure, path: STATE_PATH, maxAge: SSO_STATE_TTL_MS / 1000 });
      return reply.redirect(url, 302);
    },
  );

  api.get(
    '/auth/sso/callback',
    {
      config: { auth: 'public', ...rateLimited },
      schema: {
        tags,
        operationId: 'ssoCallback',
        summary: 'The identity provider’s redirect back: signs in (refresh cookie) and redirects to the console, or to its login page with an error code',
        // Providers add parameters of their own (Google: authuser, hd, prompt, scope): kept, and passed on to the checks.
        querystring: z.looseObject({
          code: z.string().max(4096).optional(),
          state: z.string().max(1024).optional(),
          iss: z.string().max(1024).optional(),
          error: z.string().max(256).optional(),
          error_description: z.string().max(1024).optional(),
        }),
        response: { 302: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      reply.clearCookie(STATE_COOKIE, { path: STATE_PATH });
      try {
        const query = Object.fromEntries(Object.entries(req.query).filter((e): e is [string, string] => typeof e[1] === 'string'));
        const result = await sso.complete(req.cookies[STATE_COOKIE], query, metaOf(req));
        refreshCookieSetter(config)(reply, result.refreshToken);
        return reply.redirect(loginPage(publicUrl, { sso: 'done' }), 302);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        return reply.redirect(loginPage(publicUrl, { sso_error: err.code }), 302);
      }
    },
  );
}
