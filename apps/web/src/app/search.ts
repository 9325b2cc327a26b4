/**
 * The URL search state of the console's pages (`/operations?status=…&sort=…`): each page's type and
 * the parser its route validates with, keeping only what the API accepts so a hand-edited URL never
 * produces a 400. A leaf module: the router and the pages both import it, and it imports no page
 * (the pages reach their route through `getRouteApi`, never through `router.tsx`).
 */
import type { OperationStatus, Priority, Severity } from '../lib/types';
import { AGGS, INTERVALS, isPreset, type Agg, type Interval, type PresetKey } from '../lib/telemetry-range';

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const iso = (v: unknown) => {
  const x = str(v);
  return x && Number.isFinite(Date.parse(x)) ? x : undefined;
};

export type SortKey = 'createdAt' | '-createdAt' | 'name' | '-name' | 'priority' | '-priority' | 'startAt' | '-startAt' | 'updatedAt' | '-updatedAt';
const SORTS: SortKey[] = ['createdAt', '-createdAt', 'name', '-name', 'priority', '-priority', 'startAt', '-startAt', 'updatedAt', '-updatedAt'];
const STATUSES: OperationStatus[] = ['pending', 'in_progress', 'completed', 'failed'];
const PRIORITIES: Priority[] = ['low', 'medium', 'high', 'critical'];
export interface OperationsSearch {
  q?: string;
  status?: OperationStatus[];
  priority?: Priority;
  sort?: SortKey;
}

export function parseOperationsSearch(s: Record<string, unknown>): OperationsSearch {
  const out: OperationsSearch = {};
  const q = str(s.q);
  if (q) out.q = q.slice(0, 200);
  const statuses = (Array.isArray(s.status) ? s.status : typeof s.status === 'string' ? s.status.split(',') : []).filter((x): x is OperationStatus =>
    STATUSES.includes(x as OperationStatus),
  );
  if (statuses.length) out.status = statuses;
  if (PRIORITIES.includes(s.priority as Priority)) out.priority = s.priority as Priority;
  if (SORTS.includes(s.sort as SortKey)) out.sort = s.sort as SortKey;
  return out;
}

export interface AlarmsSearch {
  view?: 'active' | 'unacknowledged' | 'all';
  severity?: Severity;
}
const SEVERITIES: Severity[] = ['critical', 'major', 'minor', 'warning'];

export function parseAlarmsSearch(s: Record<string, unknown>): AlarmsSearch {
  const out: AlarmsSearch = {};
  if (s.view === 'active' || s.view === 'unacknowledged' || s.view === 'all') out.view = s.view;
  if (SEVERITIES.includes(s.severity as Severity)) out.severity = s.severity as Severity;
  return out;
}

export interface UsersSearch {
  q?: string;
  status?: 'active' | 'inactive';
}

export function parseUsersSearch(s: Record<string, unknown>): UsersSearch {
  const out: UsersSearch = {};
  const q = str(s.q);
  if (q) out.q = q.slice(0, 200);
  if (s.status === 'active' || s.status === 'inactive') out.status = s.status;
  return out;
}

export interface TelemetrySearch {
  device?: string;
  metric?: string;
  range?: PresetKey | 'custom';
  from?: string;
  to?: string;
  interval?: Interval | 'auto';
  agg?: Agg;
}

export function parseTelemetrySearch(s: Record<string, unknown>): TelemetrySearch {
  const out: TelemetrySearch = {};
  const device = str(s.device);
  if (device && /^[0-9a-f-]{36}$/i.test(device)) out.device = device;
  const metric = str(s.metric);
  if (metric) out.metric = metric.slice(0, 128);
  if (isPreset(s.range) || s.range === 'custom') out.range = s.range;
  const from = iso(s.from);
  const to = iso(s.to);
  if (out.range === 'custom' && from) {
    out.from = from;
    if (to) out.to = to;
  }
  if (INTERVALS.includes(s.interval as Interval)) out.interval = s.interval as Interval;
  if (AGGS.includes(s.agg as Agg)) out.agg = s.agg as Agg;
  return out;
}

export interface AuditSearch {
  entityType?: string;
  entityId?: string;
  userId?: string;
  action?: string;
  from?: string;
  to?: string;
}

export function parseAuditSearch(s: Record<string, unknown>): AuditSearch {
  const out: AuditSearch = {};
  for (const k of ['entityType', 'entityId', 'action'] as const) {
    const v = str(s[k]);
    if (v) out[k] = v.slice(0, k === 'action' ? 100 : 64);
  }
  const user = str(s.userId);
  if (user && /^[0-9a-f-]{36}$/i.test(user)) out.userId = user;
  const from = iso(s.from);
  const to = iso(s.to);
  if (from) out.from = from;
  if (to) out.to = to;
  return out;
}
