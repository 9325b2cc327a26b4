import { z } from 'zod';
import { actorOf, type ApiInstance } from '../../../platform/http/api.ts';
import { pageQuerystring } from '../../../platform/db/pagination.ts';
import { errorResponses, idParams, pageOfSchema } from '../../../platform/http/schemas.ts';
import type { createAdminService } from './admin.service.ts';
import { ASSIGNMENT_MODES } from '../servicedesk.schema.ts';

const teamSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  assignment: z.enum(ASSIGNMENT_MODES),
  managerId: z.uuid().nullable(),
  members: z.array(z.object({ userId: z.uuid(), away: z.boolean(), lastAssignedAt: z.string().nullable() })),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Team', description: 'A service desk team and how it assigns tickets' });
const cannedSchema = z.object({ id: z.uuid(), title: z.string(), body: z.string(), createdBy: z.uuid().nullable(), createdAt: z.string(), updatedAt: z.string() }).meta({ id: 'CannedResponse', description: 'A canned response agents insert into replies' });
const teamName = z.string().trim().min(1).max(100);
const cannedTitle = z.string().trim().min(1).max(200);
const cannedBody = z.string().trim().min(1).max(20_000);
/** A JSON Schema for the custom fields object; compiled (strictly) when saved. */
const jsonSchemaDoc = z
  .record(z.string().max(100), z.unknown())
  .refine((o) => JSON.stringify(o).length <= 32_768, 'At most 32 KiB');

export function servicedeskAdminRoutes(api: ApiInstance, admin: ReturnType<typeof createAdminService>) {
  const tags = ['service desk admin'];

  api.get(
    '/servicedesk/teams',
    {
      config: { auth: 'tickets:read' },
      schema: { tags, operationId: 'listTeams', summary: 'Teams with members and assignment mode, by name (cursor pagination)', querystring: pageQuerystring, response: { 200: pageOfSchema(teamSchema), ...errorResponses } },
    },
    async (req) => admin.listTeams(actorOf(req), req.query),
  );
  api.post(
    '/servicedesk/teams',
    {
      config: { auth: 'servicedesk:manage' },
      schema: {
        tags,
        operationId: 'createTeam',
        summary: 'Create a team (assignment: manual, round_robin or load_based)',
        body: z.strictObject({ name: teamName, assignment: z.enum(ASSIGNMENT_MODES).optional(), managerId: z.uuid().nullable().optional() }),
        response: { 201: teamSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await admin.createTeam(actorOf(req), req.body)),
  );
  api.patch(
    '/servicedesk/teams/:id',
    {
      config: { auth: 'servicedesk:manage' },
      schema: {
        tags,
        operationId: 'updateTeam',
        summary: 'Rename a team, change its assignment mode or manager',
        params: idParams,
        body: z.strictObject({ name: teamName.optional(), assignment: z.enum(ASSIGNMENT_MODES).optional(), managerId: z.uuid().nullable().optional() }),
        response: { 200: teamSchema, ...errorResponses },
      },
    },
    async (req) => admin.updateTeam(actorOf(req), req.params.id, req.body),
  );
  api.delete(
    '/servicedesk/teams/:id',
    { config: { auth: 'servicedesk:manage' }, schema: { tags, operationId: 'deleteTeam', summary: 'Delete a team (its tickets keep no team)', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await admin.deleteTeam(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  api.put(
    '/servicedesk/teams/:id/members',
    {
      config: { auth: 'servicedesk:manage' },
      schema: {
        tags,
        operationId: 'replaceTeamMembers',
        summary: 'Replace the members of a team',
        params: idParams,
        body: z.strictObject({ userIds: z.array(z.uuid()).max(500) }),
        response: { 200: teamSchema, ...errorResponses },
      },
    },
    async (req) => admin.setMembers(actorOf(req), req.params.id, req.body.userIds),
  );
  api.put(
    '/servicedesk/agents/:id/away',
    {
      config: { auth: 'tickets:update' },
      schema: {
        tags,
        operationId: 'setAgentAway',
        summary: 'Mark an agent away (skipped by automatic assignment) or back; agents may set their own',
        params: idParams,
        body: z.strictObject({ away: z.boolean() }),
        response: { 200: z.object({ userId: z.uuid(), away: z.boolean(), teams: z.number() }), ...errorResponses },
      },
    },
    async (req) => admin.setAway(actorOf(req), req.params.id, req.body.away),
  );

  api.get(
    '/servicedesk/canned-responses',
    {
      config: { auth: 'tickets:read' },
      schema: { tags, operationId: 'listCannedResponses', summary: 'Canned responses, by title (cursor pagination)', querystring: pageQuerystring, response: { 200: pageOfSchema(cannedSchema), ...errorResponses } },
    },
    async (req) => admin.listCanned(actorOf(req), req.query),
  );
  api.post(
    '/servicedesk/canned-responses',
    {
      config: { auth: 'servicedesk:manage' },
      schema: {
        tags,
        operationId: 'createCannedResponse',
        summary: 'Create a canned response; placeholders such as {{requester.name}} and {{ticket.number}} are checked',
        body: z.strictObject({ title: cannedTitle, body: cannedBody }),
        response: { 201: cannedSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await admin.saveCanned(actorOf(req), null, req.body)),
  );
  api.patch(
    '/servicedesk/canned-responses/:id',
    {
      config: { auth: 'servicedesk:manage' },
      schema: {
        tags,
        operationId: 'updateCannedResponse',
        summary: 'Edit a canned response',
        params: idParams,
        body: z.strictObject({ title: cannedTitle.optional(), body: cannedBody.optional() }),
        response: { 200: cannedSchema, ...errorResponses },
      },
    },
    async (req) => admin.saveCanned(actorOf(req), req.params.id, req.body),
  );
  api.delete(
    '/servicedesk/canned-responses/:id',
    { config: { auth: 'servicedesk:manage' }, schema: { tags, operationId: 'deleteCannedResponse', summary: 'Delete a canned response', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await admin.deleteCanned(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  api.get(
    '/tickets/:id/canned-responses/:cannedId',
    {
      config: { auth: 'tickets:read' },
      schema: {
        tags,
        operationId: 'renderCannedResponse',
        summary: 'A canned response filled in for this ticket (placeholders left as written are listed in `missing`)',
        params: idParams.extend({ cannedId: z.uuid() }),
        response: { 200: z.object({ text: z.string(), missing: z.array(z.string()) }), ...errorResponses },
      },
    },
    async (req) => admin.renderCanned(actorOf(req), req.params.id, req.params.cannedId),
  );

  api.get(
    '/servicedesk/settings',
    {
      config: { auth: 'tickets:read' },
      schema: { tags, operationId: 'getServiceDeskSettings', summary: 'Service desk settings: the custom ticket fields (a JSON Schema)', response: { 200: z.object({ customFieldsSchema: z.record(z.string(), z.unknown()).nullable() }), ...errorResponses } },
    },
    async (req) => admin.settings(actorOf(req)),
  );
  api.put(
    '/servicedesk/settings',
    {
      config: { auth: 'servicedesk:manage' },
      schema: {
        tags,
        operationId: 'updateServiceDeskSettings',
        summary: 'Define the custom ticket fields as a JSON Schema for an object (null removes them)',
        body: z.strictObject({ customFieldsSchema: jsonSchemaDoc.nullable() }),
        response: { 200: z.object({ customFieldsSchema: z.record(z.string(), z.unknown()).nullable() }), ...errorResponses },
      },
    },
    async (req) => admin.updateSettings(actorOf(req), req.body),
  );
}
