import { z } from 'zod';
import { actorOf, type ApiInstance } from '../../../platform/http/api.ts';
import { pageQuery, pageQuerystring, parseSort } from '../../../platform/db/pagination.ts';
import { csvEnum, errorResponses, idParams, isoDate, jsonObject, pageOfSchema } from '../../../platform/http/schemas.ts';
import type { RepliesService } from './replies.service.ts';
import { CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES } from '../servicedesk.schema.ts';
import { TICKET_SORTS, VIEWS } from './tickets.repository.ts';
import type { TicketsService } from './tickets.service.ts';

export const ticketSchema = z.object({
  id: z.uuid(),
  number: z.number().int(),
  subject: z.string(),
  description: z.string(),
  status: z.enum(TICKET_STATUSES),
  allowedStatuses: z.array(z.enum(TICKET_STATUSES)).describe('Statuses the ticket may move to now; `closed` is final'),
  priority: z.enum(TICKET_PRIORITIES),
  category: z.string().nullable(),
  tags: z.array(z.string()),
  teamId: z.uuid().nullable(),
  assigneeId: z.uuid().nullable(),
  channel: z.enum(CHANNELS),
  requester: z.object({ name: z.string(), email: z.string().nullable(), mobile: z.string().nullable(), userId: z.uuid().nullable() }),
  customFields: z.record(z.string(), z.unknown()),
  attachmentIds: z.array(z.uuid()),
  mergedIntoId: z.uuid().nullable(),
  firstRespondedAt: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  slaNextDueAt: z.string().nullable(),
  slaBreached: z.boolean().describe('A target is in breach now'),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Ticket', description: 'A service desk ticket' });

export const replySchema = z.object({
  id: z.uuid(),
  ticketId: z.uuid(),
  authorType: z.enum(['agent', 'requester', 'system']),
  authorUserId: z.uuid().nullable(),
  body: z.string(),
  isInternal: z.boolean(),
  channel: z.enum(CHANNELS),
  attachmentIds: z.array(z.uuid()),
  createdAt: z.string(),
}).meta({ id: 'TicketReply', description: 'A reply or internal note on a ticket' });

const tag = z.string().trim().min(1).max(50);
const tags = z.array(tag).max(30);
const attachmentIds = z.array(z.uuid()).max(20);
const subject = z.string().trim().min(1).max(300);
const body = z.string().trim().min(1).max(50_000);
const category = z.string().trim().min(1).max(100);
export const mobileField = z.string().trim().min(4).max(32).describe('E.164, e.g. +442079460958');

const patchFields = {
  subject: subject.optional(),
  description: z.string().max(50_000).optional(),
  status: z.enum(TICKET_STATUSES).optional(),
  priority: z.enum(TICKET_PRIORITIES).optional(),
  category: category.nullable().optional(),
  tags: tags.optional(),
  teamId: z.uuid().nullable().optional(),
  assigneeId: z.uuid().nullable().optional(),
  customFields: jsonObject.optional(),
};

export function ticketsRoutes(api: ApiInstance, tickets: TicketsService, replies: RepliesService) {
  const tags_ = ['tickets'];

  api.get(
    '/tickets',
    {
      config: { auth: 'tickets:read' },
      schema: {
        tags: tags_,
        operationId: 'listTickets',
        summary: 'List tickets: saved views (my_open, unassigned, breaching_soon), filters, full-text search (or #number), cursor pagination, sort',
        querystring: z.strictObject({
          ...pageQuery,
          sort: z.string().max(100).optional(),
          view: z.enum(VIEWS).optional(),
          status: csvEnum(TICKET_STATUSES).optional(),
          priority: csvEnum(TICKET_PRIORITIES).optional(),
          assigneeId: z.uuid().optional(),
          teamId: z.uuid().optional(),
          category: category.optional(),
          channel: z.enum(CHANNELS).optional(),
          requesterUserId: z.uuid().optional(),
          requesterEmail: z.email().max(254).optional(),
          requesterMobile: z.string().trim().min(1).max(32).optional(),
          tag: tag.optional(),
          q: z.string().trim().min(1).max(200).optional(),
          from: isoDate.optional(),
          to: isoDate.optional(),
        }),
        response: { 200: pageOfSchema(ticketSchema), ...errorResponses },
      },
    },
    async (req) => {
      const { sort, ...q } = req.query;
      return tickets.list(actorOf(req), { ...q, sort: sort ? parseSort(sort, TICKET_SORTS, 'createdAt') : undefined });
    },
  );

  api.post(
    '/tickets',
    {
      config: { auth: 'tickets:create' },
      schema: {
        tags: tags_,
        operationId: 'createTicket',
        summary: 'Open a ticket on behalf of a requester (agents taking a call, integrations): a person of the organization or a contact',
        body: z.strictObject({
          subject,
          description: z.string().max(50_000).optional(),
          requester: z
            .strictObject({
              userId: z.uuid().optional().meta({ description: 'A person of the organization: their name and email address are taken from their account' }),
              name: z.string().trim().min(1).max(200).optional(),
              email: z.email().max(254).nullable().optional(),
              mobile: mobileField.nullable().optional(),
            })
            .meta({ description: 'A person of the organization (userId), or a contact: name and an email address or a mobile number' }),
          priority: z.enum(TICKET_PRIORITIES).optional(),
          category: category.nullable().optional(),
          tags: tags.optional(),
          teamId: z.uuid().nullable().optional(),
          assigneeId: z.uuid().nullable().optional(),
          channel: z.enum(CHANNELS).optional(),
          customFields: jsonObject.optional(),
          attachmentIds: attachmentIds.optional(),
        }),
        response: { 201: ticketSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await tickets.create(actorOf(req), req.body)),
  );

  api.post(
    '/tickets/bulk',
    {
      config: { auth: 'tickets:update' },
      schema: {
        tags: tags_,
        operationId: 'bulkUpdateTickets',
        summary: 'Apply one change to many tickets; each ticket is checked on its own and failures are listed',
        body: z.strictObject({
          ids: z.array(z.uuid()).min(1).max(200),
          patch: z
            .strictObject({
              status: patchFields.status,
              priority: patchFields.priority,
              teamId: patchFields.teamId,
              assigneeId: patchFields.assigneeId,
              category: patchFields.category,
              addTags: tags.optional(),
              removeTags: tags.optional(),
            })
            .refine((p) => Object.keys(p).length > 0, 'Give at least one change'),
        }),
        response: {
          200: z.object({ updated: z.array(ticketSchema), failed: z.array(z.object({ id: z.uuid(), code: z.string(), detail: z.string() })) }),
          ...errorResponses,
        },
      },
    },
    async (req) => tickets.bulkUpdate(actorOf(req), req.body.ids, req.body.patch),
  );

  api.get(
    '/tickets/:id',
    { config: { auth: 'tickets:read' }, schema: { tags: tags_, operationId: 'getTicket', summary: 'One ticket', params: idParams, response: { 200: ticketSchema, ...errorResponses } } },
    async (req) => tickets.get(actorOf(req), req.params.id),
  );

  api.patch(
    '/tickets/:id',
    {
      config: { auth: 'tickets:update' },
      schema: {
        tags: tags_,
        operationId: 'updateTicket',
        summary: 'Edit a ticket, move its status (409 with the allowed moves when illegal), assign it',
        params: idParams,
        body: z.strictObject(patchFields),
        response: { 200: ticketSchema, ...errorResponses },
      },
    },
    async (req) => tickets.update(actorOf(req), req.params.id, req.body),
  );

  api.delete(
    '/tickets/:id',
    { config: { auth: 'tickets:delete' }, schema: { tags: tags_, operationId: 'deleteTicket', summary: 'Delete a ticket', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await tickets.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/tickets/:id/merge',
    {
      config: { auth: 'tickets:merge' },
      schema: {
        tags: tags_,
        operationId: 'mergeTicket',
        summary: 'Merge this ticket into another: it closes and its thread continues on the target',
        params: idParams,
        body: z.strictObject({ intoId: z.uuid() }),
        response: { 200: z.object({ source: ticketSchema, target: ticketSchema }), ...errorResponses },
      },
    },
    async (req) => tickets.merge(actorOf(req), req.params.id, req.body.intoId),
  );

  api.get(
    '/tickets/:id/replies',
    {
      config: { auth: 'tickets:read' },
      schema: { tags: tags_, operationId: 'listTicketReplies', summary: 'Replies and internal notes, oldest first (cursor pagination)', params: idParams, querystring: pageQuerystring, response: { 200: pageOfSchema(replySchema), ...errorResponses } },
    },
    async (req) => replies.list(actorOf(req), req.params.id, req.query),
  );

  api.post(
    '/tickets/:id/replies',
    {
      config: { auth: 'tickets:update' },
      schema: {
        tags: tags_,
        operationId: 'createTicketReply',
        summary: 'Reply to the requester (counts as a response) or add an internal note (isInternal)',
        params: idParams,
        body: z.strictObject({
          body,
          isInternal: z.boolean().optional(),
          attachmentIds: attachmentIds.optional(),
          status: z.enum(TICKET_STATUSES).optional(),
        }),
        response: { 201: replySchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await replies.reply(actorOf(req), req.params.id, req.body)),
  );

  api.get(
    '/tickets/:id/timeline',
    {
      config: { auth: 'tickets:read' },
      schema: {
        tags: tags_,
        operationId: 'getTicketTimeline',
        summary: 'What happened to the ticket, in order (status, assignment, replies; cursor pagination)',
        params: idParams,
        querystring: pageQuerystring,
        response: { 200: pageOfSchema(z.object({ id: z.uuid(), at: z.string(), kind: z.string(), data: z.record(z.string(), z.unknown()) })), ...errorResponses },
      },
    },
    async (req) => replies.timeline(actorOf(req), req.params.id, req.query),
  );
}
