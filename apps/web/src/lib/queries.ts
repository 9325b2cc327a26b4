import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api, call } from './api';
import { auth } from './auth';
import { fetchAll } from './pages';
import { can } from './permissions';
import type { Condition, Me } from './types';

/** Query keys: one place, so realtime events can invalidate the right caches. */
export const keys = {
  me: ['me'] as const,
  operations: ['operations'] as const,
  operationList: (filters: object) => ['operations', 'list', filters] as const,
  kpis: ['operations', 'kpis'] as const,
  operation: (id: string) => ['operation', id] as const,
  tasks: (id: string) => ['operation', id, 'tasks'] as const,
  allocations: (id: string) => ['operation', id, 'allocations'] as const,
  opTelemetry: (id: string) => ['operation', id, 'telemetry'] as const,
  resources: ['resources'] as const,
  alarms: ['alarms'] as const,
  alertRules: ['alert-rules'] as const,
  telemetryLatest: ['telemetry', 'latest'] as const,
  telemetry: ['telemetry'] as const,
  audit: ['audit'] as const,
  users: ['users'] as const,
  roles: ['roles'] as const,
  sessions: ['sessions'] as const,
  devices: ['devices'] as const,
  apiKeys: ['api-keys'] as const,
  org: ['org'] as const,
};

/** The permission catalogue, with which permissions a scope narrows. */
export const catalogueQuery = queryOptions({ queryKey: ['permissions', 'catalogue'], queryFn: () => call(api.GET('/api/permissions')), staleTime: 10 * 60_000 });

/** Every device with its online status (the alarms' source names, the explorer, the map). */
export const devicesQuery = queryOptions({
  queryKey: [...keys.devices, 'all'],
  queryFn: () => fetchAll((query) => call(api.GET('/api/devices', { params: { query } }))),
  staleTime: 5 * 60_000,
});

/** Every resource of the org (allocation pickers, names of allocated resources). */
export const resourcesQuery = queryOptions({
  queryKey: [...keys.resources, 'all'],
  queryFn: () => fetchAll((query) => call(api.GET('/api/resources', { params: { query } }))),
  staleTime: 60_000,
});

/** Every role of the org (the roles matrix, role pickers and filters). */
export const rolesQuery = queryOptions({
  queryKey: [...keys.roles, 'all'],
  queryFn: () => fetchAll((query) => call(api.GET('/api/roles', { params: { query } }))),
  staleTime: 60_000,
});

export const meQuery = queryOptions({
  queryKey: keys.me,
  queryFn: async () => {
    const me = await call(api.GET('/api/auth/me'));
    if (!('permissions' in me) || Array.isArray(me.permissions)) throw new Error('Signed in with an API key: the console needs a user.');
    return me as Me;
  },
  staleTime: 60_000,
});

/** The signed-in user with effective permissions (loaded before the shell renders). */
export function useMe(): Me {
  const { data } = useQuery({ ...meQuery, enabled: auth.state.status === 'authenticated' });
  // The app route loads it before rendering anything that calls this.
  if (!data) throw new Error('useMe() before the user is loaded');
  return data;
}

export function useCan(permission: string, min: Condition = 'own') {
  return can(useMe(), permission, min);
}

/** User names by id, for "who did it" columns (the users this user may see). */
export function useUserNames(): Map<string, string> {
  const me = useMe();
  const allowed = can(me, 'users:read');
  const { data } = useQuery({
    queryKey: [...keys.users, 'names'],
    queryFn: () => call(api.GET('/api/users', { params: { query: { limit: 200, deleted: 'include' } } })),
    enabled: allowed,
    staleTime: 5 * 60_000,
    placeholderData: keepPreviousData,
  });
  const map = new Map<string, string>([[me.id, me.name]]);
  for (const u of data?.data ?? []) map.set(u.id, u.name);
  return map;
}
