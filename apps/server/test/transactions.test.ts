/**
 * The org-scoped transactions of platform/db/scope.ts, as platform/db/transactions.ts runs them:
 * on PostgreSQL BEGIN and the org scope travel with the first statement (pipelined) and a
 * one-statement read commits in the same round trip; on PGlite the scope is one simple query. What
 * must not change: every statement runs scoped and as the app role, a failure rolls everything back,
 * the connection comes back clean, and a read that runs a second statement is refused.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inOrg, inSystem, readInOrg } from '../src/platform/db/scope.ts';
import { SecondStatementError } from '../src/platform/db/transactions.ts';
import { createOrg, createTestApp, type TestApp } from './helpers.ts';

let t: TestApp;
let A: string;
let B: string;
const rowsOf = <T = Record<string, unknown>>(r: unknown) => (r as { rows: T[] }).rows;
const one = async <T>(p: Promise<unknown>) => rowsOf<T>(await p)[0]!;
/** The error a promise rejects with, unwrapped from Drizzle's "Failed query" wrapper. */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    return (cause instanceof Error ? cause : err) as Error;
  }
  throw new Error('expected the transaction to fail');
}

beforeAll(async () => {
  t = await createTestApp();
  A = (await createOrg(t)).orgId;
  B = (await createOrg(t)).orgId;
});
afterAll(async () => t?.close());

const roleCount = async (orgId: string, name: string) =>
  Number((await one<{ n: number }>(t.database.db.execute(sql`select count(*)::int as n from roles where org_id = ${orgId} and name = ${name}`))).n);

