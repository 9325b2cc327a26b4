import { z } from 'zod';
import { actorOf, type ApiInstance } from '../../platform/http/api.ts';
import { pageQuery } from '../../platform/db/pagination.ts';
import { errorResponses, pageOfSchema } from '../../platform/http/schemas.ts';
import { NOTIFY_CHANNELS, NOTIFY_STATUSES } from '../../platform/notify/notify.schema.ts';
import type { createMessagesService } from './messages.service.ts';

const messageSchema = z.object({
  id: z.uuid(),
  channel: z.enum(NOTIFY_CHANNELS),
  to: z.string(),
  subject: z.string(),
  status: z.enum(NOTIFY_STATUSES),
  transport: z.string().nullable(),
  template: z.string().nullable(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  sentAt: z.string().nullable(),
  createdAt: z.string(),
});

export function messagesRoutes(api: ApiInstance, messages: ReturnType<typeof createMessagesService>) {
  const tags = ['messages'];
  api.get(
    '/outgoing-messages',
    {
      config: { auth: 'messages:read' },
      schema: {
        tags,
        operationId: 'listOutgoingMessages',
        summary: 'Outgoing email, SMS and WhatsApp messages, newest first, with status, attempts and last error (bodies are not shown)',
        querystring: z.strictObject({ ...pageQuery, status: z.enum(NOTIFY_STATUSES).optional(), channel: z.enum(NOTIFY_CHANNELS).optional() }),
        response: { 200: pageOfSchema(messageSchema), ...errorResponses },
      },
    },
    async (req) => messages.list(actorOf(req), req.query),
  );
  api.get(
    '/outgoing-messages/delivery',
    {
      config: { auth: 'messages:read' },
      schema: {
        tags,
        operationId: 'getMessageDelivery',
        summary: 'How each channel delivers: through its provider, or only into this log (no provider configured)',
        response: { 200: z.object({ email: z.enum(['provider', 'log']), sms: z.enum(['provider', 'log']), whatsapp: z.enum(['provider', 'log']) }), ...errorResponses },
      },
    },
    async (req) => messages.delivery(actorOf(req)),
  );
}
