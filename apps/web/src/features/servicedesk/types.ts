import type { Body, Ok } from '../../lib/types';

export type Ticket = Ok<'/api/tickets/{id}', 'get'>;
export type TicketStatus = Ticket['status'];
export type TicketPriority = Ticket['priority'];
export type TicketChannel = Ticket['channel'];
export type TicketPatch = Body<'/api/tickets/{id}', 'patch'>;
export type BulkPatch = Body<'/api/tickets/bulk', 'post'>['patch'];
export type Reply = Ok<'/api/tickets/{id}/replies', 'get'>[number];
export type TimelineEntry = Ok<'/api/tickets/{id}/timeline', 'get'>[number];
export type Team = Ok<'/api/servicedesk/teams', 'get'>[number];
export type AssignmentMode = Team['assignment'];
export type Canned = Ok<'/api/servicedesk/canned-responses', 'get'>[number];
export type Calendar = Ok<'/api/servicedesk/calendars', 'get'>[number];
export type CalendarInput = Body<'/api/servicedesk/calendars', 'post'>;
export type Policy = Ok<'/api/servicedesk/sla-policies', 'get'>[number];
export type PolicyInput = Body<'/api/servicedesk/sla-policies', 'post'>;
export type AgentDashboard = Ok<'/api/servicedesk/dashboards/agent', 'get'>;
export type ManagerDashboard = Ok<'/api/servicedesk/dashboards/manager', 'get'>;
export type Rating = Ok<'/api/servicedesk/ratings', 'get'>[number];
export type UploadedFile = { id: string; name: string; mime: string; size: number; sha256: string; createdAt: string };
export type PortalTicket = Ok<'/api/portal/tickets/{id}', 'get'>;

/** The executive report (JSON form of GET /api/servicedesk/dashboards/executive). */
export interface ExecutiveDashboard {
  period: { from: string; to: string };
  volume: { day: string; created: number; resolved: number }[];
  totals: { created: number; resolved: number };
  compliance: Record<string, { met: number; breached: number; percent: number | null }>;
  backlog: Record<string, number>;
  csat: { average: number | null; responses: number };
  topCategories: { category: string; tickets: number }[];
}

/** GET /api/tickets/:id/sla → `sla` (docs/servicedesk.md, "Explanation"). */
export interface SlaExplanation {
  evaluatedAt: string;
  timeZone: string;
  ticket: { createdAt: string; status: string; priority: string; policyId: string | null; policyName: string | null; calendarId: string | null };
  targetChanges: { at: string; policyId: string; policyName: string; priority: string; targetsMinutes: Record<string, number> }[];
  pauses: { status: string; start: string; end: string | null; businessMs: number }[];
  targets: {
    target: string;
    cycle: number;
    state: 'active' | 'paused' | 'achieved' | 'breached';
    goalMinutes: number;
    priority: string;
    startedAt: string;
    clockStartedAt: string;
    dueAt: string | null;
    pausedBeforeDueMs: number;
    elapsedBusinessMs: number;
    pausedBusinessMs: number;
    achievedAt: string | null;
    stopReason: string | null;
    breachedAt: string | null;
    warnings: { threshold: number; at: string; reached: boolean }[];
    remeasuredAt: string[];
    derivation: string;
  }[];
  calendar: {
    id: string;
    timeZone: string;
    from: string;
    to: string;
    intervals: { start: string; end: string; businessMs: number }[];
    holidays: { date: string; name?: string }[];
    truncated: boolean;
  };
}
