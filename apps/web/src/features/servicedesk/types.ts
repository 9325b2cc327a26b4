import type { Body, Ok } from '../../lib/types';

export type Ticket = Ok<'/api/tickets/{id}', 'get'>;
export type TicketStatus = Ticket['status'];
export type TicketPriority = Ticket['priority'];
export type TicketChannel = Ticket['channel'];
export type TicketPatch = Body<'/api/tickets/{id}', 'patch'>;
export type BulkPatch = Body<'/api/tickets/bulk', 'post'>['patch'];
export type Reply = Ok<'/api/tickets/{id}/replies', 'get'>['data'][number];
export type TimelineEntry = Ok<'/api/tickets/{id}/timeline', 'get'>['data'][number];
export type Team = Ok<'/api/servicedesk/teams', 'get'>['data'][number];
export type AssignmentMode = Team['assignment'];
export type Canned = Ok<'/api/servicedesk/canned-responses', 'get'>['data'][number];
export type Calendar = Ok<'/api/servicedesk/calendars', 'get'>['data'][number];
export type CalendarInput = Body<'/api/servicedesk/calendars', 'post'>;
export type Policy = Ok<'/api/servicedesk/sla-policies', 'get'>['data'][number];
export type PolicyInput = Body<'/api/servicedesk/sla-policies', 'post'>;
export type AgentDashboard = Ok<'/api/servicedesk/dashboards/agent', 'get'>;
export type ManagerDashboard = Ok<'/api/servicedesk/dashboards/manager', 'get'>;
export type Rating = Ok<'/api/servicedesk/ratings', 'get'>[number];
export type UploadedFile = { id: string; name: string; mime: string; size: number; sha256: string; createdAt: string };
export type PortalTicket = Ok<'/api/portal/tickets/{id}', 'get'>;

/** The executive report (the JSON form of GET /api/servicedesk/dashboards/executive; the CSV and PDF forms are strings). */
export type ExecutiveDashboard = Exclude<Ok<'/api/servicedesk/dashboards/executive', 'get'>, string>;

/** GET /api/tickets/:id/sla → `sla` (docs/servicedesk.md, "Explanation"), as the API declares it. */
export type SlaExplanation = NonNullable<Ok<'/api/tickets/{id}/sla', 'get'>['sla']>;
