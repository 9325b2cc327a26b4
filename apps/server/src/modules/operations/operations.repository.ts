import { and, asc, desc, eq, getTableColumns, gte, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from '../../platform/db/client.ts';
import type { EventVisibility } from '../../platform/events/outbox.ts';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../../platform/db/pagination.ts';
import { operationAssignees, operations, operationTasks, resourceAllocations, resources } from './operations.schema.ts';

export type OperationRow = typeof operations.$inferSelect;

/** An operation's columns without its full-text vector (filtered on, never shown: 100+ characters a row to send and parse). */
const { search: _search, ...operationColumns } = getTableColumns(operations);
/** Each operation's assignees as a JSON array, in the same statement as the page. */
const assigneesColumn = sql<string[]>`coalesce((select json_agg(a.user_id order by a.user_id) from ${operationAssignees} a where a.operation_id = ${operations.id}), '[]')`;
export type TaskRow = typeof operationTasks.$inferSelect;
export type ResourceRow = typeof resources.$inferSelect;
export type AllocationRow = typeof resourceAllocations.$inferSelect;

export interface OperationView {
  id: string;
  name: string;
  description: string;
  status: OperationRow['status'];
  priority: OperationRow['priority'];
  type: string | null;
  location: { text: string | null; lat: number | null; lng: number | null };
  startAt: string | null;
  endAt: string | null;
  completedAt: string | null;
  createdBy: string | null;
  ownerId: string | null;
  assignees: string[];
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function toOperationView(o: Omit<OperationRow, 'search'>, assignees: string[]): OperationView {
  return {
    id: o.id,
    name: o.name,
    description: o.description,
    status: o.status,
    priority: o.priority,
    type: o.type,
    location: { text: o.location, lat: o.lat, lng: o.lng },
    startAt: iso(o.startAt),
    endAt: iso(o.endAt),
    completedAt: iso(o.completedAt),
    createdBy: o.createdBy,
    ownerId: o.ownerId,
    assignees,
    tags: o.tags,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

export async function assigneesOf(tx: Executor, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  const rows = await tx.select().from(operationAssignees).where(inArray(operationAssignees.operationId, ids));
  for (const r of rows) out.set(r.operationId, [...(out.get(r.operationId) ?? []), r.userId]);
  return out;
}

/** The read facts of these operations as they are now (the `current` rule of the operation topics). */
export async function operationFactsNow(tx: Executor, ids: string[]): Promise<Map<string, EventVisibility>> {
  const rows = await tx.select({ id: operations.id, ownerId: operations.ownerId, createdBy: operations.createdBy }).from(operations).where(inArray(operations.id, ids));
  const assignees = await assigneesOf(tx, rows.map((r) => r.id));
  return new Map(rows.map((r) => [r.id, { kind: 'operation', ownerId: r.ownerId, createdBy: r.createdBy, assignees: assignees.get(r.id) ?? [] }]));
}

export async function findOperation(tx: Executor, orgId: string, id: string) {
  const [o] = await tx
    .select()
    .from(operations)
    .where(and(eq(operations.orgId, orgId), eq(operations.id, id)));
  return o;
}

export interface OperationFilters {
  limit: number;
  cursor?: string | undefined;
  sort?: { field: 'createdAt' | 'startAt' | 'endAt' | 'name' | 'priority' | 'updatedAt'; desc: boolean };
  status?: string[] | undefined;
  priority?: string[] | undefined;
  ownerId?: string | undefined;
  assigneeId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  q?: string | undefined;
  bbox?: [number, number, number, number] | undefined;
  tag?: string | undefined;
  /** Only operations this user owns, created or is assigned to. */
  onlyFor?: string | undefined;
}

const PRIORITY_RANK = sql`(case ${operations.priority} when 'low' then 1 when 'medium' then 2 when 'high' then 3 else 4 end)`;

const isMember = (userId: string) => sql`exists (select 1 from ${operationAssignees} a where a.operation_id = ${operations.id} and a.user_id = ${userId})`;

/** Operations this user owns, created or is assigned to: the `own` read rule as SQL (canReadOperation). */
export function operationsOf(userId: string): SQL {
  return or(eq(operations.ownerId, userId), eq(operations.createdBy, userId), isMember(userId))!;
}

export async function listOperations(tx: Executor, orgId: string, f: OperationFilters): Promise<Page<OperationView>> {
  const sort = f.sort ?? { field: 'createdAt', desc: true };
  const col: SQL | AnyPgColumn =
    sort.field === 'priority'
      ? PRIORITY_RANK
      : { createdAt: operations.createdAt, startAt: operations.startAt, endAt: operations.endAt, name: operations.name, updatedAt: operations.updatedAt }[
          sort.field
        ];
  const timestamp = ['createdAt', 'startAt', 'endAt', 'updatedAt'].includes(sort.field);
  const nullable = sort.field === 'startAt' || sort.field === 'endAt';
  const cursor = decodeCursor(f.cursor, {
    value: sort.field === 'priority' ? 'number' : timestamp ? 'timestamp' : 'string',
    nullable,
  });
  const conds: (SQL | undefined)[] = [eq(operations.orgId, orgId)];
  if (f.status?.length) conds.push(inArray(operations.status, f.status as OperationRow['status'][]));
  if (f.priority?.length) conds.push(inArray(operations.priority, f.priority as OperationRow['priority'][]));
  if (f.ownerId) conds.push(eq(operations.ownerId, f.ownerId));
  if (f.assigneeId) conds.push(isMember(f.assigneeId));
  if (f.tag) conds.push(sql`${f.tag} = any(${operations.tags})`);
  // Date range: operations whose [start, end] overlaps [from, to] (open ends count as unbounded).
  if (f.from) conds.push(sql`coalesce(${operations.endAt}, ${operations.startAt}, ${operations.createdAt}) >= ${new Date(f.from)}`);
  if (f.to) conds.push(sql`coalesce(${operations.startAt}, ${operations.createdAt}) <= ${new Date(f.to)}`);
  if (f.q) conds.push(sql`${operations.search} @@ websearch_to_tsquery('simple', ${f.q})`);
  if (f.bbox) {
    const [west, south, east, north] = f.bbox;
    conds.push(and(gte(operations.lat, south), lte(operations.lat, north)));
    conds.push(west <= east ? and(gte(operations.lng, west), lte(operations.lng, east)) : or(gte(operations.lng, west), lte(operations.lng, east)));
  }
  if (f.onlyFor) conds.push(operationsOf(f.onlyFor));
  if (cursor) {
    const cmp = sort.desc ? sql`<` : sql`>`;
    const v = cursor.value;
    const value = v === null ? null : timestamp ? sql`${v}::timestamptz` : sql`${v}`;
    conds.push(
      value === null
        ? sql`(${col} is null and ${operations.id} ${cmp} ${cursor.id}::uuid)`
        : nullable
          ? sql`((${col}, ${operations.id}) ${cmp} (${value}, ${cursor.id}::uuid) or ${col} is null)`
          : sql`(${col}, ${operations.id}) ${cmp} (${value}, ${cursor.id}::uuid)`,
    );
  }
  // One statement (the page and each operation's assignees): the service reads it with readInOrg, one round trip.
  const rows = await tx
    .select({ ...operationColumns, assignees: assigneesColumn })
    .from(operations)
    .where(and(...conds))
    // "nulls last" only for the nullable dates: on NOT NULL columns it would stop index scans.
    .orderBy(nullable ? (sort.desc ? sql`${col} desc nulls last` : sql`${col} asc nulls last`) : sort.desc ? sql`${col} desc` : sql`${col} asc`, sort.desc ? desc(operations.id) : asc(operations.id))
    .limit(f.limit + 1);
  const page = pageOf(rows, f.limit, (o) => {
    const v =
      sort.field === 'priority'
        ? { low: 1, medium: 2, high: 3, critical: 4 }[o.priority]
        : (o[sort.field] as Date | string | null);
    return encodeCursor(v instanceof Date ? v.toISOString() : v, o.id);
  });
  return { data: page.data.map((o) => toOperationView(o, o.assignees)), nextCursor: page.nextCursor };
}
