import { z } from 'zod';
import { actorOf, type ApiInstance } from '../../../platform/http/api.ts';
import { errorResponses, problemSchema } from '../../../platform/http/schemas.ts';
import type { InboundService } from './inbound.service.ts';

const MAX_EMAIL_BYTES = 25 * 1024 * 1024;

export function inboundRoutes(parent: ApiInstance, inbound: InboundService) {
  // Raw MIME is accepted by this route only (its own encapsulated scope); every other route stays JSON-only.
  void parent.register(async (api: ApiInstance) => {
    api.addContentTypeParser('message/rfc822', { parseAs: 'buffer', bodyLimit: MAX_EMAIL_BYTES }, (_req, body, done) => done(null, body));

    api.post(
      '/inbound/email',
      {
        config: { auth: 'tickets:create' },
        bodyLimit: MAX_EMAIL_BYTES,
        schema: {
          tags: ['tickets'],
          operationId: 'receiveInboundEmail',
          summary: 'Inbound email from the mail relay (raw MIME, message/rfc822): threads onto its ticket or opens one',
          consumes: ['message/rfc822'],
          response: {
            200: z.object({
              ticketId: z.uuid(),
              number: z.number(),
              created: z.boolean(),
              duplicate: z.boolean(),
              replyId: z.uuid().nullable(),
              rejectedAttachments: z.array(z.object({ filename: z.string(), reason: z.string() })),
            }),
            413: problemSchema,
            415: problemSchema,
            ...errorResponses,
          },
        },
      },
      async (req) => {
        if (!Buffer.isBuffer(req.body)) {
          throw Object.assign(new Error('Send the raw message as message/rfc822.'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
        }
        return inbound.receiveEmail(actorOf(req), req.body);
      },
    );
  });
}
