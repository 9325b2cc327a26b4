import type { ApiInstance } from '../../platform/http/api.ts';
import type { TopicRule } from '../../platform/realtime/gateway.ts';
import { can } from '../../platform/access/ability.ts';
import { inOrg } from '../../platform/db/scope.ts';
import { createAdminService } from './admin.service.ts';
import { createConversationsService } from './conversations.service.ts';
import { servicedeskAdminRoutes } from './admin.routes.ts';
import { createFilesService } from './files.service.ts';
import { portalRoutes } from './portal.routes.ts';
import { createRepliesService } from './replies.service.ts';
import type { ServicedeskDeps } from './servicedesk.context.ts';
import { ticketsRoutes } from './tickets.routes.ts';
import { createTicketsService } from './tickets.service.ts';
import { webhookRoutes } from './webhooks.routes.ts';

export type { ServicedeskDeps } from './servicedesk.context.ts';

/** The service desk: tickets from every channel, replies, teams and assignment, the requester portal. */
export function createServicedeskModule(deps: ServicedeskDeps & { formRateLimit: number }) {
  const tickets = createTicketsService(deps);
  const replies = createRepliesService(deps, tickets);
  const files = createFilesService(deps, tickets);
  const admin = createAdminService(deps, tickets);
  const conversations = createConversationsService(deps, tickets, replies);
  const topics: TopicRule[] = [
    { pattern: /^tickets$/, authorize: (actor) => (can(actor, 'tickets:read') ? 'ok' : 'forbidden') },
    {
      pattern: /^ticket:([0-9a-f-]{36})$/,
      authorize: async (actor, m) => {
        if (!can(actor, 'tickets:read')) return 'forbidden';
        try {
          await inOrg(deps.db, actor.orgId, (tx) => tickets.visible(tx, actor, m[1]!));
          return 'ok';
        } catch {
          return 'not_found';
        }
      },
    },
  ];
  return {
    services: { tickets, replies, files, admin, conversations },
    topics,
    routes(api: ApiInstance) {
      ticketsRoutes(api, tickets, replies);
      servicedeskAdminRoutes(api, admin);
      portalRoutes(api, { tickets, replies, files, orgBySlug: deps.orgBySlug, formRateLimit: deps.formRateLimit, uploadMaxBytes: deps.uploadMaxBytes });
      webhookRoutes(api, { ...deps.chat, conversations, orgBySlug: deps.orgBySlug, publicUrl: deps.publicUrl });
    },
  };
}

export type ServicedeskModule = ReturnType<typeof createServicedeskModule>;
