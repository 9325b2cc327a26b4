import { queryOptions, type QueryClient } from '@tanstack/react-query';
import { api, call } from '../../lib/api';
import { can } from '../../lib/permissions';
import { keys } from '../../lib/queries';
import type { Me } from '../../lib/types';
import { activeAlarmsQuery } from '../alarms/queries';

export const kpisQuery = queryOptions({
  queryKey: keys.kpis,
  queryFn: () => call(api.GET('/api/operations/kpis', {})),
  staleTime: 30_000,
});
export const latestTelemetryQuery = queryOptions({
  queryKey: keys.telemetryLatest,
  queryFn: () => call(api.GET('/api/telemetry/latest', {})),
  staleTime: 30_000,
});
export const recentActivityQuery = queryOptions({
  queryKey: [...keys.audit, 'recent'],
  queryFn: () => call(api.GET('/api/audit-logs', { params: { query: { limit: 8 } } })),
  staleTime: 15_000,
});

/** Starts the dashboard's requests while its code is still loading (the route loader; not awaited). */
export function prefetchDashboard(qc: QueryClient, me: Me | undefined) {
  if (!me) return;
  if (can(me, 'operations:read')) void qc.prefetchQuery(kpisQuery);
  if (can(me, 'alarms:read')) void qc.prefetchQuery(activeAlarmsQuery);
  if (can(me, 'telemetry:read')) void qc.prefetchQuery(latestTelemetryQuery);
  if (can(me, 'audit:read')) void qc.prefetchQuery(recentActivityQuery);
}
