import { sql } from 'drizzle-orm';
import type { AppDb, Tx } from './client.ts';

/**
 * Runs `fn` in one transaction scoped to an org: the org id is set for row-level security and the
 * transaction switches to the non-superuser app role, so a query that forgets its org filter still
 * sees only this org's rows.
 */
export function inOrg<T>(db: AppDb, orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('app.org_id', ${orgId}, true), set_config('role', 'imsop_app', true)`);
    return fn(tx);
  });
}

/**
 * A transaction with the owner's rights, for the few use cases that must cross orgs before an org
 * is known (login by email, token and key lookup, bootstrap, platform administration).
 */
export function inSystem<T>(db: AppDb, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(fn);
}
