import { sql } from 'drizzle-orm';
import { boolean, check, customType, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, orgIsolation, ts, updatedAt } from '../../platform/db/columns.ts';
import { CHANNELS, PRIORITIES as TICKET_PRIORITIES, STATUSES as TICKET_STATUSES } from './sla/engine/sla.vocabulary.ts';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

// One vocabulary for the tables and the SLA engine.
export { CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES };
export const ASSIGNMENT_MODES = ['manual', 'round_robin', 'load_based'] as const;
export const AUTHOR_TYPES = ['agent', 'requester', 'system'] as const;

export type TicketStatus = (typeof TICKET_STATUSES)[number];
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
export type Channel = (typeof CHANNELS)[number];

/** A queue of agents; its assignment mode decides who gets a new ticket. */
export const sdTeams = pgTable(
  'sd_teams',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    assignment: text('assignment', { enum: ASSIGNMENT_MODES }).notNull().default('manual'),
    managerId: uuid('manager_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('sd_teams_org_name').on(t.orgId, sql`lower(${t.name})`), index('sd_teams_org_list').on(t.orgId, t.name, t.id), orgIsolation()],
).enableRLS();

export const sdTeamMembers = pgTable(
  'sd_team_members',
  {
    orgId: orgId(),
    teamId: uuid('team_id')
      .notNull()
      .references(() => sdTeams.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    away: boolean('away').notNull().default(false),
    /** Round-robin turns go to the member who was served longest ago. */
    lastAssignedAt: ts('last_assigned_at'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index('sd_team_members_user').on(t.userId), orgIsolation()],
).enableRLS();

/** The last human ticket number handed out per org (numbers are per org, gap-free under concurrency). */
export const ticketCounters = pgTable(
  'ticket_counters',
  {
    orgId: uuid('org_id').primaryKey(),
    last: integer('last').notNull().default(0),
  },
  () => [orgIsolation()],
).enableRLS();

export const tickets = pgTable(
  'tickets',
  {
    id: id(),
    orgId: orgId(),
    number: integer('number').notNull(),
    subject: text('subject').notNull(),
    description: text('description').notNull().default(''),
    status: text('status', { enum: TICKET_STATUSES }).notNull().default('new'),
    priority: text('priority', { enum: TICKET_PRIORITIES }).notNull().default('medium'),
    category: text('category'),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    teamId: uuid('team_id').references(() => sdTeams.id, { onDelete: 'set null' }),
    assigneeId: uuid('assignee_id'),
    channel: text('channel', { enum: CHANNELS }).notNull().default('web'),
    requesterName: text('requester_name').notNull(),
    requesterEmail: text('requester_email'),
    requesterMobile: text('requester_mobile'),
    requesterUserId: uuid('requester_user_id'),
    customFields: jsonb('custom_fields').$type<Record<string, unknown>>().notNull().default({}),
    attachmentIds: uuid('attachment_ids').array().notNull().default(sql`'{}'::uuid[]`),
    mergedIntoId: uuid('merged_into_id'),
    /** Bumped to invalidate every signed requester link handed out so far. */
    linkVersion: integer('link_version').notNull().default(1),
    /** The Message-ID of the email that opened the ticket or of our first notification (threading). */
    emailMessageId: text('email_message_id'),
    createdBy: uuid('created_by'),
    firstRespondedAt: ts('first_responded_at'),
    lastAgentReplyAt: ts('last_agent_reply_at'),
    lastCustomerReplyAt: ts('last_customer_reply_at'),
    resolvedAt: ts('resolved_at'),
    closedAt: ts('closed_at'),
    search: tsvector('search').generatedAlwaysAs(
      sql`to_tsvector('simple', coalesce(subject, '') || ' ' || coalesce(description, '') || ' ' || coalesce(category, ''))`,
    ),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('tickets_org_number').on(t.orgId, t.number),
    index('tickets_org_status').on(t.orgId, t.status, t.priority),
    index('tickets_org_assignee').on(t.orgId, t.assigneeId, t.status),
    index('tickets_org_team').on(t.orgId, t.teamId, t.status),
    index('tickets_org_created').on(t.orgId, t.createdAt),
    index('tickets_search').using('gin', t.search),
    index('tickets_email_message').on(t.orgId, t.emailMessageId),
    // A requester's tickets (the ticket page lists their others): by account, else address, else mobile.
    index('tickets_org_requester_user').on(t.orgId, t.requesterUserId, t.createdAt),
    index('tickets_org_requester_email').on(t.orgId, t.requesterEmail, t.createdAt),
    index('tickets_org_requester_mobile').on(t.orgId, t.requesterMobile, t.createdAt),
    // The open tickets of every org, for /metrics (servicedesk.metrics.ts): resolved and closed ones
    // pile up and are never read there. The predicate is the open statuses (OPEN_STATUSES) as literals.
    index('tickets_open_status').on(t.status).where(sql`status in ('new', 'open', 'pending_customer', 'on_hold')`),
    orgIsolation(),
  ],
).enableRLS();

/** Public replies and internal notes, from agents, the requester or the system. */
export const ticketReplies = pgTable(
  'ticket_replies',
  {
    id: id(),
    orgId: orgId(),
    ticketId: uuid('ticket_id')
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    authorType: text('author_type', { enum: AUTHOR_TYPES }).notNull(),
    authorUserId: uuid('author_user_id'),
    body: text('body').notNull(),
    isInternal: boolean('is_internal').notNull().default(false),
    channel: text('channel', { enum: CHANNELS }).notNull().default('web'),
    attachmentIds: uuid('attachment_ids').array().notNull().default(sql`'{}'::uuid[]`),
    /** Email Message-ID of this reply (inbound or outbound), for threading. */
    messageId: text('message_id'),
    createdAt: createdAt(),
  },
  (t) => [
    index('ticket_replies_ticket').on(t.ticketId, t.createdAt, t.id),
    uniqueIndex('ticket_replies_message').on(t.orgId, t.messageId),
    orgIsolation(),
  ],
).enableRLS();

/**
 * What happened to a ticket, in order: the input of the SLA clock (status and priority changes,
 * public agent replies, customer replies) and of the console's timeline.
 */
export const ticketTimeline = pgTable(
  'ticket_timeline',
  {
    id: id(),
    orgId: orgId(),
    ticketId: uuid('ticket_id')
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    at: ts('at').notNull(),
    kind: text('kind').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('ticket_timeline_ticket').on(t.ticketId, t.at, t.id), orgIsolation()],
).enableRLS();

export const cannedResponses = pgTable(
  'canned_responses',
  {
    id: id(),
    orgId: orgId(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('canned_responses_org_title').on(t.orgId, sql`lower(${t.title})`), index('canned_responses_org_list').on(t.orgId, t.title, t.id), orgIsolation()],
).enableRLS();

/** Per-org service desk settings: the JSON schema of custom ticket fields. */
export const servicedeskSettings = pgTable(
  'servicedesk_settings',
  {
    orgId: uuid('org_id').primaryKey(),
    customFieldsSchema: jsonb('custom_fields_schema').$type<Record<string, unknown> | null>(),
    updatedAt: updatedAt(),
  },
  () => [orgIsolation()],
).enableRLS();

/**
 * A ticket's SLA clocks, derived from its timeline: the policy that applies, the per-target state,
 * the earliest open due time and when the scheduler must look again. Kept off the ticket row, which
 * carries many indexes, so that recalculating every open ticket rewrites only this narrow row.
 */
export const ticketSla = pgTable(
  'ticket_sla',
  {
    ticketId: uuid('ticket_id')
      .primaryKey()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    orgId: orgId(),
    policyId: uuid('policy_id').notNull(),
    state: jsonb('state').$type<Record<string, unknown>>().notNull(),
    nextDueAt: ts('next_due_at'),
    wakeAt: ts('wake_at'),
  },
  (t) => [
    index('ticket_sla_org_due').on(t.orgId, t.nextDueAt).where(sql`next_due_at is not null`),
    index('ticket_sla_wake').on(t.wakeAt).where(sql`wake_at is not null`),
    orgIsolation(),
  ],
).enableRLS();

/** Business hours: a time zone, weekly intervals and holidays (per org, optionally per team). */
export const slaCalendars = pgTable(
  'sla_calendars',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    timeZone: text('time_zone').notNull(),
    weekly: jsonb('weekly').$type<Record<string, unknown>>().notNull(),
    holidays: jsonb('holidays').$type<unknown[]>().notNull().default([]),
    teamId: uuid('team_id').references(() => sdTeams.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('sla_calendars_org_name').on(t.orgId, sql`lower(${t.name})`), index('sla_calendars_org_list').on(t.orgId, t.name, t.id), orgIsolation()],
).enableRLS();

/** Ordered SLA policies: the first whose conditions match a ticket applies; `is_default` is the fallback. */
export const slaPolicies = pgTable(
  'sla_policies',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    position: integer('position').notNull().default(0),
    isDefault: boolean('is_default').notNull().default(false),
    conditions: jsonb('conditions').$type<Record<string, unknown>>().notNull().default({}),
    targets: jsonb('targets').$type<Record<string, unknown>>().notNull(),
    warnings: jsonb('warnings').$type<number[]>().notNull().default([]),
    escalations: jsonb('escalations').$type<unknown[]>().notNull().default([]),
    calendarId: uuid('calendar_id').references(() => slaCalendars.id, { onDelete: 'restrict' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('sla_policies_org_position').on(t.orgId, t.position, t.id),
    uniqueIndex('sla_policies_one_default').on(t.orgId).where(sql`is_default`),
    orgIsolation(),
  ],
).enableRLS();

/**
 * Warnings, breaches and escalation levels that have taken effect: the primary key makes each one
 * happen exactly once, whichever worker gets there first.
 */
export const slaFirings = pgTable(
  'sla_firings',
  {
    orgId: orgId(),
    ticketId: uuid('ticket_id')
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['warning', 'breach', 'escalation'] }).notNull(),
    target: text('target').notNull(),
    /** The warning threshold in per mille, or the escalation level's index; 0 for a breach. */
    level: integer('level').notNull(),
    /** The cycle of the target (a next-response target restarts at each customer reply). */
    cycle: integer('cycle').notNull().default(0),
    firedAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.ticketId, t.kind, t.target, t.level, t.cycle] }), orgIsolation()],
).enableRLS();

