import { z } from 'zod';
import { defineEvents } from '../../platform/events/catalogue.ts';
import { OPERATION_STATUSES } from './operations.schema.ts';
import { allocationSchema, operationSchema, taskSchema } from './operations.views.ts';

const operation = z.object({ operation: operationSchema });

/** Published on `operations` and `operation:<id>` (allocations and tasks on `operation:<id>` only). */
export const operationsEvents = defineEvents({
  'operation.created': { version: 1, description: 'An operation was created.', payload: operation },
  'operation.updated': { version: 1, description: 'An operation’s fields, owner, assignees or tags changed (not its status).', payload: operation },
  'operation.status_changed': {
    version: 1,
    description: 'An operation moved to another status (`from` is the status it left).',
    payload: operation.extend({ from: z.enum(OPERATION_STATUSES) }),
  },
  'operation.deleted': { version: 1, description: 'An operation was deleted (the payload is the operation as it was).', payload: operation },
  'task.created': { version: 1, description: 'A task was added to an operation.', payload: z.object({ task: taskSchema }) },
  'task.updated': { version: 1, description: 'A task changed.', payload: z.object({ task: taskSchema }) },
  'task.deleted': { version: 1, description: 'A task was deleted.', payload: z.object({ task: taskSchema }) },
  'allocation.created': { version: 1, description: 'A resource was allocated to an operation for a window.', payload: z.object({ allocation: allocationSchema }) },
  'allocation.deleted': { version: 1, description: 'A resource allocation was removed.', payload: z.object({ allocation: allocationSchema }) },
});

export type OperationsEvents = typeof operationsEvents;
