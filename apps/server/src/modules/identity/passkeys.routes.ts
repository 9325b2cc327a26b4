import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { pageQuerystring } from '../../platform/db/pagination.ts';
import { actorOf, metaOf, type ApiInstance } from '../../platform/http/api.ts';
import { errorResponses, idParams, pageOfSchema } from '../../platform/http/schemas.ts';
import { authRateLimit, refreshCookieSetter, tokenPair } from './auth.routes.ts';
import type { PasskeysService } from './passkeys.service.ts';
import { userSchema } from './users.routes.ts';

const passkeySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  deviceType: z.string().describe('singleDevice, or multiDevice for a synced passkey'),
  backedUp: z.boolean(),
  transports: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
const passkeyName = z.string().trim().min(1).max(100);

/** base64url, as WebAuthn's JSON serialization writes binary fields. */
const b64url = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9_-]*$/, 'Must be base64url');
const credentialId = b64url(1366).min(1);
const clientExtensionResults = z.record(z.string().max(64), z.unknown()).refine((o) => Object.keys(o).length <= 20, 'At most 20 extensions');

// What navigator.credentials.create() / get() answer, as @simplewebauthn/browser serializes them.
const registrationResponse = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url(4096),
    attestationObject: b64url(65_536),
    transports: z.array(z.string().max(32)).max(10).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults,
});
const authenticationResponse = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url(4096),
    authenticatorData: b64url(4096),
    signature: b64url(1024),
    userHandle: b64url(256).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults,
});
const descriptor = z.object({ id: z.string(), type: z.string(), transports: z.array(z.string()).optional() });
// The only extension the server asks for: credProps (whether the credential is discoverable).
const extensions = z.object({ credProps: z.boolean().optional() }).optional();
const hints = z.array(z.string()).optional();
const creationOptions = z.object({
  rp: z.object({ id: z.string().optional(), name: z.string() }),
  user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  challenge: z.string(),
  pubKeyCredParams: z.array(z.object({ type: z.string(), alg: z.number() })),
  timeout: z.number().optional(),
  excludeCredentials: z.array(descriptor).optional(),
  authenticatorSelection: z
    .object({
      authenticatorAttachment: z.string().optional(),
      residentKey: z.string().optional(),
      requireResidentKey: z.boolean().optional(),
      userVerification: z.string().optional(),
    })
    .optional(),
  attestation: z.string().optional(),
  extensions,
  hints,
});
const requestOptions = z.object({
  challenge: z.string(),
  timeout: z.number().optional(),
  rpId: z.string().optional(),
  allowCredentials: z.array(descriptor).optional(),
  userVerification: z.string().optional(),
  extensions,
  hints,
});

export function passkeysRoutes(api: ApiInstance, passkeys: PasskeysService, config: Config) {
  const tags = ['auth'];
  const setRefreshCookie = refreshCookieSetter(config);
  const rateLimited = authRateLimit(config);

  api.get(
    '/auth/passkeys',
    {
      config: { auth: 'authenticated' },
      schema: { tags, operationId: 'listPasskeys', summary: 'My passkeys, newest first (cursor pagination)', querystring: pageQuerystring, response: { 200: pageOfSchema(passkeySchema), ...errorResponses } },
    },
    async (req) => passkeys.list(actorOf(req), req.query),
  );

  api.post(
    '/auth/passkeys/registration-options',
    {
      config: { auth: 'authenticated', ...rateLimited },
      schema: {
        tags,
        operationId: 'startPasskeyRegistration',
        summary: 'Options for registering a passkey (navigator.credentials.create); the challenge is good once, for 5 minutes',
        response: { 200: creationOptions, ...errorResponses },
      },
    },
    async (req) => passkeys.registrationOptions(actorOf(req)),
  );

  api.post(
    '/auth/passkeys',
    {
      config: { auth: 'authenticated', ...rateLimited },
      schema: {
        tags,
        operationId: 'registerPasskey',
        summary: 'Register a passkey from the authenticator’s answer (user verification required)',
        body: z.strictObject({ name: passkeyName, response: registrationResponse }),
        response: { 201: passkeySchema, ...errorResponses },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await passkeys.register(actorOf(req), { name: req.body.name, response: req.body.response as RegistrationResponseJSON })),
  );

  api.patch(
    '/auth/passkeys/:id',
    {
      config: { auth: 'authenticated' },
      schema: { tags, operationId: 'renamePasskey', summary: 'Rename one of my passkeys', params: idParams, body: z.strictObject({ name: passkeyName }), response: { 200: passkeySchema, ...errorResponses } },
    },
    async (req) => passkeys.rename(actorOf(req), req.params.id, req.body.name),
  );

  api.delete(
    '/auth/passkeys/:id',
    {
      config: { auth: 'authenticated', ...rateLimited },
      schema: {
        tags,
        operationId: 'deletePasskey',
        summary: 'Remove one of my passkeys: within 10 minutes of signing in, or with my current password',
        params: idParams,
        body: z.strictObject({ password: z.string().min(1).max(1024).optional() }).nullish(),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await passkeys.remove(actorOf(req), req.params.id, { password: req.body?.password });
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/auth/passkey/options',
    {
      config: { auth: 'public', ...rateLimited },
      schema: {
        tags,
        operationId: 'startPasskeySignIn',
        summary: 'Options for signing in with a passkey (navigator.credentials.get): any of mine, or, with an MFA-step token, that account’s',
        body: z.strictObject({ mfaToken: z.string().min(1).max(2048).optional() }).nullish(),
        response: { 200: requestOptions, ...errorResponses },
      },
    },
    async (req) => passkeys.authenticationOptions({ mfaToken: req.body?.mfaToken }),
  );

  api.post(
    '/auth/passkey/login',
    {
      config: { auth: 'public', ...rateLimited },
      schema: {
        tags,
        operationId: 'signInWithPasskey',
        summary: 'Sign in with a passkey, without a password: the tokens and cookie of a login',
        body: z.strictObject({ response: authenticationResponse }),
        response: { 200: tokenPair.extend({ user: userSchema }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const result = await passkeys.signIn(req.body.response as AuthenticationResponseJSON, metaOf(req));
      setRefreshCookie(reply, result.refreshToken);
      return result;
    },
  );

  api.post(
    '/auth/mfa/passkey',
    {
      config: { auth: 'public', ...rateLimited },
      schema: {
        tags,
        operationId: 'verifyMfaWithPasskey',
        summary: 'Complete a sign-in’s MFA step with a passkey instead of a code',
        body: z.strictObject({ mfaToken: z.string().min(1).max(2048), response: authenticationResponse }),
        response: { 200: tokenPair.extend({ user: userSchema }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const result = await passkeys.verifyMfa({ mfaToken: req.body.mfaToken, response: req.body.response as AuthenticationResponseJSON }, metaOf(req));
      setRefreshCookie(reply, result.refreshToken);
      return result;
    },
  );
}
