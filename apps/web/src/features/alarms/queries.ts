import { queryOptions } from '@tanstack/react-query';
import { api, call } from '../../lib/api';
import { keys } from '../../lib/queries';
import type { Severity } from '../../lib/types';

export type AlarmFilter = { active?: 'true' | 'false'; acknowledged?: 'true' | 'false'; severity?: Severity };

export const alarmsQuery = (filter: AlarmFilter) =>
  queryOptions({
    queryKey: [...keys.alarms, filter],
    queryFn: () => call(api.GET('/api/alarms', { params: { query: { ...filter, limit: 500 } } })),
    staleTime: 15_000,
  });

/** Active alarms: the sidebar badge and the dashboard card share this query. */
export const activeAlarmsQuery = alarmsQuery({ active: 'true' });
