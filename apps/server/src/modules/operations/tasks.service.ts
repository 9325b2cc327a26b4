import { and, eq, sql } from 'drizzle-orm';
import type { Actor } from '../../platform/access/actor.ts';
import { badRequest, forbidden, notFound } from '../../platform/errors/app-error.ts';
import { keyset, mapPage, type PageRequest } from '../../platform/db/pagination.ts';
import { inOrg } from '../../platform/db/scope.ts';
import { canUpdateOperation, type OperationsDeps, type OperationsService } from './operations.service.ts';
import { operationTasks, type TASK_STATUSES } from './operations.schema.ts';
import type { TaskRow } from './operations.repository.ts';

export interface TaskInput {
  title: string;
  assigneeId?: string | null | undefined;
  dueAt?: string | null | undefined;
  status?: (typeof TASK_STATUSES)[number] | undefined;
  checklist?: { text: string; done: boolean }[] | undefined;
  position?: number | undefined;
}

/** What a task's assignee may change without operations:update on the operation. */
const ASSIGNEE_FIELDS: ReadonlySet<string> = new Set(['status', 'checklist'] satisfies (keyof TaskInput)[]);

export const toTaskView = (t: TaskRow) => ({
  id: t.id,
  operationId: t.operationId,
  title: t.title,
  assigneeId: t.assigneeId,
  dueAt: t.dueAt?.toISOString() ?? null,
  status: t.status,
  checklist: t.checklist,
  position: t.position,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

export function createTasksService(deps: OperationsDeps, ops: OperationsService) {
  async function checkAssignee(actor: Actor, id: string | null | undefined) {
    if (!id) return;
    const found = await deps.users(actor.orgId, [id]);
    if (!found.has(id)) {
      throw badRequest('unknown_user', `No such user in this organization: ${id}.`, { errors: [{ path: 'assigneeId', message: 'Unknown user' }] });
    }
  }

  const editable = (actor: Actor, o: { ownerId: string | null; createdBy: string | null }, assignees: string[]) =>
    canUpdateOperation(actor, { ownerId: o.ownerId, createdBy: o.createdBy, assignees });

  /** A task's events ride on its operation's topic (and its read check). */
  const taskRoute = (operationId: string) => ({ topics: [`operation:${operationId}`] });

  return {
    /** An operation's tasks in their order (position, then id: creation order), a page at a time. */
    async list(actor: Actor, operationId: string, q: PageRequest) {
      const page = keyset(q, { column: operationTasks.position, id: operationTasks.id, value: 'number', of: (t: TaskRow) => t.position });
      return inOrg(deps.db, actor.orgId, async (tx) => {
        await ops.visible(tx, actor, operationId);
        const rows = await tx
          .select()
          .from(operationTasks)
          .where(and(eq(operationTasks.orgId, actor.orgId), eq(operationTasks.operationId, operationId), page.after))
          .orderBy(...page.orderBy)
          .limit(page.limit);
        return mapPage(page.page(rows), toTaskView);
      });
    },

    async create(actor: Actor, operationId: string, input: TaskInput) {
      await checkAssignee(actor, input.assigneeId);
      return deps.useCase(actor, async ({ tx, audit, emit }) => {
        const { o, assignees } = await ops.visible(tx, actor, operationId);
        if (!editable(actor, o, assignees)) throw forbidden('You may not edit this operation.');
        const [{ next } = { next: 0 }] = await tx
          .select({ next: sql<number>`coalesce(max(${operationTasks.position}) + 1, 0)::int` })
          .from(operationTasks)
          .where(eq(operationTasks.operationId, operationId));
        const [t] = await tx
          .insert(operationTasks)
          .values({
            orgId: actor.orgId,
            operationId,
            title: input.title,
            assigneeId: input.assigneeId ?? null,
            dueAt: input.dueAt ? new Date(input.dueAt) : null,
            status: input.status ?? 'todo',
            checklist: input.checklist ?? [],
            position: input.position ?? next,
          })
          .returning();
        const view = toTaskView(t!);
        await audit({ action: 'task.create', entityType: 'task', entityId: t!.id, after: { ...view, operationId } });
        emit('task.created', { task: view }, taskRoute(operationId));
        return view;
      });
    },

    async update(actor: Actor, operationId: string, taskId: string, patch: Partial<TaskInput>) {
      if (patch.assigneeId) await checkAssignee(actor, patch.assigneeId);
      return deps.useCase(actor, async ({ tx, audit, emit }) => {
        const { o, assignees } = await ops.visible(tx, actor, operationId);
        const [before] = await tx
          .select()
          .from(operationTasks)
          .where(and(eq(operationTasks.operationId, operationId), eq(operationTasks.id, taskId)));
        if (!before) throw notFound('Task');
        if (!editable(actor, o, assignees)) {
          // The task's own assignee may work it (status, checklist) without rights on the whole
          // operation, but not rename, reschedule, reorder or hand it on.
          if (!(actor.userId && before.assigneeId === actor.userId)) throw forbidden();
          const others = Object.entries(patch)
            .filter(([k, v]) => v !== undefined && !ASSIGNEE_FIELDS.has(k))
            .map(([k]) => k);
          if (others.length) {
            throw forbidden(`As the task's assignee you may change only its status and checklist, not ${others.join(', ')}.`);
          }
        }
        const set: Partial<typeof operationTasks.$inferInsert> = {};
        if (patch.title !== undefined) set.title = patch.title;
        if (patch.assigneeId !== undefined) set.assigneeId = patch.assigneeId;
        if (patch.dueAt !== undefined) set.dueAt = patch.dueAt ? new Date(patch.dueAt) : null;
        if (patch.status !== undefined) set.status = patch.status;
        if (patch.checklist !== undefined) set.checklist = patch.checklist;
        if (patch.position !== undefined) set.position = patch.position;
        const [after] = await tx.update(operationTasks).set(set).where(eq(operationTasks.id, taskId)).returning();
        const view = toTaskView(after!);
        await audit({
          action: 'task.update',
          entityType: 'task',
          entityId: taskId,
          before: toTaskView(before),
          after: view,
        });
        emit('task.updated', { task: view }, taskRoute(operationId));
        return view;
      });
    },

    async remove(actor: Actor, operationId: string, taskId: string) {
      await deps.useCase(actor, async ({ tx, audit, emit }) => {
        const { o, assignees } = await ops.visible(tx, actor, operationId);
        if (!editable(actor, o, assignees)) throw forbidden();
        const [gone] = await tx
          .delete(operationTasks)
          .where(and(eq(operationTasks.operationId, operationId), eq(operationTasks.id, taskId)))
          .returning();
        if (!gone) throw notFound('Task');
        const view = toTaskView(gone);
        await audit({ action: 'task.delete', entityType: 'task', entityId: taskId, before: view });
        emit('task.deleted', { task: view }, taskRoute(operationId));
      });
    },
  };
}
