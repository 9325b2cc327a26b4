import { eq, sql } from 'drizzle-orm';
import { can, reach, type AbilityHolder } from '../../platform/access/ability.ts';
import type { Actor } from '../../platform/access/actor.ts';
import type { AppDb, Tx } from '../../platform/db/client.ts';
import type { EventVisibility } from '../../platform/events/outbox.ts';
import type { UseCase } from '../../platform/module/use-case.ts';
import type { UserDirectory } from '../identity/index.ts';
import type { OperationsEvents } from './operations.events.ts';
import { inOrg, readInOrg } from '../../platform/db/scope.ts';
import { badRequest, conflict, forbidden, notFound } from '../../platform/errors/app-error.ts';
import type { Page } from '../../platform/db/pagination.ts';
import {
  assigneesOf,
  findOperation,
  listOperations,
  toOperationView,
  type OperationFilters,
  type OperationRow,
  type OperationView,
} from './operations.repository.ts';
import { operationAssignees, operations, type PRIORITIES } from './operations.schema.ts';
import { allowedMoves, canMove, isReopening, type OperationStatus } from './operations.transitions.ts';

export interface OperationInput {
  name: string;
  description?: string | undefined;
  priority?: (typeof PRIORITIES)[number] | undefined;
  type?: string | null | undefined;
  location?: { text?: string | null | undefined; lat?: number | null | undefined; lng?: number | null | undefined } | undefined;
  startAt?: string | null | undefined;
  endAt?: string | null | undefined;
  ownerId?: string | null | undefined;
  assignees?: string[] | undefined;
  tags?: string[] | undefined;
}

export type OperationPatch = Partial<OperationInput> & { status?: OperationStatus | undefined };

export interface OperationsDeps {
  db: AppDb;
  useCase: UseCase<OperationsEvents>;
  /** Checks that user ids belong to the org (the identity module owns users). */
  users: UserDirectory;
}

const subjectOf = (o: Pick<OperationRow, 'ownerId' | 'createdBy'>, assignees: string[], userId: string | null) => ({
  // "own" covers operations the actor owns, created or is assigned to.
  ownerId: userId && (o.ownerId === userId || o.createdBy === userId || assignees.includes(userId)) ? userId : o.ownerId,
  department: null,
});

/** What the operation read rule looks at; events carry it as their visibility. */
export interface OperationFacts {
  ownerId: string | null;
  createdBy: string | null;
  assignees: string[];
}

/** The read rule for one operation: REST reads and realtime events both ask this. */
export const canReadOperation = (actor: AbilityHolder, f: OperationFacts) => can(actor, 'operations:read', subjectOf(f, f.assignees, actor.userId));

/** The change rule for one operation and what hangs off it (fields, status, tasks, allocations). */
export const canUpdateOperation = (actor: AbilityHolder, f: OperationFacts) => can(actor, 'operations:update', subjectOf(f, f.assignees, actor.userId));

/** The facts an operation event carries, or null when the event is about no operation. */
export function operationFactsOf(v: EventVisibility | null): OperationFacts | null {
  if (v?.kind !== 'operation') return null;
  const str = (x: unknown) => (typeof x === 'string' ? x : null);
  return { ownerId: str(v.ownerId), createdBy: str(v.createdBy), assignees: Array.isArray(v.assignees) ? v.assignees : [] };
}

/** Where an operation's events go: the list topic and the operation's own, with its read facts. */
export const operationRoute = (view: OperationView) => ({
  topics: ['operations', `operation:${view.id}`],
  visibility: { kind: 'operation', ownerId: view.ownerId, createdBy: view.createdBy, assignees: view.assignees },
});

