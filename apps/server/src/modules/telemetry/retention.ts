import { sql } from 'drizzle-orm';
import type { AppDb } from '../../platform/db/client.ts';
import { inSystem } from '../../platform/db/scope.ts';
import type { OrgTelemetrySettings } from '../identity/index.ts';

/** Defaults when an org sets nothing in `settings.telemetry`. */
export const RETENTION_DEFAULTS = { rawDays: 30, minuteDays: 90, hourDays: 730 };
export type Retention = typeof RETENTION_DEFAULTS;

/** An org's retention from its `settings.telemetry`: each value that is a whole number of days ≥ 1, else the default. */
export function effectiveRetention(stored: unknown): Retention {
  const s = stored !== null && typeof stored === 'object' ? (stored as Record<string, unknown>) : {};
  const pick = (k: keyof Retention) => {
    const v = s[k];
    return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : RETENTION_DEFAULTS[k];
  };
  return { rawDays: pick('rawDays'), minuteDays: pick('minuteDays'), hourDays: pick('hourDays') };
}

/** The retention applied to one org (its settings read by identity, inside the org's own scope). */
export async function retentionOf(settings: OrgTelemetrySettings, orgId: string): Promise<Retention> {
  return effectiveRetention(await settings.of(orgId));
}

const monthStart = (d: Date, add = 0) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + add, 1));

/**
 * Creates monthly partitions of telemetry_points for this month and the next two. A month whose
 * rows already sit in the default partition is left there (creating it would fail); nothing is lost.
 *
 * Row-level security is not inherited by partitions, and the app role may read them directly, so
 * each partition gets RLS and the parent's org policy in the transaction that creates it
 * (`imsop_secure_partitions()`, see the migration): no partition is ever visible without them. A
 * last pass secures any partition made some other way (by hand, by an older instance).
 */
export async function ensurePartitions(db: AppDb, now = new Date()) {
  for (let i = 0; i < 3; i++) {
    const from = monthStart(now, i);
    const to = monthStart(now, i + 1);
    const name = `telemetry_points_${from.getUTCFullYear()}${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
    await inSystem(db, async (tx) => {
      await tx.execute(
        sql.raw(
          `create table if not exists ${name} partition of telemetry_points for values from ('${from.toISOString()}') to ('${to.toISOString()}')`,
        ),
      );
      await tx.execute(sql`select imsop_secure_partitions()`);
    }).catch(() => undefined);
  }
  await inSystem(db, (tx) => tx.execute(sql`select imsop_secure_partitions()`));
}

/** Per-org retention from each org's telemetry settings ({rawDays, minuteDays, hourDays}), read through identity's port. */
export async function applyRetention(db: AppDb, settings: OrgTelemetrySettings, now = Date.now()) {
  await inSystem(db, async (tx) => {
    for (const o of await settings.all(tx)) {
      const r = effectiveRetention(o.telemetry);
      const cut = (days: number) => new Date(now - days * 86_400_000);
      await tx.execute(sql`delete from telemetry_points where org_id = ${o.orgId} and ts < ${cut(r.rawDays)}`);
      await tx.execute(sql`delete from telemetry_rollup_1m where org_id = ${o.orgId} and bucket < ${cut(r.minuteDays)}`);
      await tx.execute(sql`delete from telemetry_rollup_1h where org_id = ${o.orgId} and bucket < ${cut(r.hourDays)}`);
    }
  });
}
