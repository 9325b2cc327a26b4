import { z } from 'zod';
import { actorOf, type ApiInstance } from '../../../platform/http/api.ts';
import { pageQuerystring } from '../../../platform/db/pagination.ts';
import { errorResponses, idParams, pageOfSchema } from '../../../platform/http/schemas.ts';
import type { SlaAdminService } from './sla-admin.service.ts';
import { CHANNELS, PRIORITIES, TARGET_KINDS, WEEKDAYS, type SlaExplanation } from './engine/index.ts';

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM (24:00 ends a day)');
const weeklyHours = z
  .strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, z.array(z.tuple([time, time])).max(24).optional()])) as Record<(typeof WEEKDAYS)[number], z.ZodOptional<z.ZodArray<z.ZodTuple<[typeof time, typeof time]>>>>)
  .describe('Open intervals per weekday, e.g. {"monday": [["09:00","12:30"],["13:30","17:00"]]}');
const holiday = z.strictObject({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), name: z.string().trim().max(200).optional() });
const calendarFields = {
  name: z.string().trim().min(1).max(100),
  timeZone: z.string().min(1).max(64).describe('IANA time zone, e.g. Europe/London'),
  weeklyHours,
  holidays: z.array(holiday).max(10_000).optional(),
  teamId: z.uuid().nullable().optional(),
};
const instant = z.string().describe('ISO 8601 with the calendar’s offset');
const minutesPerTarget = z.object(Object.fromEntries(TARGET_KINDS.map((k) => [k, z.number().optional()])) as Record<(typeof TARGET_KINDS)[number], z.ZodOptional<z.ZodNumber>>);
/** The engine's explanation (sla/sla.explain.ts, `SlaExplanation`), published so clients need no copy of it. */
const explanationSchema = z.object({
  evaluatedAt: instant,
  timeZone: z.string(),
  ticket: z.object({ createdAt: instant, status: z.string(), priority: z.enum(PRIORITIES), policyId: z.string(), policyName: z.string(), calendarId: z.string() }),
  targetChanges: z.array(z.object({ at: instant, policyId: z.string(), policyName: z.string(), priority: z.enum(PRIORITIES), targetsMinutes: minutesPerTarget })),
  pauses: z.array(z.object({ status: z.string(), start: instant, end: instant.nullable(), businessMs: z.number() })),
  targets: z.array(
    z.object({
      target: z.enum(TARGET_KINDS),
      cycle: z.number().int(),
      state: z.enum(['active', 'paused', 'achieved', 'breached']),
      policyId: z.string(),
      priority: z.enum(PRIORITIES),
      goalMinutes: z.number(),
      startedAt: instant,
      clockStartedAt: instant,
      dueAt: instant,
      pausedBeforeDueMs: z.number(),
      elapsedBusinessMs: z.number(),
      pausedBusinessMs: z.number(),
      achievedAt: instant.nullable(),
      stopReason: z.enum(['agent_reply', 'resolved', 'closed']).nullable(),
      breachedAt: instant.nullable(),
      warnings: z.array(z.object({ threshold: z.number(), at: instant, reached: z.boolean() })),
      remeasuredAt: z.array(instant),
      derivation: z.string().describe('The derivation in words'),
    }),
  ),
  calendar: z.object({
    id: z.string(),
    timeZone: z.string(),
    from: instant,
    to: instant,
    intervals: z.array(z.object({ start: instant, end: instant, businessMs: z.number() })),
    holidays: z.array(z.object({ date: z.string(), name: z.string().optional() })),
    truncated: z.boolean().describe('More open intervals fall in the period than are listed'),
  }),
}) satisfies z.ZodType<SlaExplanation>;

const calendarSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  timeZone: z.string(),
  weeklyHours: z.record(z.string(), z.unknown()),
  holidays: z.array(z.object({ date: z.string(), name: z.string().optional() })),
  teamId: z.uuid().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  recalculated: z.number().optional(),
  imported: z.number().optional(),
}).meta({ id: 'BusinessCalendar', description: 'Business hours and holidays that SLA clocks count in' });

