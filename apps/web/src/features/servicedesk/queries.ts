import { infiniteQueryOptions, queryOptions, useQuery } from '@tanstack/react-query';
import { api, call } from '../../lib/api';
import { fetchAll, nextPages, pageRequest } from '../../lib/pages';
import { can } from '../../lib/permissions';
import { useMe } from '../../lib/queries';
import type { Canned, ExecutiveDashboard, Team } from './types';

/** Query keys of the service desk pages: one place, so live events invalidate the right caches. */
export const sdKeys = {
  /** Every ticket list (the queue's views and filters, pages). */
  tickets: ['tickets'] as const,
  list: (filters: object) => ['tickets', 'list', filters] as const,
  /** One ticket; its replies, timeline and SLA hang below it, so invalidating this refreshes the page. */
  ticket: (id: string) => ['ticket', id] as const,
  replies: (id: string) => ['ticket', id, 'replies'] as const,
  timeline: (id: string) => ['ticket', id, 'timeline'] as const,
  sla: (id: string) => ['ticket', id, 'sla'] as const,
  teams: ['servicedesk', 'teams'] as const,
  canned: ['servicedesk', 'canned'] as const,
  settings: ['servicedesk', 'settings'] as const,
  calendars: ['servicedesk', 'calendars'] as const,
  policies: ['servicedesk', 'policies'] as const,
  dashboards: ['servicedesk', 'dashboards'] as const,
  dashboard: (kind: 'agent' | 'manager' | 'executive', params: object = {}) => ['servicedesk', 'dashboards', kind, params] as const,
  ratings: ['servicedesk', 'ratings'] as const,
  fileInfo: (id: string) => ['file-info', id] as const,
};

/** The API's `from` for "the last n days" (to: now). */
export const sinceDays = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

/** The executive report over the last `days` (the executive dashboard, and the service desk card of the home page). */
export const executiveQuery = (days: number) =>
  queryOptions({
    queryKey: sdKeys.dashboard('executive', { days }),
    queryFn: async () => (await call(api.GET('/api/servicedesk/dashboards/executive', { params: { query: { from: sinceDays(days) } } }))) as ExecutiveDashboard,
  });

export const ticketQuery = (id: string) => queryOptions({ queryKey: sdKeys.ticket(id), queryFn: () => call(api.GET('/api/tickets/{id}', { params: { path: { id } } })) });

// The whole sets, for pickers and forms (every page, fetched at once).
export const teamsQuery = queryOptions({
  queryKey: [...sdKeys.teams, 'all'],
  queryFn: async () => (await fetchAll((query) => call(api.GET('/api/servicedesk/teams', { params: { query } })))).data,
  staleTime: 60_000,
});
export const cannedQuery = queryOptions({
  queryKey: [...sdKeys.canned, 'all'],
  queryFn: async () => (await fetchAll((query) => call(api.GET('/api/servicedesk/canned-responses', { params: { query } })))).data,
  staleTime: 60_000,
});
export const calendarsQuery = queryOptions({
  queryKey: [...sdKeys.calendars, 'all'],
  queryFn: async () => (await fetchAll((query) => call(api.GET('/api/servicedesk/calendars', { params: { query } })))).data,
});
/** Policies in evaluation order: all of them, since reordering sends every id. */
export const policiesQuery = queryOptions({
  queryKey: [...sdKeys.policies, 'all'],
  queryFn: async () => (await fetchAll((query) => call(api.GET('/api/servicedesk/sla-policies', { params: { query } })))).data,
});
export const settingsQuery = queryOptions({ queryKey: sdKeys.settings, queryFn: () => call(api.GET('/api/servicedesk/settings')), staleTime: 60_000 });

// The admin tabs' lists, a page at a time ("Load more").
export const teamPages = infiniteQueryOptions({
  queryKey: [...sdKeys.teams, 'pages'],
  queryFn: ({ pageParam }) => call(api.GET('/api/servicedesk/teams', { params: { query: pageRequest(pageParam) } })),
  ...nextPages,
});
export const cannedPages = infiniteQueryOptions({
  queryKey: [...sdKeys.canned, 'pages'],
  queryFn: ({ pageParam }) => call(api.GET('/api/servicedesk/canned-responses', { params: { query: pageRequest(pageParam) } })),
  ...nextPages,
});
export const calendarPages = infiniteQueryOptions({
  queryKey: [...sdKeys.calendars, 'pages'],
  queryFn: ({ pageParam }) => call(api.GET('/api/servicedesk/calendars', { params: { query: pageRequest(pageParam) } })),
  ...nextPages,
});

export function useTeams(): Team[] {
  const me = useMe();
  return useQuery({ ...teamsQuery, enabled: can(me, 'tickets:read') }).data ?? [];
}
export function useCanned(): Canned[] {
  return useQuery(cannedQuery).data ?? [];
}

/**
 * The people tickets can be assigned to: members of the service desk teams (names where this user
 * may read users), plus everyone this user may list. Sorted by name.
 */
export function useAgents(names: Map<string, string>): { id: string; name: string }[] {
  const teams = useTeams();
  const ids = new Set<string>(names.keys());
  for (const t of teams) for (const m of t.members) ids.add(m.userId);
  return [...ids].map((id) => ({ id, name: names.get(id) ?? 'Agent ' + id.slice(-4) })).sort((a, b) => a.name.localeCompare(b.name));
}
