import { sql } from 'drizzle-orm';
import {
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, orgIsolation, ts, updatedAt } from '../../platform/db/columns.ts';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });
const tstzrange = customType<{ data: string }>({ dataType: () => 'tstzrange' });

export const OPERATION_STATUSES = ['pending', 'in_progress', 'completed', 'failed'] as const;
export const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export const TASK_STATUSES = ['todo', 'in_progress', 'done', 'cancelled'] as const;
export const RESOURCE_KINDS = ['person', 'vehicle', 'equipment'] as const;

export const operations = pgTable(
  'operations',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    status: text('status', { enum: OPERATION_STATUSES }).notNull().default('pending'),
    priority: text('priority', { enum: PRIORITIES }).notNull().default('medium'),
    type: text('type'),
    location: text('location'),
    lat: doublePrecision('lat'),
    lng: doublePrecision('lng'),
    startAt: ts('start_at'),
    endAt: ts('end_at'),
    completedAt: ts('completed_at'),
    createdBy: uuid('created_by'),
    ownerId: uuid('owner_id'),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    search: tsvector('search').generatedAlwaysAs(
      sql`to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(description, '') || ' ' || coalesce(location, '') || ' ' || coalesce(type, ''))`,
    ),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('operations_org_status').on(t.orgId, t.status),
    index('operations_org_created').on(t.orgId, t.createdAt),
    index('operations_search').using('gin', t.search),
    index('operations_org_geo').on(t.orgId, t.lat, t.lng),
    check('operations_lat', sql`lat is null or (lat between -90 and 90)`),
    check('operations_lng', sql`lng is null or (lng between -180 and 180)`),
    check('operations_dates', sql`start_at is null or end_at is null or end_at >= start_at`),
    orgIsolation(),
  ],
).enableRLS();

export const operationAssignees = pgTable(
  'operation_assignees',
  {
    orgId: orgId(),
    operationId: uuid('operation_id')
      .notNull()
      .references(() => operations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.operationId, t.userId] }), index('operation_assignees_user').on(t.userId), orgIsolation()],
).enableRLS();

export const operationTasks = pgTable(
  'operation_tasks',
  {
    id: id(),
    orgId: orgId(),
    operationId: uuid('operation_id')
      .notNull()
      .references(() => operations.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    assigneeId: uuid('assignee_id'),
    dueAt: ts('due_at'),
    status: text('status', { enum: TASK_STATUSES }).notNull().default('todo'),
    checklist: jsonb('checklist').$type<{ text: string; done: boolean }[]>().notNull().default([]),
    position: integer('position').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('operation_tasks_operation').on(t.operationId, t.position, t.id), orgIsolation()],
).enableRLS();

export const resources = pgTable(
  'resources',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    kind: text('kind', { enum: RESOURCE_KINDS }).notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // The list's keyset order (name, id), of all resources or of one kind.
  (t) => [index('resources_org_name').on(t.orgId, t.name, t.id), index('resources_org_kind_name').on(t.orgId, t.kind, t.name, t.id), orgIsolation()],
).enableRLS();

/** Double-booking is impossible: an exclusion constraint on (resource, time range) in the migration. */
export const resourceAllocations = pgTable(
  'resource_allocations',
  {
    id: id(),
    orgId: orgId(),
    resourceId: uuid('resource_id')
      .notNull()
      .references(() => resources.id, { onDelete: 'cascade' }),
    operationId: uuid('operation_id')
      .notNull()
      .references(() => operations.id, { onDelete: 'cascade' }),
    startsAt: ts('starts_at').notNull(),
    endsAt: ts('ends_at').notNull(),
    during: tstzrange('during').generatedAlwaysAs(sql`tstzrange(starts_at, ends_at, '[)')`),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    index('resource_allocations_operation').on(t.operationId),
    check('resource_allocations_window', sql`ends_at > starts_at`),
    orgIsolation(),
  ],
).enableRLS();
