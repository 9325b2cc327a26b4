import { bigint, index, jsonb, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, orgIsolation } from '../db/columns.ts';

/**
 * Append-only, hash-chained per org: `hash = sha256(prev_hash || canonical(record))`.
 * The app role may insert and read, never update or delete (see the grants migration).
 */
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: id(),
    orgId: orgId(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    actorType: text('actor_type').notNull(),
    actorId: uuid('actor_id'),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id'),
    changes: jsonb('changes').$type<AuditChanges | null>(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    createdAt: createdAt(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    unique('audit_logs_org_seq').on(t.orgId, t.seq),
    index('audit_logs_org_created').on(t.orgId, t.createdAt),
    index('audit_logs_org_entity').on(t.orgId, t.entityType, t.entityId),
    index('audit_logs_org_actor').on(t.orgId, t.actorId),
    orgIsolation(),
  ],
).enableRLS();

export type AuditChanges = { before?: Record<string, unknown>; after?: Record<string, unknown> } & Record<
  string,
  unknown
>;
