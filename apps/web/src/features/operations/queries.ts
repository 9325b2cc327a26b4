import { queryOptions } from '@tanstack/react-query';
import { api, call } from '../../lib/api';
import { keys } from '../../lib/queries';

export const operationQuery = (id: string) =>
  queryOptions({
    queryKey: keys.operation(id),
    queryFn: () => call(api.GET('/api/operations/{id}', { params: { path: { id } } })),
  });

/** Operations to pick from (the 200 most recently updated): device and alert-rule forms. */
export const operationNamesQuery = queryOptions({
  queryKey: [...keys.operations, 'names'],
  queryFn: () => call(api.GET('/api/operations', { params: { query: { limit: 200, sort: '-updatedAt' } } })),
  staleTime: 60_000,
});

export const TRANSITIONS = {
  pending: ['in_progress', 'failed'],
  in_progress: ['completed', 'failed', 'pending'],
  completed: ['in_progress'],
  failed: ['pending', 'in_progress'],
} as const;
