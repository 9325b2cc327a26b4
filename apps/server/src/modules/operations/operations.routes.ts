import { z } from 'zod';
import { actorOf, type ApiInstance } from '../../platform/http/api.ts';
import { pageQuery, pageQuerystring, parseSort } from '../../platform/db/pagination.ts';
import { csvEnum, errorResponses, idParams, isoDate, jsonObject, pageOfSchema } from '../../platform/http/schemas.ts';
import type { OperationsService } from './operations.service.ts';
import { allocationSchema, operationSchema, resourceSchema, taskSchema } from './operations.views.ts';
import { OPERATION_STATUSES, PRIORITIES, RESOURCE_KINDS, TASK_STATUSES } from './operations.schema.ts';
import type { ResourcesService } from './resources.service.ts';
import type { createTasksService } from './tasks.service.ts';


const locationText = z.string().trim().max(300);
// The design documents send the location as a plain string: it is the object's text (see asOperationInput).
const location = z.union([
  locationText,
  z.strictObject({
    text: locationText.nullable().optional(),
    lat: z.number().min(-90).max(90).nullable().optional(),
    lng: z.number().min(-180).max(180).nullable().optional(),
  }),
]);
const tags = z.array(z.string().trim().min(1).max(50)).max(30);
const operationFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).optional(),
  priority: z.enum(PRIORITIES).optional(),
  type: z.string().trim().max(100).nullable().optional(),
  location: location.optional().describe('An object {text, lat, lng}, or a string (the text)'),
  startAt: isoDate.nullable().optional(),
  endAt: isoDate.nullable().optional(),
  start_date: isoDate.nullable().optional().describe('The same as startAt (the design documents spell it so)'),
  end_date: isoDate.nullable().optional().describe('The same as endAt (the design documents spell it so)'),
  ownerId: z.uuid().nullable().optional(),
  assignees: z.array(z.uuid()).max(100).optional(),
  tags: tags.optional(),
};

type Located = { location?: z.infer<typeof location> | undefined };
type Dated = { startAt?: string | null | undefined; endAt?: string | null | undefined; start_date?: string | null | undefined; end_date?: string | null | undefined };
/**
 * The design documents' spellings become the service's: a string location is `{ text }`, and
 * start_date/end_date are startAt/endAt (a pair given both ways is refused).
 */
const asOperationInput = <T extends z.ZodType<Dated & Located>>(body: T) =>
  body
    .superRefine((b, ctx) => {
      for (const [camel, snake] of [['startAt', 'start_date'], ['endAt', 'end_date']] as const) {
        if (b[camel] !== undefined && b[snake] !== undefined) ctx.addIssue({ code: 'custom', path: [snake], message: `Give ${camel} or ${snake}, not both` });
      }
    })
    .transform(({ start_date, end_date, location: where, ...b }) => ({
      ...b,
      ...(where !== undefined ? { location: typeof where === 'string' ? { text: where } : where } : {}),
      ...(start_date !== undefined ? { startAt: start_date } : {}),
      ...(end_date !== undefined ? { endAt: end_date } : {}),
    }));

const taskFields = {
  title: z.string().trim().min(1).max(300),
  assigneeId: z.uuid().nullable().optional(),
  dueAt: isoDate.nullable().optional(),
  status: z.enum(TASK_STATUSES).optional(),
  checklist: z.array(z.strictObject({ text: z.string().trim().min(1).max(300), done: z.boolean() })).max(100).optional(),
  position: z.number().int().min(0).max(100_000).optional(),
};


const opTask = idParams.extend({ taskId: z.uuid() });
const opAlloc = idParams.extend({ allocationId: z.uuid() });
const SORTABLE = ['createdAt', 'startAt', 'endAt', 'name', 'priority', 'updatedAt'] as const;

