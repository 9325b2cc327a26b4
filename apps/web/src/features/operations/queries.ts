import { queryOptions } from '@tanstack/react-query';
import { api, call } from '../../lib/api';
import { keys } from '../../lib/queries';

export const operationQuery = (id: string) =>
  queryOptions({
    queryKey: keys.operation(id),
    queryFn: () => call(api.GET('/api/operations/{id}', { params: { path: { id } } })),
  });

export const TRANSITIONS = {
  pending: ['in_progress', 'failed'],
  in_progress: ['completed', 'failed', 'pending'],
  completed: ['in_progress'],
  failed: ['pending', 'in_progress'],
} as const;
