import { defineProofSeed } from '../../platform/module/proof.ts';

const kinds = ['operation', 'task', 'allocation', 'resource'] as const;

declare module '../../platform/module/proof.ts' {
  interface ProofKinds extends Record<(typeof kinds)[number], true> {}
}

const DAY = 86_400_000;

/** The operations module's proof seed: an operation with a task, and a resource allocated to it tomorrow. */
export default defineProofSeed({
  kinds,
  values: [],
  families: [
    [/^\/api\/operations\//, 'operation'],
    [/^\/api\/resources\//, 'resource'],
  ],
  params: { operationId: 'operation', taskId: 'task', allocationId: 'allocation', resourceId: 'resource' },
  queryIds: { ownerId: 'user', assigneeId: 'user', assignees: 'user' },
  async create(api) {
    const op = await api.call<{ id: string }>('POST', '/api/operations', { body: { name: 'World operation', tags: ['world'] } });
    const task = await api.call<{ id: string }>('POST', `/api/operations/${op.id}/tasks`, { body: { title: 'World task' } });
    const resource = await api.call<{ id: string }>('POST', '/api/resources', { body: { name: 'World truck', kind: 'vehicle' } });
    const startsAt = new Date(api.now() + DAY).toISOString();
    const endsAt = new Date(api.now() + 2 * DAY).toISOString();
    const allocation = await api.call<{ id: string }>('POST', `/api/operations/${op.id}/allocations`, { body: { resourceId: resource.id, startsAt, endsAt } });
    return { ids: { operation: op.id, task: task.id, allocation: allocation.id, resource: resource.id }, values: {}, secrets: [] };
  },
});
