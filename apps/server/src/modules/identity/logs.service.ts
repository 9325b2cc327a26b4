import { and, desc, eq, gte, lt, lte, sql } from 'drizzle-orm';
import { can, reach } from '../../platform/access/ability.ts';
import type { Actor } from '../../platform/access/actor.ts';
import { auditLogs } from '../../platform/audit/audit.schema.ts';
import { inOrg } from '../../platform/db/scope.ts';
import { forbidden } from '../../platform/errors/app-error.ts';
import { decodeCursor, encodeCursor, pageOf } from '../../platform/db/pagination.ts';
import type { IdentityContext } from './identity.context.ts';
import { activityLogs } from './identity.schema.ts';

export interface AuditQuery {
  limit: number;
  cursor?: string | undefined;
  userId?: string | undefined;
  action?: string | undefined;
  entityType?: string | undefined;
  entityId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

const range = (col: typeof auditLogs.createdAt | typeof activityLogs.createdAt, from?: string, to?: string) => [
  from ? gte(col, new Date(from)) : undefined,
  to ? lte(col, new Date(to)) : undefined,
];

export function createLogsService(ctx: IdentityContext) {
  const { db } = ctx.deps;
  return {
    async audit(actor: Actor, q: AuditQuery) {
      if (!can(actor, 'audit:read')) throw forbidden();
      const cursor = decodeCursor(q.cursor, { value: 'number' });
      const rows = await inOrg(db, actor.orgId, (tx) =>
        tx
          .select()
          .from(auditLogs)
          .where(
            and(
              eq(auditLogs.orgId, actor.orgId),
              q.userId ? eq(auditLogs.actorId, q.userId) : undefined,
              q.action ? (q.action.endsWith('*') ? sql`${auditLogs.action} like ${`${q.action.slice(0, -1)}%`}` : eq(auditLogs.action, q.action)) : undefined,
              q.entityType ? eq(auditLogs.entityType, q.entityType) : undefined,
              q.entityId ? eq(auditLogs.entityId, q.entityId) : undefined,
              ...range(auditLogs.createdAt, q.from, q.to),
              cursor ? lt(auditLogs.seq, Number(cursor.value)) : undefined,
            ),
          )
          .orderBy(desc(auditLogs.seq))
          .limit(q.limit + 1),
      );
      const page = pageOf(rows, q.limit, (r) => encodeCursor(r.seq, r.id));
      return {
        data: page.data.map((r) => ({
          id: r.id,
          seq: r.seq,
          actorType: r.actorType,
          actorId: r.actorId,
          action: r.action,
          entityType: r.entityType,
          entityId: r.entityId,
          changes: r.changes,
          ip: r.ip,
          userAgent: r.userAgent,
          requestId: r.requestId,
          createdAt: r.createdAt.toISOString(),
          hash: r.hash,
        })),
        nextCursor: page.nextCursor,
      };
    },

    async activity(actor: Actor, q: Omit<AuditQuery, 'entityType' | 'entityId'>) {
      const scope = reach(actor, 'activity:read');
      if (!scope) throw forbidden();
      const cursor = decodeCursor(q.cursor, { value: 'timestamp' });
      const ownOnly = scope !== 'any';
      const rows = await inOrg(db, actor.orgId, (tx) =>
        tx
          .select()
          .from(activityLogs)
          .where(
            and(
              eq(activityLogs.orgId, actor.orgId),
              ownOnly ? eq(activityLogs.userId, actor.userId ?? '00000000-0000-0000-0000-000000000000') : undefined,
              q.userId ? eq(activityLogs.userId, q.userId) : undefined,
              q.action ? eq(activityLogs.action, q.action) : undefined,
              ...range(activityLogs.createdAt, q.from, q.to),
              // A row comparison, which the index scan starts from (an OR of the two cases is a filter on every row before it).
              cursor ? sql`(${activityLogs.createdAt}, ${activityLogs.id}) < (${String(cursor.value)}::timestamptz, ${cursor.id}::uuid)` : undefined,
            ),
          )
          .orderBy(desc(activityLogs.createdAt), desc(activityLogs.id))
          .limit(q.limit + 1),
      );
      const page = pageOf(rows, q.limit, (r) => encodeCursor(r.createdAt.toISOString(), r.id));
      return {
        data: page.data.map((r) => ({
          id: r.id,
          userId: r.userId,
          action: r.action,
          ip: r.ip,
          userAgent: r.userAgent,
          details: r.details,
          createdAt: r.createdAt.toISOString(),
        })),
        nextCursor: page.nextCursor,
      };
    },
  };
}
