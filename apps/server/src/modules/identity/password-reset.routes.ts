import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { tooManyRequests } from '../../platform/errors/app-error.ts';
import { metaOf, type ApiInstance } from '../../platform/http/api.ts';
import { emailField, errorResponses } from '../../platform/http/schemas.ts';
import type { PasswordResetService } from './password-reset.service.ts';

const accepted = z.object({ status: z.literal('accepted'), detail: z.string() });
const ACCEPTED = {
  status: 'accepted' as const,
  detail: 'If an account uses this address, a link to reset its password is on its way.',
};

export function passwordResetRoutes(api: ApiInstance, resets: PasswordResetService, config: Config) {
  const tags = ['auth'];
  const perIp = { rateLimit: { max: config.AUTH_RATE_LIMIT, timeWindow: 60_000 } };
  /**
   * Per address as well, counted whether the address is known or not (so the limit tells nothing),
   * in the same store as the per-IP limit: a preHandler, since the address is in the validated body.
   */
  const addressLimit = api.createRateLimit({
    max: config.PASSWORD_RESET_RATE_LIMIT,
    timeWindow: 3600_000,
    keyGenerator: (req: FastifyRequest) => `password-reset:${(req.body as { email: string }).email.toLowerCase()}`,
  });
  const perAddress = async (req: FastifyRequest) => {
    const limit = await addressLimit(req);
    if (!limit.isAllowed && limit.isExceeded) {
      throw tooManyRequests(limit.ttlInSeconds, 'Too many reset requests for this address; try again later.');
    }
  };

  api.post(
    '/auth/password/forgot',
    {
      config: { auth: 'public', ...perIp },
      preHandler: perAddress,
      schema: {
        tags,
        operationId: 'requestPasswordReset',
        summary: 'Ask for a password-reset link by email (answers alike for unknown addresses)',
        body: z.strictObject({ email: emailField, org: z.string().min(1).max(64).optional() }),
        response: { 202: accepted, ...errorResponses },
      },
    },
    async (req, reply) => {
      await resets.request(req.body, metaOf(req));
      return reply.code(202).send(ACCEPTED);
    },
  );

  api.post(
    '/auth/password/reset',
    {
      config: { auth: 'public', ...perIp },
      schema: {
        tags,
        operationId: 'resetPassword',
        summary: 'Set a new password with a reset link’s token (every session of the account ends)',
        body: z.strictObject({ token: z.string().min(1).max(256), password: z.string().min(1).max(1024) }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      await resets.reset(req.body, metaOf(req));
      return reply.code(204).send(null);
    },
  );
}