const minutes = z.number().int().min(1).max(525_600);
const targets = z.strictObject({ firstResponse: minutes.optional(), nextResponse: minutes.optional(), resolution: minutes.optional() });
const word = z.string().trim().min(1).max(200);
const list = <T extends z.ZodType>(t: T) => z.array(t).min(1).max(200);
const policyFields = {
  name: word,
  position: z.number().int().min(0).max(10_000).optional(),
  isDefault: z.boolean().optional(),
  conditions: z
    .strictObject({
      priority: list(z.enum(PRIORITIES)).optional(),
      category: list(word).optional(),
      channel: list(z.enum(CHANNELS)).optional(),
      requesterOrgId: list(word).optional(),
      requesterDomain: list(z.string().trim().max(253)).optional(),
      tagsAny: list(word).optional(),
    })
    .optional(),
  targets: z.strictObject(Object.fromEntries(PRIORITIES.map((p) => [p, targets.optional()])) as Record<(typeof PRIORITIES)[number], z.ZodOptional<typeof targets>>).describe('Business minutes per priority and target'),
  warningThresholds: z.array(z.number().gt(0).lt(1)).max(10).optional().describe('Fractions of a target at which warnings fire, e.g. [0.75, 0.9]'),
  escalations: z
    .array(
      z.strictObject({
        id: z.string().trim().min(1).max(100).optional(),
        at: z.enum(['breach', 'warning']),
        threshold: z.number().gt(0).lt(1).optional(),
        target: z.enum(TARGET_KINDS).optional(),
        offsetMinutes: z.number().int().min(0).max(525_600).optional(),
        offsetClock: z.enum(['calendar', 'business']).optional(),
        actions: z.array(z.enum(['notify_manager', 'notify_executive', 'raise_priority', 'reassign'])).min(1).max(10),
      }),
    )
    .max(20)
    .optional(),
  calendarId: z.uuid().nullable().optional().describe('null: always open (24/7, UTC)'),
};
const policySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  position: z.number(),
  isDefault: z.boolean(),
  conditions: z.record(z.string(), z.unknown()),
  targets: z.record(z.string(), z.unknown()),
  warningThresholds: z.array(z.number()),
  escalations: z.array(z.unknown()),
  calendarId: z.uuid().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  recalculated: z.number().optional(),
}).meta({ id: 'SlaPolicy', description: 'An SLA policy: targets, warnings and escalations for the tickets it matches' });

