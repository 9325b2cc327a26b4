import { infiniteQueryOptions, queryOptions } from '@tanstack/react-query';
import { api, call } from '../../lib/api';
import { nextPages, PAGE_MAX, pageRequest } from '../../lib/pages';
import { keys } from '../../lib/queries';
import type { Severity } from '../../lib/types';

export type AlarmFilter = { active?: 'true' | 'false'; acknowledged?: 'true' | 'false'; severity?: Severity };

/** The alarms page: newest first, a page at a time. */
export const alarmPages = (filter: AlarmFilter) =>
  infiniteQueryOptions({
    queryKey: [...keys.alarms, 'pages', filter],
    queryFn: ({ pageParam }) => call(api.GET('/api/alarms', { params: { query: { ...filter, ...pageRequest(pageParam, 100) } } })),
    ...nextPages,
    staleTime: 15_000,
  });

/** Active alarms, the newest 200 (`nextCursor` set when there are more): the sidebar badge and the dashboard card share this query. */
export const activeAlarmsQuery = queryOptions({
  queryKey: [...keys.alarms, { active: 'true' }],
  queryFn: () => call(api.GET('/api/alarms', { params: { query: { active: 'true', limit: PAGE_MAX } } })),
  staleTime: 15_000,
});
