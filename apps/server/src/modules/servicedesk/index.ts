import { defineModule } from '../../platform/module/module.ts';
import { servicedeskErrors } from './servicedesk.errors.ts';
import { servicedeskEvents } from './servicedesk.events.ts';
import { servicedeskPermissions } from './servicedesk.permissions.ts';
import type { Actor } from '../../platform/access/actor.ts';
import { currentFacts, type EventReader, type TopicRule } from '../../platform/realtime/topic-access.ts';
import { can, reach } from '../../platform/access/ability.ts';
import type { Executor } from '../../platform/db/client.ts';
import { inOrg } from '../../platform/db/scope.ts';
import { defineJob } from '../../platform/jobs/jobs.ts';
import { z } from 'zod';
import { createAdminService } from './admin/admin.service.ts';
import { createConversationsService } from './channels/conversations.service.ts';
import { servicedeskAdminRoutes } from './admin/admin.routes.ts';
import { createFilesService } from './tickets/files.service.ts';
import { createInboundService } from './channels/inbound.service.ts';
import { inboundRoutes } from './channels/inbound.routes.ts';
import { portalRoutes } from './portal/portal.routes.ts';
import { canReadRating, ratingFactsFromVisibility, ratingReachOf } from './dashboards/ratings.ts';
import { createRepliesService } from './tickets/replies.service.ts';
import { ticketsRoutes } from './tickets/tickets.routes.ts';
import { createTicketsService } from './tickets/tickets.service.ts';
import { ticketFactsNow, ticketFactsOf, ticketInReach, ticketReachOf } from './tickets/tickets.repository.ts';
import { createSlaService } from './sla/sla.service.ts';
import { createSlaAdminService } from './sla/sla-admin.service.ts';
import { slaRoutes } from './sla/sla.routes.ts';
import { createDashboardsService } from './dashboards/dashboards.service.ts';
import { dashboardsRoutes } from './dashboards/dashboards.routes.ts';
import { webhookRoutes } from './channels/webhooks.routes.ts';
import { registerServicedeskMetrics } from './servicedesk.metrics.ts';

/** The service desk: tickets, SLAs, channels, the requester portal and the dashboards. */
export const servicedeskModule = defineModule({
  name: 'servicedesk',
  tags: [
    { name: 'tickets', description: 'Tickets, replies, merges and attachments' },
    { name: 'service desk admin', description: 'Teams, canned responses, custom fields and settings' },
    { name: 'service desk SLA', description: 'SLA policies and business calendars' },
    { name: 'service desk dashboards', description: 'Role dashboards, ratings and report exports' },
    { name: 'service desk portal', description: 'The public form and the requester’s signed links' },
    { name: 'service desk webhooks', description: 'Inbound email, WhatsApp and SMS' },
  ],
  permissions: servicedeskPermissions,
  events: servicedeskEvents,
  errors: servicedeskErrors,
  requires: ['userDirectory', 'userProfiles', 'canReadUser', 'orgBySlug', 'roleMembers', 'orgName'],
  proof: () => import('./servicedesk.proof.ts'),
  create(p) {
    const { config } = p;
    const deps = {
      db: p.db,
      useCase: p.useCase,
      users: p.ports.userDirectory,
      profiles: p.ports.userProfiles,
      canReadUser: p.ports.canReadUser,
      orgBySlug: p.ports.orgBySlug,
      roleMembers: p.ports.roleMembers,
      orgName: p.ports.orgName,
      linkKey: p.keys.links,
      fileStore: p.files.store,
      scanner: p.files.scanner,
      notifier: p.notifier,
      publicUrl: p.publicUrl,
      uploadMaxBytes: config.UPLOAD_MAX_BYTES,
      formRateLimit: config.TICKET_FORM_RATE_LIMIT,
      uploadUserRateLimit: config.UPLOAD_USER_RATE_LIMIT,
      slaTickMs: config.SLA_TICK_SECONDS * 1000,
      chat: p.chat,
      whatsappOrg: config.WHATSAPP_ORG,
      clock: p.clock,
    };
    const sla = createSlaService(deps);
    const tickets = createTicketsService(deps, sla);
    const replies = createRepliesService(deps, tickets);
    const files = createFilesService(deps);
    const admin = createAdminService(deps, tickets);
    const inbound = createInboundService(deps, tickets, replies, files);
    const slaAdmin = createSlaAdminService(deps, sla, tickets);
    const dashboards = createDashboardsService(deps);
    const conversations = createConversationsService(deps, tickets, replies);
    registerServicedeskMetrics(p.metrics, deps.db);
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
    return {
      schedules: deps.slaTickMs > 0 ? [{ name: 'servicedesk.sla-tick', job: slaTick, spec: { every: deps.slaTickMs } }] : [],
      provides: {},
      services: { tickets, replies, files, admin, inbound, sla, slaAdmin, dashboards, conversations },
      topics,
      routes(api) {
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
  },
});