export function slaRoutes(api: ApiInstance, svc: SlaAdminService) {
  const tags = ['service desk SLA'];
  api.get(
    '/servicedesk/calendars',
    {
      config: { auth: 'tickets:read' },
      schema: { tags, operationId: 'listCalendars', summary: 'Business calendars, by name (cursor pagination)', querystring: pageQuerystring, response: { 200: pageOfSchema(calendarSchema), ...errorResponses } },
    },
    async (req) => svc.listCalendars(actorOf(req), req.query),
  );
  api.post(
    '/servicedesk/calendars',
    {
      config: { auth: 'servicedesk:manage' },
      schema: { tags, operationId: 'createCalendar', summary: 'Create a business calendar (time zone, weekly hours, holidays)', body: z.strictObject(calendarFields), response: { 201: calendarSchema, ...errorResponses } },
    },
    async (req, reply) => reply.code(201).send(await svc.saveCalendar(actorOf(req), null, req.body)),
  );
  api.patch(
    '/servicedesk/calendars/:id',
    {
      config: { auth: 'servicedesk:manage' },
      schema: {
        tags,
        operationId: 'updateCalendar',
        summary: 'Edit a calendar; the due times of open tickets are recalculated',
        params: idParams,
        body: z.strictObject({ ...calendarFields, name: calendarFields.name.optional(), timeZone: calendarFields.timeZone.optional(), weeklyHours: weeklyHours.optional() }),
        response: { 200: calendarSchema, ...errorResponses },
      },
    },
    async (req) => svc.saveCalendar(actorOf(req), req.params.id, req.body),
  );
  api.delete(
    '/servicedesk/calendars/:id',
    { config: { auth: 'servicedesk:manage' }, schema: { tags, operationId: 'deleteCalendar', summary: 'Delete a calendar no policy uses', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await svc.deleteCalendar(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  api.post(
    '/servicedesk/calendars/:id/holidays/import',
    {
      config: { auth: 'servicedesk:manage' },
      schema: {
        tags,
        operationId: 'importCalendarHolidays',
        summary: 'Import holidays from an .ics file (the events between from and to)',
        params: idParams,
        body: z.strictObject({
          ics: z.string().min(1).max(2 * 1024 * 1024),
          from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
          to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
          replace: z.boolean().optional(),
        }),
        response: { 200: calendarSchema, ...errorResponses },
      },
    },
    async (req) => svc.importHolidays(actorOf(req), req.params.id, req.body),
  );

  api.get(
    '/servicedesk/sla-policies',
    {
      config: { auth: 'tickets:read' },
      schema: { tags, operationId: 'listSlaPolicies', summary: 'SLA policies in evaluation order (first match wins; cursor pagination)', querystring: pageQuerystring, response: { 200: pageOfSchema(policySchema), ...errorResponses } },
    },
    async (req) => svc.listPolicies(actorOf(req), req.query),
  );
  api.post(
    '/servicedesk/sla-policies',
    {
      config: { auth: 'servicedesk:manage' },
      schema: { tags, operationId: 'createSlaPolicy', summary: 'Create an SLA policy; open tickets are re-evaluated', body: z.strictObject(policyFields), response: { 201: policySchema, ...errorResponses } },
    },
    async (req, reply) => reply.code(201).send(await svc.savePolicy(actorOf(req), null, req.body)),
  );
  api.put(
    '/servicedesk/sla-policies/order',
    {
      config: { auth: 'servicedesk:manage' },
      schema: { tags, operationId: 'reorderSlaPolicies', summary: 'Set the evaluation order of the policies', body: z.strictObject({ ids: z.array(z.uuid()).min(1).max(500) }), response: { 200: z.array(policySchema), ...errorResponses } },
    },
    async (req) => svc.orderPolicies(actorOf(req), req.body.ids),
  );
  api.patch(
    '/servicedesk/sla-policies/:id',
    {
      config: { auth: 'servicedesk:manage' },
      schema: {
        tags,
        operationId: 'updateSlaPolicy',
        summary: 'Edit an SLA policy; due times of open tickets are recalculated',
        params: idParams,
        body: z.strictObject({ ...policyFields, name: policyFields.name.optional(), targets: policyFields.targets.optional() }),
        response: { 200: policySchema, ...errorResponses },
      },
    },
    async (req) => svc.savePolicy(actorOf(req), req.params.id, req.body),
  );
  api.delete(
    '/servicedesk/sla-policies/:id',
    { config: { auth: 'servicedesk:manage' }, schema: { tags, operationId: 'deleteSlaPolicy', summary: 'Delete an SLA policy', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await svc.deletePolicy(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  api.get(
    '/tickets/:id/sla',
    {
      config: { auth: 'tickets:read' },
      schema: {
        tags,
        operationId: 'getTicketSla',
        summary: 'How the ticket’s SLA was computed: policy, calendar intervals used, pauses, targets (null without a policy)',
        params: idParams,
        response: { 200: z.object({ ticketId: z.uuid(), sla: explanationSchema.nullable() }), ...errorResponses },
      },
    },
    async (req) => svc.explain(actorOf(req), req.params.id),
  );
}