export function createOperationsService(deps: OperationsDeps) {
  const { db, useCase } = deps;

  async function checkUsers(actor: Actor, ids: (string | null | undefined)[]) {
    const wanted = [...new Set(ids.filter((x): x is string => !!x))];
    if (wanted.length === 0) return;
    const found = await deps.users(actor.orgId, wanted);
    const missing = wanted.filter((id) => !found.has(id));
    if (missing.length) {
      throw badRequest('unknown_user', `No such user in this organization: ${missing.join(', ')}.`, {
        errors: missing.map((m) => ({ path: 'assignees', message: `Unknown user ${m}` })),
      });
    }
  }

  /** Loads an operation the actor can see; other orgs' ids are simply not found. */
  async function visible(tx: Tx, actor: Actor, id: string) {
    const o = await findOperation(tx, actor.orgId, id);
    if (!o) throw notFound('Operation');
    const assignees = (await assigneesOf(tx, [id])).get(id) ?? [];
    if (!canReadOperation(actor, { ownerId: o.ownerId, createdBy: o.createdBy, assignees })) throw notFound('Operation');
    return { o, assignees };
  }

  /** Loads an operation the actor may change: 404 when it cannot read it, 403 when it can read but not change it. */
  async function changeable(tx: Tx, actor: Actor, id: string) {
    const v = await visible(tx, actor, id);
    if (!canUpdateOperation(actor, { ownerId: v.o.ownerId, createdBy: v.o.createdBy, assignees: v.assignees })) {
      throw forbidden('You may not edit this operation.');
    }
    return v;
  }

  function checkDates(startAt: Date | null, endAt: Date | null) {
    if (startAt && endAt && endAt < startAt) {
      throw badRequest('invalid_dates', 'endAt must not be before startAt.', { errors: [{ path: 'endAt', message: 'Before startAt' }] });
    }
  }

  const auditable = (v: OperationView) => ({
    name: v.name,
    description: v.description,
    status: v.status,
    priority: v.priority,
    type: v.type,
    location: v.location,
    startAt: v.startAt,
    endAt: v.endAt,
    ownerId: v.ownerId,
    assignees: [...v.assignees].sort(),
    tags: v.tags,
  });

  return {
    visible,
    changeable,

    async list(actor: Actor, f: OperationFilters): Promise<Page<OperationView>> {
      const scope = reach(actor, 'operations:read');
      if (!scope) throw forbidden();
      return readInOrg(db, actor.orgId, (tx) =>
        listOperations(tx, actor.orgId, { ...f, onlyFor: scope === 'any' ? undefined : (actor.userId ?? '00000000-0000-0000-0000-000000000000') }),
      );
    },

    async get(actor: Actor, id: string): Promise<OperationView> {
      return inOrg(db, actor.orgId, async (tx) => {
        const { o, assignees } = await visible(tx, actor, id);
        return toOperationView(o, assignees);
      });
    },

    async create(actor: Actor, input: OperationInput): Promise<OperationView> {
      if (!can(actor, 'operations:create')) throw forbidden();
      const startAt = input.startAt ? new Date(input.startAt) : null;
      const endAt = input.endAt ? new Date(input.endAt) : null;
      checkDates(startAt, endAt);
      const ownerId = input.ownerId === undefined ? actor.userId : input.ownerId;
      await checkUsers(actor, [ownerId, ...(input.assignees ?? [])]);
      return useCase(actor, async ({ tx, audit, emit }) => {
        const [o] = await tx
          .insert(operations)
          .values({
            orgId: actor.orgId,
            name: input.name,
            description: input.description ?? '',
            priority: input.priority ?? 'medium',
            type: input.type ?? null,
            location: input.location?.text ?? null,
            lat: input.location?.lat ?? null,
            lng: input.location?.lng ?? null,
            startAt,
            endAt,
            createdBy: actor.userId,
            ownerId,
            tags: [...new Set(input.tags ?? [])],
          })
          .returning();
        const assignees = [...new Set(input.assignees ?? [])];
        if (assignees.length) {
          await tx.insert(operationAssignees).values(assignees.map((userId) => ({ orgId: actor.orgId, operationId: o!.id, userId })));
        }
        const view = toOperationView(o!, assignees);
        await audit({ action: 'operation.create', entityType: 'operation', entityId: o!.id, after: auditable(view) });
        emit('operation.created', { operation: view }, operationRoute(view));
        return view;
      });
    },

    async update(actor: Actor, id: string, patch: OperationPatch): Promise<OperationView> {
      if (patch.assignees || patch.ownerId) await checkUsers(actor, [patch.ownerId, ...(patch.assignees ?? [])]);
      return useCase(actor, async ({ tx, audit, emit }) => {
        const { o, assignees } = await visible(tx, actor, id);
        // Lock the row: concurrent moves see each other's result, so the transition table holds.
        await tx.execute(sql`select 1 from ${operations} where ${operations.id} = ${id} for update`);
        const current = (await findOperation(tx, actor.orgId, id))!;
        const before = toOperationView(current, assignees);
        if (!canUpdateOperation(actor, { ownerId: o.ownerId, createdBy: o.createdBy, assignees })) throw forbidden('You may not edit this operation.');
        const set: Partial<typeof operations.$inferInsert> = {};
        if (patch.status && patch.status !== current.status) {
          if (!canMove(current.status, patch.status)) {
            throw conflict('illegal_transition', `An operation cannot move from ${current.status} to ${patch.status}.`, {
              from: current.status,
              to: patch.status,
              allowed: allowedMoves(current.status),
            });
          }
          if (isReopening(current.status) && !can(actor, 'operations:reopen')) {
            throw forbidden('Reopening a finished operation needs the "operations:reopen" permission.');
          }
          set.status = patch.status;
          set.completedAt = patch.status === 'completed' ? new Date() : null;
        }
        if (patch.name !== undefined) set.name = patch.name;
        if (patch.description !== undefined) set.description = patch.description;
        if (patch.priority !== undefined) set.priority = patch.priority;
        if (patch.type !== undefined) set.type = patch.type;
        if (patch.location !== undefined) {
          if (patch.location.text !== undefined) set.location = patch.location.text;
          if (patch.location.lat !== undefined) set.lat = patch.location.lat;
          if (patch.location.lng !== undefined) set.lng = patch.location.lng;
        }
        if (patch.startAt !== undefined) set.startAt = patch.startAt ? new Date(patch.startAt) : null;
        if (patch.endAt !== undefined) set.endAt = patch.endAt ? new Date(patch.endAt) : null;
        if (patch.ownerId !== undefined) set.ownerId = patch.ownerId;
        if (patch.tags !== undefined) set.tags = [...new Set(patch.tags)];
        checkDates(set.startAt !== undefined ? set.startAt : current.startAt, set.endAt !== undefined ? set.endAt : current.endAt);
        const [after] = Object.keys(set).length ? await tx.update(operations).set(set).where(eq(operations.id, id)).returning() : [current];
        let nextAssignees = assignees;
        if (patch.assignees) {
          nextAssignees = [...new Set(patch.assignees)];
          await tx.delete(operationAssignees).where(eq(operationAssignees.operationId, id));
          if (nextAssignees.length) {
            await tx.insert(operationAssignees).values(nextAssignees.map((userId) => ({ orgId: actor.orgId, operationId: id, userId })));
          }
        }
        const view = toOperationView(after!, nextAssignees);
        const statusChanged = before.status !== view.status;
        await audit({
          action: statusChanged ? 'operation.status_change' : 'operation.update',
          entityType: 'operation',
          entityId: id,
          before: auditable(before),
          after: auditable(view),
        });
        if (statusChanged) emit('operation.status_changed', { operation: view, from: before.status }, operationRoute(view));
        else emit('operation.updated', { operation: view }, operationRoute(view));
        return view;
      });
    },

    async remove(actor: Actor, id: string) {
      await useCase(actor, async ({ tx, audit, emit }) => {
        const { o, assignees } = await visible(tx, actor, id);
        if (!can(actor, 'operations:delete', subjectOf(o, assignees, actor.userId))) throw forbidden();
        const view = toOperationView(o, assignees);
        await tx.delete(operations).where(eq(operations.id, id));
        await audit({ action: 'operation.delete', entityType: 'operation', entityId: id, before: auditable(view) });
        emit('operation.deleted', { operation: view }, operationRoute(view));
      });
    },

    /** Whether the operation belongs to the org (for other modules validating references). */
    async existsInOrg(orgId: string, id: string): Promise<boolean> {
      return inOrg(db, orgId, async (tx) => !!(await findOperation(tx, orgId, id)));
    },

    /** Whether the actor can see this operation (topic checks). */
    async exists(actor: Actor, id: string): Promise<boolean> {
      try {
        await this.get(actor, id);
        return true;
      } catch {
        return false;
      }
    },
  };
}

export type OperationsService = ReturnType<typeof createOperationsService>;

