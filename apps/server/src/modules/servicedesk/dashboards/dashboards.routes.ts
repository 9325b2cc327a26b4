import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { actorOf, type ApiInstance } from '../../../platform/http/api.ts';
import { errorResponses, isoDate } from '../../../platform/http/schemas.ts';
import type { DashboardsService } from './dashboards.service.ts';
import { executiveCsv, executivePdf } from './report.ts';
import { ticketSchema } from '../tickets/tickets.routes.ts';

const period = { from: isoDate.optional(), to: isoDate.optional() };
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'A month, YYYY-MM');
const compliance = z.record(z.string(), z.object({ met: z.number(), breached: z.number(), percent: z.number().nullable() }));
const ratingSchema = z.object({ id: z.uuid(), agentId: z.uuid(), raterId: z.uuid(), period: z.string(), score: z.number(), comment: z.string(), updatedAt: z.string() });
const executiveSchema = z.object({
  period: z.object({ from: z.string(), to: z.string() }),
  volume: z.array(z.object({ day: z.string(), created: z.number(), resolved: z.number() })),
  totals: z.object({ created: z.number(), resolved: z.number() }),
  compliance,
  backlog: z.record(z.string(), z.number()),
  csat: z.object({ average: z.number().nullable(), responses: z.number() }),
  topCategories: z.array(z.object({ category: z.string(), tickets: z.number() })),
});
const binary = z.string().meta({ format: 'binary' });

export function dashboardsRoutes(api: ApiInstance, svc: DashboardsService, orgName: (orgId: string) => Promise<string>) {
  const tags = ['service desk dashboards'];
  api.get(
    '/servicedesk/dashboards/agent',
    {
      config: { auth: 'servicedesk:analytics' },
      schema: {
        tags,
        operationId: 'getAgentDashboard',
        summary: 'My queue by status, my tickets due within 4 hours, my CSAT',
        response: {
          200: z.object({
            queue: z.record(z.string(), z.number()),
            openTotal: z.number(),
            dueSoon: z.array(ticketSchema),
            csat: z.object({ average: z.number().nullable(), responses: z.number(), days: z.number() }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => svc.agent(actorOf(req)),
  );
  api.get(
    '/servicedesk/dashboards/manager',
    {
      config: { auth: 'servicedesk:analytics' },
      schema: {
        tags,
        operationId: 'getManagerDashboard',
        summary: 'Team workload, breaches and escalations, SLA compliance per target, per-agent response and resolution times, ratings',
        querystring: z.strictObject({ teamId: z.uuid().optional(), ...period }),
        response: {
          200: z.object({
            period: z.object({ from: z.string(), to: z.string(), month: z.string() }),
            teams: z.array(z.uuid()).nullable(),
            workload: z.array(z.object({ agentId: z.uuid().nullable(), open: z.number(), dueSoon: z.number() })),
            compliance,
            breaches: z.record(z.string(), z.number()),
            recentBreaches: z.array(z.record(z.string(), z.unknown())),
            agents: z.array(
              z.object({
                agentId: z.uuid(),
                tickets: z.number(),
                firstResponseBusinessHours: z.number().nullable(),
                resolutionBusinessHours: z.number().nullable(),
                firstResponseHours: z.number().nullable(),
                resolutionHours: z.number().nullable(),
              }),
            ),
            ratings: z.array(z.object({ agentId: z.uuid(), period: z.string(), score: z.number(), comment: z.string(), raterId: z.uuid() })),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => svc.manager(actorOf(req), req.query),
  );
  api.get(
    '/servicedesk/dashboards/executive',
    {
      config: { auth: 'servicedesk:analytics' },
      schema: {
        tags,
        operationId: 'getExecutiveDashboard',
        summary: 'Volume trend, SLA compliance, backlog age, CSAT and top categories (JSON, or a CSV or PDF export)',
        querystring: z.strictObject({ ...period, format: z.enum(['json', 'csv', 'pdf']).optional() }),
        response: {
          200: {
            description: 'The report as JSON, or as a file with ?format=csv or ?format=pdf',
            content: { 'application/json': { schema: executiveSchema }, 'text/csv': { schema: binary }, 'application/pdf': { schema: binary } },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const data = await svc.executive(actor, req.query);
      const stamp = new Date().toISOString().slice(0, 10);
      if (req.query.format === 'csv') {
        return reply
          .code(200)
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="servicedesk-report-${stamp}.csv"`)
          .send(executiveCsv(data));
      }
      if (req.query.format === 'pdf') {
        const pdf = await executivePdf(data, await orgName(actor.orgId));
        return (reply as FastifyReply)
          .code(200)
          .type('application/pdf')
          .header('content-disposition', `attachment; filename="servicedesk-report-${stamp}.pdf"`)
          .send(pdf);
      }
      return data;
    },
  );
  api.put(
    '/servicedesk/ratings',
    {
      config: { auth: 'ratings:manage' },
      schema: {
        tags,
        operationId: 'rateAgent',
        summary: 'Rate an agent 1–5 for a month, with a comment (a new rating for the same month replaces it)',
        body: z.strictObject({ agentId: z.uuid(), period: month, score: z.number().int().min(1).max(5), comment: z.string().trim().max(2000).optional() }),
        response: { 200: ratingSchema, ...errorResponses },
      },
    },
    async (req) => svc.rate(actorOf(req), req.body),
  );
  api.get(
    '/servicedesk/ratings',
    {
      config: { auth: 'servicedesk:analytics' },
      schema: {
        tags,
        operationId: 'listAgentRatings',
        summary: 'Agent ratings: agents see their own, managers their teams’',
        querystring: z.strictObject({ agentId: z.uuid().optional(), period: month.optional() }),
        response: { 200: z.array(ratingSchema), ...errorResponses },
      },
    },
    async (req) => svc.ratings(actorOf(req), req.query),
  );
}
