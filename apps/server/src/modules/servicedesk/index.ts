import type { ApiInstance } from '../../platform/http/api.ts';
import type { Actor } from '../../platform/access/actor.ts';
import { currentFacts, type EventReader, type TopicRule } from '../../platform/realtime/gateway.ts';
import { can, reach } from '../../platform/access/ability.ts';
import type { Executor } from '../../platform/db/client.ts';
import { inOrg } from '../../platform/db/scope.ts';
import { defineJob, type Jobs } from '../../platform/jobs/jobs.ts';
import { z } from 'zod';
import { createAdminService } from './admin.service.ts';
import { createConversationsService } from './conversations.service.ts';
import { servicedeskAdminRoutes } from './admin.routes.ts';
import { createFilesService } from './files.service.ts';
import { createInboundService } from './inbound.service.ts';
import { inboundRoutes } from './inbound.routes.ts';
import { portalRoutes } from './portal.routes.ts';
import { canReadRating, ratingFactsFromVisibility, ratingReachOf } from './ratings.ts';
import { createRepliesService } from './replies.service.ts';
import type { ServicedeskDeps } from './servicedesk.context.ts';
import { ticketsRoutes } from './tickets.routes.ts';
import { createTicketsService } from './tickets.service.ts';
import { ticketFactsNow, ticketFactsOf, ticketInReach, ticketReachOf } from './tickets.repository.ts';
import { createSlaService } from './sla.service.ts';
import { createSlaAdminService } from './sla-admin.service.ts';
import { slaRoutes } from './sla.routes.ts';
import { createDashboardsService } from './dashboards.service.ts';
import { dashboardsRoutes } from './dashboards.routes.ts';
import { webhookRoutes } from './webhooks.routes.ts';

export type { ServicedeskDeps } from './servicedesk.context.ts';

/** The service desk: tickets from every channel, replies, teams and assignment, the requester portal. */
export function createServicedeskModule(deps: ServicedeskDeps & { formRateLimit: number; uploadUserRateLimit: number; slaTickMs: number; jobs: Jobs }) {
  const sla = createSlaService(deps);
  const tickets = createTicketsService(deps, sla);
  const replies = createRepliesService(deps, tickets);
  const files = createFilesService(deps);
  const admin = createAdminService(deps, tickets);
  const inbound = createInboundService(deps, tickets, replies, files);
  const slaAdmin = createSlaAdminService(deps, sla, tickets);
  const dashboards = createDashboardsService(deps);
  const conversations = createConversationsService(deps, tickets, replies);
  /**
   * Who sees an event on the ticket topics: a ticket's only those who could read the ticket, an
   * agent's rating only those who could read the rating (the rules REST uses); events about no one
   * record (SLA policy changes) every subscriber.
   */
  const reader = async (actor: Actor): Promise<EventReader> => {
    const load = async (tx: Executor) => [await ticketReachOf(tx, actor, 'tickets:read'), await ratingReachOf(tx, actor, deps.canReadUser)] as const;
    // Only a team-limited reach reads the database (the actor's teams): the others cost no
    // transaction, which this runs for every socket at every batch of events.
    const ratingScope = reach(actor, 'ratings:manage');
    const needsTeams = reach(actor, 'tickets:read') === 'department' || (!!ratingScope && ratingScope !== 'any');
    const [ticketReach, ratings] = needsTeams ? await inOrg(deps.db, actor.orgId, load) : await load(deps.db);
    return (v) => {
      const ticket = ticketFactsOf(v);
      if (ticket) return !!ticketReach && ticketInReach(ticketReach, ticket);
      const rating = ratingFactsFromVisibility(v);
      if (rating) return !!ratings && canReadRating(ratings, rating);
      return v === null;
    };
  };
  /** A replay reads each ticket as it is now (a ticket since moved to another team is out of reach). */
  const current: TopicRule['current'] = (orgId, events) => currentFacts(events, 'ticket', 'ticket', (ids) => inOrg(deps.db, orgId, (tx) => ticketFactsNow(tx, ids)));
  const topics: TopicRule[] = [
    { pattern: /^tickets$/, authorize: (actor) => (can(actor, 'tickets:read') ? 'ok' : 'forbidden'), reader, current },
    {
      pattern: /^ticket:([0-9a-f-]{36})$/,
      reader,
      current,
      single: true,
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
  /**
   * The SLA scheduler: warnings, breaches and escalations as they fall due, a pass every slaTickMs
   * on the platform's schedules (one pass per time across instances; a pass claims its tickets with
   * SKIP LOCKED and records each effect under its own key, so a repeated pass adds nothing). A failed
   * pass is not retried: the next one does its work.
   */
  const slaTick = defineJob({ name: 'servicedesk.sla-tick', payload: z.object({}), maxAttempts: 1, handler: async (_p, ctx) => void (await sla.tick(ctx.now)) });
  if (deps.slaTickMs > 0) deps.jobs.schedule('servicedesk.sla-tick', slaTick, { every: deps.slaTickMs });
  return {
    /** Kept for the module's start/stop order; the scheduler runs on the job facility. */
    start(_onError: (err: unknown) => void) {},
    async stop() {},
    services: { tickets, replies, files, admin, inbound, sla, slaAdmin, dashboards, conversations },
    topics,
    routes(api: ApiInstance) {
      ticketsRoutes(api, tickets, replies);
      servicedeskAdminRoutes(api, admin);
      inboundRoutes(api, inbound);
      slaRoutes(api, slaAdmin);
      dashboardsRoutes(api, dashboards, deps.orgName);
      portalRoutes(api, {
        tickets,
        replies,
        files,
        orgBySlug: deps.orgBySlug,
        formRateLimit: deps.formRateLimit,
        uploadUserRateLimit: deps.uploadUserRateLimit,
        uploadMaxBytes: deps.uploadMaxBytes,
      });
      webhookRoutes(api, { ...deps.chat, whatsappOrg: deps.whatsappOrg, conversations, orgBySlug: deps.orgBySlug, publicUrl: deps.publicUrl });
    },
  };
}

export type ServicedeskModule = ReturnType<typeof createServicedeskModule>;
