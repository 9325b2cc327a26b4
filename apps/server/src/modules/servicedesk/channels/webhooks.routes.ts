import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { metaOf, type ApiInstance } from '../../../platform/http/api.ts';
import { AppError, badRequest, notFound } from '../../../platform/http/errors.ts';
import { errorResponses, problemSchema } from '../../../platform/http/schemas.ts';
import type { MessagingProvider, WebhookCall } from '../../../platform/messaging/provider.ts';
import { twilioWebhookSchema } from '../../../platform/messaging/twilio.ts';
import { whatsappWebhookSchema, type WhatsAppCloud } from '../../../platform/messaging/whatsapp.ts';
import type { ConversationsService } from './conversations.service.ts';
import { slug } from '../portal/portal.routes.ts';
import type { OrgBySlug } from '../../identity/index.ts';

const params = z.object({ orgSlug: slug.describe('The organization whose service desk receives the messages') });
const received = z.object({ received: z.number().describe('New customer messages applied'), duplicates: z.number().describe('Redelivered messages ignored') });
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * Inbound webhooks of the chat providers, one URL per org. The provider's signature is the
 * authentication: a call without a valid one is refused with 401 before anything is read or stored.
 */
export function webhookRoutes(
  api: ApiInstance,
  deps: {
    whatsapp: WhatsAppCloud;
    sms: MessagingProvider;
    whatsappOrg?: string | undefined;
    conversations: ConversationsService;
    orgBySlug: OrgBySlug;
    publicUrl: string;
  },
) {
  const tags = ['service desk webhooks'];
  const base = deps.publicUrl.replace(/\/+$/, '');

  void api.register(async (scoped) => {
    const scope = scoped as unknown as ApiInstance;
    // Signatures cover the exact bytes received, so this scope keeps the raw body beside the parsed one.
    const raw = new WeakMap<FastifyRequest, Buffer>();
    const json = scope.getDefaultJsonParser('error', 'error');
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
      raw.set(req, body as Buffer);
      json(req, (body as Buffer).toString('utf8'), done);
    });
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (req, body, done) => {
      raw.set(req, body as Buffer);
      done(null, Object.fromEntries(new URLSearchParams((body as Buffer).toString('utf8'))));
    });

    const callOf = (req: FastifyRequest): WebhookCall => ({
      url: `${base}${req.url}`,
      headers: req.headers,
      rawBody: raw.get(req) ?? Buffer.alloc(0),
      body: req.body,
    });
    /** Runs before validation: an unsigned call learns nothing about the body it sent. */
    const signed = (provider: MessagingProvider, header: string) => async (req: FastifyRequest) => {
      if (!provider.verify(callOf(req))) {
        throw new AppError(401, 'invalid_signature', `The webhook's ${header} signature is missing or does not match.`);
      }
    };
    /**
     * WhatsApp signs the body, not the URL: a delivery is taken only at the URL of the org that owns the
     * number (WHATSAPP_ORG; parse() keeps only messages to WHATSAPP_PHONE_NUMBER_ID). Any other org's URL
     * answers as an unknown one, before anything is read or stored. (Twilio signs the URL itself.)
     */
    const whatsappOwner = (orgSlug: string) => {
      if (!deps.whatsappOrg || orgSlug !== deps.whatsappOrg) throw notFound('WhatsApp number of this organization');
    };
    async function deliver(req: FastifyRequest, orgSlug: string, provider: MessagingProvider) {
      if (provider === deps.whatsapp) whatsappOwner(orgSlug);
      const org = await deps.orgBySlug(orgSlug);
      if (!org) throw notFound('Organization');
      const out = { received: 0, duplicates: 0 };
      for (const msg of provider.parse(callOf(req))) {
        const done = await deps.conversations.receive(org.id, provider.provider, provider.channel, msg, metaOf(req));
        out[done === 'duplicate' ? 'duplicates' : 'received']++;
      }
      return out;
    }

    scope.get(
      '/webhooks/whatsapp/:orgSlug',
      {
        config: { auth: 'public' },
        schema: {
          tags,
          operationId: 'verifyWhatsappWebhook',
          summary: 'WhatsApp webhook verification handshake: echoes hub.challenge when hub.verify_token matches',
          security: [{ whatsappVerifyToken: [] }],
          params,
          // hub.verify_token is the credential (see security): it is checked first, so a call without
          // the right one is a 401 whatever else it lacks.
          querystring: z.strictObject({
            'hub.mode': z.string().max(32).optional(),
            'hub.verify_token': z.string().max(1024).optional(),
            'hub.challenge': z.string().max(1024).optional(),
          }),
          response: { 200: { description: 'The challenge, echoed', content: { 'text/plain': { schema: z.string() } } }, ...errorResponses },
        },
      },
      async (req, reply) => {
        const q = req.query;
        if (!deps.whatsapp.handshake(q['hub.mode'] ?? '', q['hub.verify_token'] ?? '')) {
          throw new AppError(401, 'invalid_verify_token', 'The verify token does not match (or WhatsApp webhooks are not configured).');
        }
        if (!q['hub.challenge']) throw badRequest('challenge_missing', 'hub.challenge is required.', { errors: [{ path: 'querystring.hub.challenge', message: 'Required' }] });
        whatsappOwner(req.params.orgSlug);
        if (!(await deps.orgBySlug(req.params.orgSlug))) throw notFound('Organization');
        return reply.type('text/plain; charset=utf-8').send(q['hub.challenge']);
      },
    );

    scope.post(
      '/webhooks/whatsapp/:orgSlug',
      {
        config: { auth: 'public' },
        preValidation: signed(deps.whatsapp, 'X-Hub-Signature-256'),
        schema: {
          tags,
          operationId: 'receiveWhatsappWebhook',
          summary: 'WhatsApp Business Cloud API webhook: customers open and follow tickets by chat (signed with the app secret)',
          security: [{ whatsappSignature: [] }],
          params,
          body: whatsappWebhookSchema,
          response: { 200: received, 413: problemSchema, 415: problemSchema, ...errorResponses },
        },
      },
      async (req) => deliver(req, req.params.orgSlug, deps.whatsapp),
    );

    scope.post(
      '/webhooks/sms/:orgSlug',
      {
        config: { auth: 'public' },
        preValidation: signed(deps.sms, 'X-Twilio-Signature'),
        schema: {
          tags,
          operationId: 'receiveSmsWebhook',
          summary: 'Twilio incoming-SMS webhook (form-encoded, signed over this URL): customers open and follow tickets by text',
          security: [{ twilioSignature: [] }],
          consumes: ['application/x-www-form-urlencoded'],
          params,
          body: twilioWebhookSchema,
          response: {
            200: { description: 'An empty TwiML document: answers are sent through the REST API', content: { 'text/xml': { schema: z.string() } } },
            413: problemSchema,
            415: problemSchema,
            ...errorResponses,
          },
        },
      },
      async (req, reply) => {
        await deliver(req, req.params.orgSlug, deps.sms);
        return reply.type('text/xml; charset=utf-8').send(EMPTY_TWIML);
      },
    );
  });
}
