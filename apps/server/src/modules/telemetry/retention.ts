import { sql } from 'drizzle-orm';
import type { AppDb } from '../../platform/db/client.ts';
import { inSystem } from '../../platform/db/scope.ts';

/** Defaults when an org sets nothing in `settings.telemetry`. */
export const RETENTION_DEFAULTS = { rawDays: 30, minuteDays: 90, hourDays: 730 };

const monthStart = (d: Date, add = 0) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + add, 1));

/**
 * Creates monthly partitions of telemetry_points for this month and the next two. A month whose
 * rows already sit in the default partition is left there (creating it would fail); nothing is lost.
 */
export async function ensurePartitions(db: AppDb, now = new Date()) {
  for (let i = 0; i < 3; i++) {
    const from = monthStart(now, i);
    const to = monthStart(now, i + 1);
    const name = `telemetry_points_${from.getUTCFullYear()}${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
    await inSystem(db, (tx) =>
      tx.execute(
        sql.raw(
          `create table if not exists ${name} partition of telemetry_points for values from ('${from.toISOString()}') to ('${to.toISOString()}')`,
        ),
      ),
    ).catch(() => undefined);
  }
}

/** Per-org retention from `organizations.settings.telemetry` ({rawDays, minuteDays, hourDays}). */
export async function applyRetention(db: AppDb, now = Date.now()) {
  await inSystem(db, async (tx) => {
    const orgs = (await tx.execute(sql`select id, settings -> 'telemetry' as t from organizations`)) as unknown as {
      rows: { id: string; t: Partial<typeof RETENTION_DEFAULTS> | null }[];
    };
    for (const o of orgs.rows) {
      const r = { ...RETENTION_DEFAULTS, ...(o.t ?? {}) };
      const cut = (days: number) => new Date(now - days * 86_400_000);
      await tx.execute(sql`delete from telemetry_points where org_id = ${o.id} and ts < ${cut(r.rawDays)}`);
      await tx.execute(sql`delete from telemetry_rollup_1m where org_id = ${o.id} and bucket < ${cut(r.minuteDays)}`);
      await tx.execute(sql`delete from telemetry_rollup_1h where org_id = ${o.id} and bucket < ${cut(r.hourDays)}`);
    }
  });
}
