import { z } from 'zod';
import { OPERATION_STATUSES, PRIORITIES, RESOURCE_KINDS, TASK_STATUSES } from './operations.schema.ts';

/** What the API and the events show of the module's records. */
export const operationSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  status: z.enum(OPERATION_STATUSES),
  priority: z.enum(PRIORITIES),
  type: z.string().nullable(),
  location: z.object({ text: z.string().nullable(), lat: z.number().nullable(), lng: z.number().nullable() }),
  startAt: z.string().nullable(),
  endAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  createdBy: z.uuid().nullable(),
  ownerId: z.uuid().nullable(),
  assignees: z.array(z.uuid()),
  tags: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Operation', description: 'An operation (a piece of field or office work) with its schedule and people' });

export const taskSchema = z.object({
  id: z.uuid(),
  operationId: z.uuid(),
  title: z.string(),
  assigneeId: z.uuid().nullable(),
  dueAt: z.string().nullable(),
  status: z.enum(TASK_STATUSES),
  checklist: z.array(z.object({ text: z.string(), done: z.boolean() })),
  position: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Task', description: 'A task of an operation' });

export const resourceSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  kind: z.enum(RESOURCE_KINDS),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Resource', description: 'A resource (a person, vehicle, tool or instrument) operations book' });

export const allocationSchema = z.object({
  id: z.uuid(),
  resourceId: z.uuid(),
  operationId: z.uuid(),
  startsAt: z.string(),
  endsAt: z.string(),
  createdBy: z.uuid().nullable(),
  createdAt: z.string(),
}).meta({ id: 'Allocation', description: 'A booking of a resource by an operation' });
