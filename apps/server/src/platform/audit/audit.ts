import crypto from 'node:crypto';
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { AppDb, Executor } from '../db/client.ts';
import { newId } from '../db/ids.ts';
import { trackingOf } from '../db/tracking.ts';
import { auditLogs, type AuditChanges } from './audit.schema.ts';

export interface AuditContext {
  orgId: string;
  actorType: 'user' | 'api_key' | 'system' | 'anonymous';
  actorId: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  /** Extra facts about the event that are not field changes (e.g. a security reason). */
  details?: Record<string, unknown>;
}

export const GENESIS_HASH = '0'.repeat(64);

/** Never stored: credentials of any kind. */
const SECRET = /pass(word)?|secret|token|hash|key$|^key|otp|recovery/i;
/**
 * Personal data of people (users, requesters) is stored only as a marker, so erasing a person never
 * requires rewriting the chain. Other entities' names (roles, orgs, devices) are kept.
 */
const PII = new Set(['email', 'name', 'phone']);
const PERSONAL_ENTITIES = new Set(['user', 'requester', 'contact']);
export const MASK = '***';

function clean(value: unknown, field: string, personal: boolean): unknown {
  if (personal && PII.has(field)) return value == null ? value : MASK;
  return value instanceof Date ? value.toISOString() : value;
}

/** The changed fields of before/after, with secrets dropped and personal data masked. */
export function diff(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
  personal = true,
): AuditChanges | null {
  if (!before && !after) return null;
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const k of keys) {
    if (SECRET.test(k)) continue;
    const bv = before?.[k];
    const av = after?.[k];
    if (before && after && canonical(bv) === canonical(av)) continue;
    if (before && k in before) b[k] = clean(bv, k, personal);
    if (after && k in after) a[k] = clean(av, k, personal);
  }
  const out: AuditChanges = {};
  if (before) out.before = b;
  if (after) out.after = a;
  return out;
}

/** JSON with sorted keys: the same value always hashes the same, whatever order jsonb returns. */
export function canonical(value: unknown): string {
  if (value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

interface Hashable {
  id: string;
  orgId: string;
  seq: number;
  actorType: string;
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string | null;
  changes: unknown;
  requestId: string | null;
  createdAt: Date;
  prevHash: string;
}

export function recordHash(r: Hashable): string {
  const body = canonical({
    id: r.id,
    orgId: r.orgId,
    seq: r.seq,
    actorType: r.actorType,
    actorId: r.actorId,
    action: r.action,
    entityType: r.entityType,
    entityId: r.entityId,
    changes: r.changes ?? null,
    requestId: r.requestId,
    createdAt: r.createdAt.toISOString(),
  });
  return crypto.createHash('sha256').update(r.prevHash).update('\n').update(body).digest('hex');
}

/** Appends one record to the org's chain inside the caller's transaction. */
export async function recordAudit(tx: Executor, ctx: AuditContext, entry: AuditEntry): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`audit:${ctx.orgId}`}, 0))`);
  const [last] = await tx
    .select({ seq: auditLogs.seq, hash: auditLogs.hash })
    .from(auditLogs)
    .where(eq(auditLogs.orgId, ctx.orgId))
    .orderBy(desc(auditLogs.seq))
    .limit(1);
  const changes = diff(entry.before, entry.after, PERSONAL_ENTITIES.has(entry.entityType));
  const details = entry.details ? Object.fromEntries(Object.entries(entry.details).filter(([k]) => !SECRET.test(k))) : null;
  const merged = details ? { ...(changes ?? {}), details } : changes;
  const row = {
    id: newId(),
    orgId: ctx.orgId,
    seq: (last?.seq ?? 0) + 1,
    actorType: ctx.actorType,
    actorId: ctx.actorId,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    changes: merged,
    requestId: ctx.requestId ?? null,
    createdAt: new Date(),
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  await tx.insert(auditLogs).values({
    ...row,
    // ip and user agent sit outside the hash, so erasure can clear them without breaking the chain.
    ip: ctx.ip ?? null,
    userAgent: ctx.userAgent ?? null,
    hash: recordHash(row),
  });
  const tracking = trackingOf(tx);
  if (tracking) tracking.audited = true;
}

export type VerifyResult =
  | { ok: true; orgs: number; records: number }
  | { ok: false; orgs: number; records: number; orgId: string; seq: number; id: string; reason: string };

/** Walks every org's chain in order; reports the first record whose link or content does not match. */
export async function verifyAuditChain(db: AppDb, orgIds: string[]): Promise<VerifyResult> {
  let records = 0;
  for (const orgId of orgIds) {
    let prev = GENESIS_HASH;
    let expectedSeq = 1;
    let after = 0;
    for (;;) {
      const page = await db
        .select()
        .from(auditLogs)
        .where(and(eq(auditLogs.orgId, orgId), gt(auditLogs.seq, after)))
        .orderBy(asc(auditLogs.seq))
        .limit(1000);
      if (page.length === 0) break;
      for (const r of page) {
        records++;
        const fail = (reason: string): VerifyResult => ({
          ok: false,
          orgs: orgIds.length,
          records,
          orgId,
          seq: r.seq,
          id: r.id,
          reason,
        });
        if (r.seq !== expectedSeq) return fail(`sequence gap: expected ${expectedSeq}`);
        if (r.prevHash !== prev) return fail('previous-hash link does not match the record before it');
        if (recordHash(r) !== r.hash) return fail('content does not match its hash (record altered)');
        prev = r.hash;
        expectedSeq++;
        after = r.seq;
      }
    }
  }
  return { ok: true, orgs: orgIds.length, records };
}
