import { z } from 'zod';
import { actorOf, type ApiInstance } from '../../platform/http/api.ts';
import { pageQuery } from '../../platform/db/pagination.ts';
import { errorResponses, isoDate, pageOfSchema } from '../../platform/http/schemas.ts';
import type { createLogsService } from './logs.service.ts';

const filters = {
  ...pageQuery,
  userId: z.uuid().optional(),
  action: z.string().max(100).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
};

export function logsRoutes(api: ApiInstance, logs: ReturnType<typeof createLogsService>) {
  api.get(
    '/audit-logs',
    {
      config: { auth: 'audit:read' },
      schema: {
        tags: ['audit'],
        operationId: 'listAuditLogs',
        summary: 'The audit log, newest first (filter by user, action — a trailing * matches a prefix —, entity and time)',
        querystring: z.strictObject({ ...filters, entityType: z.string().max(64).optional(), entityId: z.string().max(64).optional() }),
        response: {
          200: pageOfSchema(
            z.object({
              id: z.uuid(),
              seq: z.number(),
              actorType: z.string(),
              actorId: z.uuid().nullable(),
              action: z.string(),
              entityType: z.string(),
              entityId: z.string().nullable(),
              changes: z.unknown(),
              ip: z.string().nullable(),
              userAgent: z.string().nullable(),
              requestId: z.string().nullable(),
              createdAt: z.string(),
              hash: z.string(),
            }),
          ),
          ...errorResponses,
        },
      },
    },
    async (req) => logs.audit(actorOf(req), req.query),
  );
  api.get(
    '/activity-logs',
    {
      config: { auth: 'activity:read' },
      schema: {
        tags: ['audit'],
        operationId: 'listActivityLogs',
        summary: 'Sign-ins, sign-outs and failures, newest first',
        querystring: z.strictObject(filters),
        response: {
          200: pageOfSchema(
            z.object({
              id: z.uuid(),
              userId: z.uuid().nullable(),
              action: z.string(),
              ip: z.string().nullable(),
              userAgent: z.string().nullable(),
              details: z.record(z.string(), z.unknown()),
              createdAt: z.string(),
            }),
          ),
          ...errorResponses,
        },
      },
    },
    async (req) => logs.activity(actorOf(req), req.query),
  );
}