/** Managers' ratings of agents, one per agent and period. */
export const agentRatings = pgTable(
  'agent_ratings',
  {
    id: id(),
    orgId: orgId(),
    agentId: uuid('agent_id').notNull(),
    raterId: uuid('rater_id').notNull(),
    period: text('period').notNull(),
    score: integer('score').notNull(),
    comment: text('comment').notNull().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('agent_ratings_agent_period').on(t.orgId, t.agentId, t.period), check('agent_ratings_score', sql`score between 1 and 5`), orgIsolation()],
).enableRLS();

/** Requesters' satisfaction with a resolved ticket. */
export const csatResponses = pgTable(
  'csat_responses',
  {
    orgId: orgId(),
    ticketId: uuid('ticket_id')
      .primaryKey()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    agentId: uuid('agent_id'),
    score: integer('score').notNull(),
    comment: text('comment').notNull().default(''),
    createdAt: createdAt(),
  },
  () => [check('csat_score', sql`score between 1 and 5`), orgIsolation()],
).enableRLS();

export const CONVERSATION_STATES = ['new', 'collecting', 'ticket_created', 'following'] as const;

/** A chat with a customer on WhatsApp (or SMS): collects a request, then follows the ticket it opened. */
export const whatsappConversations = pgTable(
  'whatsapp_conversations',
  {
    id: id(),
    orgId: orgId(),
    channel: text('channel', { enum: ['whatsapp', 'sms'] }).notNull().default('whatsapp'),
    /** The customer's number, E.164. */
    phone: text('phone').notNull(),
    state: text('state', { enum: CONVERSATION_STATES }).notNull().default('new'),
    /** What has been collected so far (name, email, subject, description) and the next question. */
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    ticketId: uuid('ticket_id').references(() => tickets.id, { onDelete: 'set null' }),
    lastMessageAt: ts('last_message_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('whatsapp_conversations_org_phone').on(t.orgId, t.channel, t.phone), orgIsolation()],
).enableRLS();

/**
 * Provider message ids already processed: webhooks are retried, and each message counts once. The key
 * is global (not per org): a message id is a provider's, so a delivery replayed to another org's URL
 * is a duplicate there too (the unique check does not depend on what row-level security lets one see).
 */
export const inboundMessages = pgTable(
  'inbound_messages',
  {
    orgId: orgId(),
    provider: text('provider').notNull(),
    messageId: text('message_id').notNull(),
    receivedAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.messageId] }), orgIsolation()],
).enableRLS();
