import type { TicketPriority, TicketStatus } from './types';

/** The queue's URL state (`/tickets?view=…&status=open,new&…`): shareable and back-button friendly. */
export const TICKET_VIEWS = ['all', 'my_open', 'unassigned', 'breaching_soon'] as const;
export type TicketView = (typeof TICKET_VIEWS)[number];
export const TICKET_SORTS = ['-createdAt', 'createdAt', '-updatedAt', 'slaNextDueAt', '-priority', '-number', 'number'] as const;
export type TicketSort = (typeof TICKET_SORTS)[number];

export interface TicketsSearch {
  view?: TicketView;
  status?: TicketStatus[];
  priority?: TicketPriority[];
  teamId?: string;
  assigneeId?: string;
  category?: string;
  q?: string;
  sort?: TicketSort;
}

const STATUSES: readonly string[] = ['new', 'open', 'pending_customer', 'on_hold', 'resolved', 'closed'];
const PRIORITIES: readonly string[] = ['low', 'medium', 'high', 'urgent'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const text = (v: unknown, max: number) => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, max) : undefined);
function list<T extends string>(v: unknown, allowed: readonly string[]): T[] | undefined {
  const raw = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [];
  const out = [...new Set(raw.filter((x): x is T => typeof x === 'string' && allowed.includes(x)))];
  return out.length ? out : undefined;
}

/** Keeps only what the API accepts, so a hand-edited URL never produces a 400. */
export function parseTicketsSearch(s: Record<string, unknown>): TicketsSearch {
  const out: TicketsSearch = {};
  if (TICKET_VIEWS.includes(s.view as TicketView) && s.view !== 'all') out.view = s.view as TicketView;
  const status = list<TicketStatus>(s.status, STATUSES);
  if (status) out.status = status;
  const priority = list<TicketPriority>(s.priority, PRIORITIES);
  if (priority) out.priority = priority;
  for (const k of ['teamId', 'assigneeId'] as const) {
    const id = text(s[k], 36);
    if (id && UUID.test(id)) out[k] = id;
  }
  const category = text(s.category, 100);
  if (category) out.category = category;
  const q = text(s.q, 200);
  if (q) out.q = q;
  if (TICKET_SORTS.includes(s.sort as TicketSort)) out.sort = s.sort as TicketSort;
  return out;
}

/** The API query of a queue search (one page). */
export function ticketsQuery(s: TicketsSearch, cursor: string | null, limit = 50) {
  return {
    limit,
    ...(cursor ? { cursor } : {}),
    ...(s.view ? { view: s.view } : {}),
    ...(s.status ? { status: s.status.join(',') } : {}),
    ...(s.priority ? { priority: s.priority.join(',') } : {}),
    ...(s.teamId ? { teamId: s.teamId } : {}),
    ...(s.assigneeId ? { assigneeId: s.assigneeId } : {}),
    ...(s.category ? { category: s.category } : {}),
    ...(s.q ? { q: s.q } : {}),
    ...(s.sort ? { sort: s.sort } : {}),
  };
}

/** Days back for the dashboards' period picker. */
export const PERIODS = [7, 30, 90, 365] as const;
export type PeriodDays = (typeof PERIODS)[number];
export function parsePeriodSearch(s: Record<string, unknown>): { days?: PeriodDays; teamId?: string } {
  const out: { days?: PeriodDays; teamId?: string } = {};
  const days = Number(s.days);
  if (PERIODS.includes(days as PeriodDays) && days !== 30) out.days = days as PeriodDays;
  const team = text(s.teamId, 36);
  if (team && UUID.test(team)) out.teamId = team;
  return out;
}

export const ADMIN_TABS = ['teams', 'canned', 'calendars', 'policies', 'fields'] as const;
export type AdminTab = (typeof ADMIN_TABS)[number];
