import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { can, reach } from '../../platform/access/ability.ts';
import type { Actor } from '../../platform/access/actor.ts';
import { keyset, mapPage, type PageRequest } from '../../platform/db/pagination.ts';
import { inOrg } from '../../platform/db/scope.ts';
import { badRequest, conflict, forbidden, notFound } from '../../platform/errors/app-error.ts';
import { canReadOperation, type OperationsDeps, type OperationsService } from './operations.service.ts';
import { assigneesOf, operationsOf, type AllocationRow, type ResourceRow } from './operations.repository.ts';
import { operations, resourceAllocations, resources, type RESOURCE_KINDS } from './operations.schema.ts';

export const toResourceView = (r: ResourceRow) => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  metadata: r.metadata,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export const toAllocationView = (a: AllocationRow) => ({
  id: a.id,
  resourceId: a.resourceId,
  operationId: a.operationId,
  startsAt: a.startsAt.toISOString(),
  endsAt: a.endsAt.toISOString(),
  createdBy: a.createdBy,
  createdAt: a.createdAt.toISOString(),
});

const isExclusionViolation = (err: unknown) => {
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  return code === '23P01';
};

export function createResourcesService(deps: OperationsDeps, ops: OperationsService) {
  const { db } = deps;
  return {
    /** Resources by name (all, or of one kind), a page at a time. */
    async list(actor: Actor, q: PageRequest & { kind?: (typeof RESOURCE_KINDS)[number] | undefined }) {
      if (!can(actor, 'resources:read')) throw forbidden();
      const page = keyset(q, { column: resources.name, id: resources.id, value: 'string', of: (r: ResourceRow) => r.name });
      const rows = await inOrg(db, actor.orgId, (tx) =>
        tx
          .select()
          .from(resources)
          .where(and(eq(resources.orgId, actor.orgId), q.kind ? eq(resources.kind, q.kind) : undefined, page.after))
          .orderBy(...page.orderBy)
          .limit(page.limit),
      );
      return mapPage(page.page(rows), toResourceView);
    },

    async create(actor: Actor, input: { name: string; kind: (typeof RESOURCE_KINDS)[number]; metadata?: Record<string, unknown> | undefined }) {
      if (!can(actor, 'resources:manage')) throw forbidden();
      return deps.useCase(actor, async ({ tx, audit }) => {
        const [r] = await tx.insert(resources).values({ orgId: actor.orgId, name: input.name, kind: input.kind, metadata: input.metadata ?? {} }).returning();
        const view = toResourceView(r!);
        await audit({ action: 'resource.create', entityType: 'resource', entityId: r!.id, after: view });
        return view;
      });
    },

    async update(actor: Actor, id: string, patch: { name?: string | undefined; metadata?: Record<string, unknown> | undefined }) {
      if (!can(actor, 'resources:manage')) throw forbidden();
      return deps.useCase(actor, async ({ tx, audit }) => {
        const [before] = await tx.select().from(resources).where(and(eq(resources.orgId, actor.orgId), eq(resources.id, id)));
        if (!before) throw notFound('Resource');
        const [after] = await tx.update(resources).set(patch).where(eq(resources.id, id)).returning();
        await audit({
          action: 'resource.update',
          entityType: 'resource',
          entityId: id,
          before: toResourceView(before),
          after: toResourceView(after!),
        });
        return toResourceView(after!);
      });
    },

    async remove(actor: Actor, id: string) {
      if (!can(actor, 'resources:manage')) throw forbidden();
      await deps.useCase(actor, async ({ tx, audit }) => {
        const [gone] = await tx.delete(resources).where(and(eq(resources.orgId, actor.orgId), eq(resources.id, id))).returning();
        if (!gone) throw notFound('Resource');
        await audit({ action: 'resource.delete', entityType: 'resource', entityId: id, before: toResourceView(gone) });
      });
    },

    /**
     * Allocations the actor may see: only those of operations it can read (the operation read rule,
     * canReadOperation). A resource's calendar leaves out-of-reach bookings out; booking over one
     * still answers 409, without naming its operation.
     */
    async allocations(actor: Actor, filter: { operationId?: string; resourceId?: string; from?: string; to?: string }) {
      if (!can(actor, 'operations:read')) throw forbidden();
      return inOrg(db, actor.orgId, async (tx) => {
        if (filter.operationId) await ops.visible(tx, actor, filter.operationId);
        if (filter.resourceId) {
          const [r] = await tx.select({ id: resources.id }).from(resources).where(and(eq(resources.orgId, actor.orgId), eq(resources.id, filter.resourceId)));
          if (!r) throw notFound('Resource');
        }
        const rows = await tx
          .select({ a: resourceAllocations, ownerId: operations.ownerId, createdBy: operations.createdBy })
          .from(resourceAllocations)
          .innerJoin(operations, eq(operations.id, resourceAllocations.operationId))
          .where(
            and(
              eq(resourceAllocations.orgId, actor.orgId),
              filter.operationId ? eq(resourceAllocations.operationId, filter.operationId) : undefined,
              filter.resourceId ? eq(resourceAllocations.resourceId, filter.resourceId) : undefined,
              filter.from ? gt(resourceAllocations.endsAt, new Date(filter.from)) : undefined,
              filter.to ? lt(resourceAllocations.startsAt, new Date(filter.to)) : undefined,
            ),
          )
          .orderBy(asc(resourceAllocations.startsAt));
        const assignees = await assigneesOf(tx, [...new Set(rows.map((r) => r.a.operationId))]);
        return rows
          .filter((r) => canReadOperation(actor, { ownerId: r.ownerId, createdBy: r.createdBy, assignees: assignees.get(r.a.operationId) ?? [] }))
          .map((r) => toAllocationView(r.a));
      });
    },

    /**
     * Books a resource for an operation over [startsAt, endsAt). The exclusion constraint refuses an
     * overlap even under concurrent requests; the answer is 409 with the conflicting booking.
     */
    async allocate(actor: Actor, operationId: string, input: { resourceId: string; startsAt: string; endsAt: string }) {
      const startsAt = new Date(input.startsAt);
      const endsAt = new Date(input.endsAt);
      if (!(endsAt > startsAt)) {
        throw badRequest('invalid_window', 'endsAt must be after startsAt.', { errors: [{ path: 'endsAt', message: 'Must be after startsAt' }] });
      }
      try {
        return await deps.useCase(actor, async ({ tx, audit, emit }) => {
          await ops.changeable(tx, actor, operationId);
          const [r] = await tx.select().from(resources).where(and(eq(resources.orgId, actor.orgId), eq(resources.id, input.resourceId)));
          if (!r) throw notFound('Resource');
          const [a] = await tx
            .insert(resourceAllocations)
            .values({ orgId: actor.orgId, resourceId: r.id, operationId, startsAt, endsAt, createdBy: actor.userId })
            .returning();
          const view = toAllocationView(a!);
          await audit({ action: 'allocation.create', entityType: 'allocation', entityId: a!.id, after: view });
          emit('allocation.created', { allocation: view }, { topics: [`operation:${operationId}`] });
          return view;
        });
      } catch (err) {
        if (!isExclusionViolation(err)) throw err;
        const clash = await inOrg(db, actor.orgId, async (tx) => {
          const [c] = await tx
            .select({ a: resourceAllocations, ownerId: operations.ownerId, createdBy: operations.createdBy })
            .from(resourceAllocations)
            .innerJoin(operations, eq(operations.id, resourceAllocations.operationId))
            .where(
              and(
                eq(resourceAllocations.orgId, actor.orgId),
                eq(resourceAllocations.resourceId, input.resourceId),
                lt(resourceAllocations.startsAt, endsAt),
                gt(resourceAllocations.endsAt, startsAt),
              ),
            )
            .limit(1);
          if (!c) return null;
          const assignees = (await assigneesOf(tx, [c.a.operationId])).get(c.a.operationId) ?? [];
          // A booking of an operation out of the actor's reach is told as its window only.
          return canReadOperation(actor, { ownerId: c.ownerId, createdBy: c.createdBy, assignees })
            ? toAllocationView(c.a)
            : { resourceId: c.a.resourceId, startsAt: c.a.startsAt.toISOString(), endsAt: c.a.endsAt.toISOString() };
        });
        throw conflict('resource_double_booked', 'This resource is already allocated for an overlapping time window.', { conflictsWith: clash });
      }
    },

    async deallocate(actor: Actor, operationId: string, allocationId: string) {
      await deps.useCase(actor, async ({ tx, audit, emit }) => {
        await ops.changeable(tx, actor, operationId);
        const [gone] = await tx
          .delete(resourceAllocations)
          .where(and(eq(resourceAllocations.operationId, operationId), eq(resourceAllocations.id, allocationId)))
          .returning();
        if (!gone) throw notFound('Allocation');
        const view = toAllocationView(gone);
        await audit({ action: 'allocation.delete', entityType: 'allocation', entityId: allocationId, before: view });
        emit('allocation.deleted', { allocation: view }, { topics: [`operation:${operationId}`] });
      });
    },

    /** Counts by status, on-time completion, mean time to complete, overdue, and resource utilisation. */
    async kpis(actor: Actor, window: { from: Date; to: Date }) {
      if (!can(actor, 'operations:read')) throw forbidden();
      // An empty or reversed window has no utilisation to speak of (0 / 0 is not a number).
      if (!(window.to > window.from)) {
        throw badRequest('invalid_window', 'to must be after from.', { errors: [{ path: 'to', message: 'Must be after from' }] });
      }
      // The figures cover the operations the actor can read: all of them, or (own) their own.
      const mine = reach(actor, 'operations:read') === 'any' ? undefined : operationsOf(actor.userId ?? '00000000-0000-0000-0000-000000000000');
      return inOrg(db, actor.orgId, async (tx) => {
        const byStatus = await tx
          .select({ status: operations.status, n: sql<number>`count(*)::int` })
          .from(operations)
          .where(and(eq(operations.orgId, actor.orgId), mine))
          .groupBy(operations.status);
        const [done] = await tx
          .select({
            completed: sql<number>`count(*)::int`,
            onTime: sql<number>`count(*) filter (where ${operations.endAt} is null or ${operations.completedAt} <= ${operations.endAt})::int`,
            meanSeconds: sql<number | null>`avg(extract(epoch from ${operations.completedAt} - coalesce(${operations.startAt}, ${operations.createdAt})))::float8`,
          })
          .from(operations)
          .where(
            and(
              eq(operations.orgId, actor.orgId),
              mine,
              eq(operations.status, 'completed'),
              sql`${operations.completedAt} >= ${window.from} and ${operations.completedAt} < ${window.to}`,
            ),
          );
        const [overdue] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(operations)
          .where(and(eq(operations.orgId, actor.orgId), mine, sql`${operations.status} in ('pending', 'in_progress') and ${operations.endAt} < now()`));
        const [util] = await tx
          .select({
            resources: sql<number>`(select count(*) from ${resources} where ${resources.orgId} = ${actor.orgId})::int`,
            bookedSeconds: sql<number>`coalesce(sum(extract(epoch from least(${resourceAllocations.endsAt}, ${window.to}) - greatest(${resourceAllocations.startsAt}, ${window.from}))), 0)::float8`,
          })
          .from(resourceAllocations)
          .where(
            and(
              eq(resourceAllocations.orgId, actor.orgId),
              lt(resourceAllocations.startsAt, window.to),
              gt(resourceAllocations.endsAt, window.from),
              mine ? inArray(resourceAllocations.operationId, tx.select({ id: operations.id }).from(operations).where(mine)) : undefined,
            ),
          );
        const windowSeconds = (window.to.getTime() - window.from.getTime()) / 1000;
        const counts = Object.fromEntries(['pending', 'in_progress', 'completed', 'failed'].map((s) => [s, byStatus.find((b) => b.status === s)?.n ?? 0]));
        return {
          window: { from: window.from.toISOString(), to: window.to.toISOString() },
          byStatus: counts as Record<'pending' | 'in_progress' | 'completed' | 'failed', number>,
          total: Object.values(counts).reduce((a, b) => a + b, 0),
          completedInWindow: done?.completed ?? 0,
          onTimeRate: done && done.completed > 0 ? done.onTime / done.completed : null,
          meanTimeToCompleteSeconds: done?.meanSeconds ?? null,
          overdue: overdue?.n ?? 0,
          resourceUtilisation: util && util.resources > 0 ? util.bookedSeconds / (util.resources * windowSeconds) : null,
        };
      });
    },
  };
}

export type ResourcesService = ReturnType<typeof createResourcesService>;
