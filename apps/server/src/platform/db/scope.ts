import { sql } from 'drizzle-orm';
import type { AppDb, Tx } from './client.ts';
import { transactorOf, type Prologue, type TransactionOptions } from './transactions.ts';

/** The org scope of a transaction: the org id for row-level security, and the non-superuser app role. */
const orgScope = (orgId: string): Prologue => ({
  text: `select set_config('app.org_id', $1, true), set_config('role', 'imsop_app', true)`,
  values: [orgId],
});

function transaction<T>(db: AppDb, prologue: Prologue | null, fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T> {
  const transactor = transactorOf(db);
  if (transactor) return transactor.transaction(prologue, fn, options);
  // A drizzle instance not opened by openDatabase: one statement after the other.
  return db.transaction(async (tx) => {
    if (prologue) await tx.execute(sql`select set_config('app.org_id', ${prologue.values[0]}, true), set_config('role', 'imsop_app', true)`);
    return fn(tx);
  });
}

/**
 * Runs `fn` in one transaction scoped to an org: the org id is set for row-level security and the
 * transaction switches to the non-superuser app role, so a query that forgets its org filter still
 * sees only this org's rows. (The scope is sent with `fn`'s first statement, not on its own: see
 * platform/db/transactions.ts.)
 */
export function inOrg<T>(db: AppDb, orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return transaction(db, orgScope(orgId), fn);
}

/**
 * `inOrg` for a read that is exactly one statement (a list page with everything it shows): on
 * PostgreSQL the whole transaction — BEGIN, the org scope, the statement, COMMIT — is one round trip.
 * A second statement fails (SecondStatementError); use `inOrg` for anything else.
 */
export function readInOrg<T>(db: AppDb, orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return transaction(db, orgScope(orgId), fn, { oneStatement: true });
}

/**
 * A transaction with the owner's rights, for the few use cases that must cross orgs before an org
 * is known (login by email, token and key lookup, bootstrap, platform administration).
 */
export function inSystem<T>(db: AppDb, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return transaction(db, null, fn);
}