/** Outside any transaction: no org scope, the owner's role, no transaction left open on a connection. */
async function expectCleanConnections() {
  const outside = () =>
    one<{ org: string | null; me: string; xid: string }>(
      t.database.db.execute(sql`select nullif(current_setting('app.org_id', true), '') as org, current_user as me, txid_current()::text as xid`),
    );
  // More statements at once than the pool has connections, so each connection is seen.
  for (const s of await Promise.all(Array.from({ length: 12 }, outside))) {
    expect(s.org).toBeNull();
    expect(s.me).not.toBe('imsop_app');
  }
  if (t.database.kind === 'postgres') {
    const open = await one<{ n: number }>(
      t.database.db.execute(
        sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`,
      ),
    );
    expect(open.n).toBe(0);
  } else {
    // PGlite has one connection: a transaction left open would give both statements the same id.
    expect((await outside()).xid).not.toBe((await outside()).xid);
  }
}

describe('inOrg', () => {
  it('runs every statement in one transaction, scoped to the org, as the app role', async () => {
    const seen = await inOrg(t.database.db, A, async (tx) => {
      const first = await one<{ org: string; me: string; xid: string }>(
        tx.execute(sql`select current_setting('app.org_id') as org, current_user as me, txid_current()::text as xid`),
      );
      const second = await one<{ xid: string; roles: number }>(tx.execute(sql`select txid_current()::text as xid, count(*)::int as roles from roles`));
      return { first, second };
    });
    expect(seen.first.org).toBe(A);
    expect(seen.first.me).toBe('imsop_app');
    expect(seen.second.xid).toBe(seen.first.xid);
    // Row-level security: the org's roles only.
    const own = Number((await one<{ n: number }>(t.database.db.execute(sql`select count(*)::int as n from roles where org_id = ${A}`))).n);
    expect(seen.second.roles).toBe(own);
  });

  it('commits the writes of a transaction that succeeds', async () => {
    await inOrg(t.database.db, A, async (tx) => {
      await tx.execute(sql`insert into roles (id, org_id, name, display_name) values (gen_random_uuid(), ${A}, 'tx-committed', 'x')`);
    });
    expect(await roleCount(A, 'tx-committed')).toBe(1);
  });

  it('rolls back every write when a later statement fails, and when the callback throws', async () => {
    const err = await failure(
      inOrg(t.database.db, A, async (tx) => {
        await tx.execute(sql`insert into roles (id, org_id, name, display_name) values (gen_random_uuid(), ${A}, 'tx-failed', 'x')`);
        await tx.execute(sql`select 1 / 0`);
      }),
    );
    expect(err.message).toMatch(/division by zero/);
    await expect(
      inOrg(t.database.db, A, async (tx) => {
        await tx.execute(sql`insert into roles (id, org_id, name, display_name) values (gen_random_uuid(), ${A}, 'tx-thrown', 'x')`);
        throw new Error('use case refused');
      }),
    ).rejects.toThrow('use case refused');
    expect(await roleCount(A, 'tx-failed')).toBe(0);
    expect(await roleCount(A, 'tx-thrown')).toBe(0);
    await expectCleanConnections();
  });

  it("answers the first statement's own error, and the connection comes back clean", async () => {
    expect((await failure(inOrg(t.database.db, A, (tx) => tx.execute(sql`select * from no_such_table`)))).message).toMatch(/no_such_table/);
    // Row-level security refuses another org's row in the first statement as well.
    const foreign = await failure(
      inOrg(t.database.db, A, (tx) => tx.execute(sql`insert into roles (id, org_id, name, display_name) values (gen_random_uuid(), ${B}, 'tx-foreign', 'x')`)),
    );
    expect(foreign.message).toMatch(/row-level security/);
    expect(await roleCount(B, 'tx-foreign')).toBe(0);
    await expectCleanConnections();
  });

  it('returns what the callback returns when it runs no statement', async () => {
    await expect(inOrg(t.database.db, A, async () => 42)).resolves.toBe(42);
    await expect(inOrg(t.database.db, A, async () => Promise.reject(new Error('nothing ran')))).rejects.toThrow('nothing ran');
    await expectCleanConnections();
  });

  it('keeps concurrent transactions of different orgs apart (more of them than pooled connections)', async () => {
    const runs = await Promise.all(
      Array.from({ length: 24 }, (_, i) => {
        const org = i % 2 ? A : B;
        return inOrg(t.database.db, org, async (tx) => {
          const a = await one<{ org: string }>(tx.execute(sql`select current_setting('app.org_id') as org`));
          const b = await one<{ orgs: string[] }>(tx.execute(sql`select coalesce(array_agg(distinct org_id::text), '{}') as orgs from roles`));
          return { org, seen: a.org, orgs: b.orgs };
        });
      }),
    );
    for (const r of runs) {
      expect(r.seen).toBe(r.org);
      expect(r.orgs).toEqual([r.org]);
    }
    await expectCleanConnections();
  });
});

describe('readInOrg', () => {
  it('runs its one statement scoped to the org, as the app role', async () => {
    const row = await readInOrg(t.database.db, B, (tx) =>
      one<{ org: string; me: string; n: number }>(
        tx.execute(sql`select current_setting('app.org_id') as org, current_user as me, (select count(distinct org_id)::int from roles) as n`),
      ),
    );
    expect(row).toEqual({ org: B, me: 'imsop_app', n: 1 });
  });

  it('commits its statement (COMMIT travels with it)', async () => {
    await readInOrg(t.database.db, A, (tx) =>
      tx.execute(sql`insert into roles (id, org_id, name, display_name) values (gen_random_uuid(), ${A}, 'tx-one-statement', 'x')`),
    );
    expect(await roleCount(A, 'tx-one-statement')).toBe(1);
  });

  it('refuses a second statement, and the connection comes back clean', async () => {
    const err = await failure(
      readInOrg(t.database.db, A, async (tx) => {
        await tx.execute(sql`select 1`);
        await tx.execute(sql`insert into roles (id, org_id, name, display_name) values (gen_random_uuid(), ${A}, 'tx-second', 'x')`);
      }),
    );
    expect(err).toBeInstanceOf(SecondStatementError);
    expect(await roleCount(A, 'tx-second')).toBe(0);
    await expectCleanConnections();
  });

  it("answers a failed statement's error and leaves no transaction open", async () => {
    expect((await failure(readInOrg(t.database.db, A, (tx) => tx.execute(sql`select 1 / 0`)))).message).toMatch(/division by zero/);
    await expectCleanConnections();
  });
});

describe('inSystem', () => {
  it("runs with the owner's rights across orgs, in one transaction", async () => {
    const seen = await inSystem(t.database.db, async (tx) => {
      const a = await one<{ me: string; orgs: number; xid: string }>(
        tx.execute(sql`select current_user as me, (select count(distinct org_id)::int from roles) as orgs, txid_current()::text as xid`),
      );
      const b = await one<{ xid: string }>(tx.execute(sql`select txid_current()::text as xid`));
      return { ...a, again: b.xid };
    });
    expect(seen.me).not.toBe('imsop_app');
    expect(seen.orgs).toBeGreaterThanOrEqual(3);
    expect(seen.again).toBe(seen.xid);
  });
});