export function operationsRoutes(
  api: ApiInstance,
  ops: OperationsService,
  tasks: ReturnType<typeof createTasksService>,
  res: ResourcesService,
) {
  const tags = ['operations'];

  api.get(
    '/operations',
    {
      config: { auth: 'operations:read' },
      schema: {
        tags,
        operationId: 'listOperations',
        summary: 'List operations: filters, full-text search, map bounding box, cursor pagination, sort',
        querystring: z.strictObject({
          ...pageQuery,
          sort: z.string().max(100).optional(),
          status: csvEnum(OPERATION_STATUSES).optional(),
          priority: csvEnum(PRIORITIES).optional(),
          ownerId: z.uuid().optional(),
          assigneeId: z.uuid().optional(),
          tag: z.string().max(50).optional(),
          from: isoDate.optional(),
          to: isoDate.optional(),
          q: z.string().trim().min(1).max(200).optional(),
          bbox: z
            .string()
            .max(200)
            .transform((s) => s.split(',').map(Number))
            .pipe(
              z
                .tuple([z.number().min(-180).max(180), z.number().min(-90).max(90), z.number().min(-180).max(180), z.number().min(-90).max(90)])
                .refine(([, s, , n]) => s <= n, 'south must not exceed north'),
            )
            .optional()
            .describe('west,south,east,north in degrees'),
        }),
        response: { 200: pageOfSchema(operationSchema), ...errorResponses },
      },
    },
    async (req) => {
      const { sort, ...q } = req.query;
      return ops.list(actorOf(req), { ...q, sort: parseSort(sort, SORTABLE, 'createdAt') });
    },
  );

  api.post(
    '/operations',
    {
      config: { auth: 'operations:create' },
      schema: { tags, operationId: 'createOperation', summary: 'Create an operation', body: asOperationInput(z.strictObject(operationFields)), response: { 201: operationSchema, ...errorResponses } },
    },
    async (req, reply) => reply.code(201).send(await ops.create(actorOf(req), req.body)),
  );

  api.get(
    '/operations/kpis',
    {
      config: { auth: 'operations:read' },
      schema: {
        tags,
        operationId: 'getOperationKpis',
        summary: 'Counts by status, on-time completion rate, mean time to complete, overdue, resource utilisation',
        querystring: z.strictObject({ from: isoDate.optional(), to: isoDate.optional() }),
        response: {
          200: z.object({
            window: z.object({ from: z.string(), to: z.string() }),
            byStatus: z.object({ pending: z.number(), in_progress: z.number(), completed: z.number(), failed: z.number() }),
            total: z.number(),
            completedInWindow: z.number(),
            onTimeRate: z.number().nullable(),
            meanTimeToCompleteSeconds: z.number().nullable(),
            overdue: z.number(),
            resourceUtilisation: z.number().nullable(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const to = req.query.to ? new Date(req.query.to) : new Date();
      const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - 30 * 86_400_000);
      return res.kpis(actorOf(req), { from, to });
    },
  );

  api.get(
    '/operations/:id',
    { config: { auth: 'operations:read' }, schema: { tags, operationId: 'getOperation', summary: 'Get an operation', params: idParams, response: { 200: operationSchema, ...errorResponses } } },
    async (req) => ops.get(actorOf(req), req.params.id),
  );

  api.patch(
    '/operations/:id',
    {
      config: { auth: 'operations:update' },
      schema: {
        tags,
        operationId: 'updateOperation',
        summary: 'Edit an operation or move its status (illegal moves answer 409 with the allowed ones)',
        params: idParams,
        body: asOperationInput(
          z
            .strictObject({ ...operationFields, name: operationFields.name.optional(), status: z.enum(OPERATION_STATUSES).optional() })
            .refine((b) => Object.keys(b).length > 0, 'Send at least one field to change'),
        ),
        response: { 200: operationSchema, ...errorResponses },
      },
    },
    async (req) => ops.update(actorOf(req), req.params.id, req.body),
  );

  api.delete(
    '/operations/:id',
    { config: { auth: 'operations:delete' }, schema: { tags, operationId: 'deleteOperation', summary: 'Delete an operation', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await ops.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/operations/:id/tasks',
    {
      config: { auth: 'operations:read' },
      schema: { tags, operationId: 'listOperationTasks', summary: 'Tasks of an operation, in their order (cursor pagination)', params: idParams, querystring: pageQuerystring, response: { 200: pageOfSchema(taskSchema), ...errorResponses } },
    },
    async (req) => tasks.list(actorOf(req), req.params.id, req.query),
  );
  api.post(
    '/operations/:id/tasks',
    {
      config: { auth: 'operations:update' },
      schema: { tags, operationId: 'createOperationTask', summary: 'Add a task', params: idParams, body: z.strictObject(taskFields), response: { 201: taskSchema, ...errorResponses } },
    },
    async (req, reply) => reply.code(201).send(await tasks.create(actorOf(req), req.params.id, req.body)),
  );
  api.patch(
    '/operations/:id/tasks/:taskId',
    {
      config: { auth: 'operations:read' },
      schema: {
        tags,
        operationId: 'updateOperationTask',
        summary: 'Edit a task (its assignee may too)',
        params: opTask,
        body: z.strictObject({ ...taskFields, title: taskFields.title.optional() }).refine((b) => Object.keys(b).length > 0, 'Send at least one field to change'),
        response: { 200: taskSchema, ...errorResponses },
      },
    },
    async (req) => tasks.update(actorOf(req), req.params.id, req.params.taskId, req.body),
  );
  api.delete(
    '/operations/:id/tasks/:taskId',
    { config: { auth: 'operations:update' }, schema: { tags, operationId: 'deleteOperationTask', summary: 'Delete a task', params: opTask, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await tasks.remove(actorOf(req), req.params.id, req.params.taskId);
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/operations/:id/allocations',
    {
      config: { auth: 'operations:read' },
      schema: { tags, operationId: 'listOperationAllocations', summary: 'Resources allocated to an operation', params: idParams, response: { 200: z.object({ data: z.array(allocationSchema) }), ...errorResponses } },
    },
    async (req) => ({ data: await res.allocations(actorOf(req), { operationId: req.params.id }) }),
  );
  api.post(
    '/operations/:id/allocations',
    {
      config: { auth: 'operations:update' },
      schema: {
        tags,
        operationId: 'createOperationAllocation',
        summary: 'Allocate a resource over [startsAt, endsAt); an overlapping booking answers 409',
        params: idParams,
        body: z.strictObject({ resourceId: z.uuid(), startsAt: isoDate, endsAt: isoDate }),
        response: { 201: allocationSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await res.allocate(actorOf(req), req.params.id, req.body)),
  );
  api.delete(
    '/operations/:id/allocations/:allocationId',
    { config: { auth: 'operations:update' }, schema: { tags, operationId: 'deleteOperationAllocation', summary: 'Release an allocation', params: opAlloc, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await res.deallocate(actorOf(req), req.params.id, req.params.allocationId);
      return reply.code(204).send(null);
    },
  );

  const rtags = ['resources'];
  api.get(
    '/resources',
    {
      config: { auth: 'resources:read' },
      schema: {
        tags: rtags,
        operationId: 'listResources',
        summary: 'People, vehicles and equipment, by name (cursor pagination)',
        querystring: z.strictObject({ ...pageQuery, kind: z.enum(RESOURCE_KINDS).optional() }),
        response: { 200: pageOfSchema(resourceSchema), ...errorResponses },
      },
    },
    async (req) => res.list(actorOf(req), req.query),
  );
  api.post(
    '/resources',
    {
      config: { auth: 'resources:manage' },
      schema: {
        tags: rtags,
        operationId: 'createResource',
        summary: 'Add a resource',
        body: z.strictObject({ name: z.string().trim().min(1).max(200), kind: z.enum(RESOURCE_KINDS), metadata: jsonObject.optional() }),
        response: { 201: resourceSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await res.create(actorOf(req), req.body)),
  );
  api.patch(
    '/resources/:id',
    {
      config: { auth: 'resources:manage' },
      schema: {
        tags: rtags,
        operationId: 'updateResource',
        summary: 'Edit a resource',
        params: idParams,
        body: z
          .strictObject({ name: z.string().trim().min(1).max(200).optional(), metadata: jsonObject.optional() })
          .refine((b) => Object.keys(b).length > 0, 'Send at least one field to change'),
        response: { 200: resourceSchema, ...errorResponses },
      },
    },
    async (req) => res.update(actorOf(req), req.params.id, req.body),
  );
  api.delete(
    '/resources/:id',
    { config: { auth: 'resources:manage' }, schema: { tags: rtags, operationId: 'deleteResource', summary: 'Delete a resource', params: idParams, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      await res.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  api.get(
    '/resources/:id/allocations',
    {
      config: { auth: 'operations:read' },
      schema: {
        tags: rtags,
        operationId: 'listResourceAllocations',
        summary: 'Bookings of a resource in a time window',
        params: idParams,
        querystring: z.strictObject({ from: isoDate.optional(), to: isoDate.optional() }),
        response: { 200: z.object({ data: z.array(allocationSchema) }), ...errorResponses },
      },
    },
    async (req) => ({ data: await res.allocations(actorOf(req), { resourceId: req.params.id, ...req.query }) }),
  );
}
