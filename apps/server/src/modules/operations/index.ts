import type { Actor } from '../../platform/access/actor.ts';
import { currentFacts, type EventReader, type TopicRule } from '../../platform/realtime/topic-access.ts';
import { can } from '../../platform/access/ability.ts';
import { inOrg } from '../../platform/db/scope.ts';
import { operationFactsNow } from './operations.repository.ts';
import { defineModule } from '../../platform/module/module.ts';
import { operationsErrors } from './operations.errors.ts';
import { operationsEvents } from './operations.events.ts';
import { operationsPermissions } from './operations.permissions.ts';
import type { OperationExists } from './operations.ports.ts';
import { canReadOperation, createOperationsService, operationFactsOf } from './operations.service.ts';
import { operationsRoutes } from './operations.routes.ts';
import { createResourcesService } from './resources.service.ts';
import { createTasksService } from './tasks.service.ts';

export type * from './operations.ports.ts';

/** Operations with tasks, resources and allocations; publishes to `operations` and `operation:<id>`. */
export const operationsModule = defineModule({
  name: 'operations',
  tags: [
    { name: 'operations', description: 'Operations, their status, tasks and allocations' },
    { name: 'resources', description: 'People, vehicles and equipment that operations book' },
  ],
  permissions: operationsPermissions,
  events: operationsEvents,
  errors: operationsErrors,
  requires: ['userDirectory'],
  provides: ['operationExists'],
  proof: () => import('./operations.proof.ts'),
  create(p) {
    const deps = { db: p.db, useCase: p.useCase, users: p.ports.userDirectory };
    const operations = createOperationsService(deps);
    const tasks = createTasksService(deps, operations);
    const resources = createResourcesService(deps, operations);
    // Events about an operation reach a subscriber only if the REST read rule lets them read it; the
    // others on `operation:<id>` (tasks, allocations, telemetry) ride on that topic's own check.
    const reader = async (actor: Actor): Promise<EventReader> => (v) => {
      const facts = operationFactsOf(v);
      return !facts || canReadOperation(actor, facts);
    };
    /** A replay reads each operation as it is now (an operation since handed to someone else is out of reach). */
    const current: TopicRule['current'] = (orgId, events) => currentFacts(events, 'operation', 'operation', (ids) => inOrg(deps.db, orgId, (tx) => operationFactsNow(tx, ids)));
    const topics: TopicRule[] = [
      { pattern: /^operations$/, authorize: (actor) => (can(actor, 'operations:read') ? 'ok' : 'forbidden'), reader, current },
      {
        pattern: /^operation:([0-9a-f-]{36})$/,
        reader,
        current,
        single: true,
        authorize: async (actor, m) => {
          if (!can(actor, 'operations:read')) return 'forbidden';
          return (await operations.exists(actor, m[1]!)) ? 'ok' : 'not_found';
        },
      },
    ];
    const operationExists: OperationExists = (orgId, id) => operations.existsInOrg(orgId, id);
    return {
      provides: { operationExists },
      services: { operations, tasks, resources },
      topics,
      routes(api) {
        operationsRoutes(api, operations, tasks, resources);
      },
    };
  },
});
