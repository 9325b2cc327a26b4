import type { PGlite, Transaction as PgliteTx } from '@electric-sql/pglite';
import { PgDialect } from 'drizzle-orm/pg-core';
import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres/session';
import { PgliteSession, PgliteTransaction } from 'drizzle-orm/pglite/session';
import pg from 'pg';
import type { AppDb, Tx } from './types.ts';

/**
 * The statement a transaction starts with, before the caller's own (the org scope's set_config).
 * Values are text; PGlite inlines them as quoted literals (see `pgliteTransactor`).
 */
export interface Prologue {
  text: string;
  values: string[];
}

export interface TransactionOptions {
  /**
   * The callback runs exactly one statement (a read): on PostgreSQL, BEGIN, the prologue, the
   * statement and COMMIT then go out together and come back in one round trip. A second statement
   * is refused (the transaction is already committed by then).
   */
  oneStatement?: boolean;
}

/** How `platform/db/scope.ts` opens its transactions on one database. */
export interface Transactor {
  transaction<T>(prologue: Prologue | null, fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

const transactors = new WeakMap<object, Transactor>();

export function registerTransactor(db: AppDb, transactor: Transactor) {
  transactors.set(db, transactor);
}

/** The transactor of a database opened by `openDatabase` (undefined for a bare drizzle instance). */
export function transactorOf(db: AppDb): Transactor | undefined {
  return transactors.get(db);
}

const dialect = new PgDialect();

export class SecondStatementError extends Error {
  constructor() {
    super('A one-statement transaction ran a second statement; use inOrg instead of readInOrg for this use case.');
  }
}

type QueryResult = pg.QueryResult;
interface QueryClient {
  query(config: unknown, values?: unknown): Promise<QueryResult>;
}

/**
 * node-postgres: a transaction costs the round trips of its own statements, not more. BEGIN and the
 * prologue are not sent on their own: they go out with the callback's first statement, in one
 * write, pipelined (node-postgres's pipeline mode: each statement keeps its own result and error,
 * and the server runs them in order). With `oneStatement`, COMMIT goes with them too. A failure in
 * BEGIN or the prologue is what the first statement's caller sees (the statements behind it fail
 * with "current transaction is aborted"), and the transaction is rolled back as before.
 *
 * Before: BEGIN, set_config, the statement(s), COMMIT, one round trip each (4 for a read).
 * Now: 2 for any transaction with at least one statement, 1 for a one-statement read.
 */
export function pgTransactor(pool: pg.Pool): Transactor {
  return {
    async transaction(prologue, fn, options = {}) {
      const client = await pool.connect();
      /** `pending` until the first statement, then `open`, then `closed` (committed or rolled back). */
      const tr: { state: 'pending' | 'open' | 'closed' } = { state: 'pending' };
      let broken: Error | undefined;
      const send = (config: unknown, values?: unknown) => client.query(config as pg.QueryConfig, values as unknown[]);

      async function first(config: unknown, values: unknown): Promise<QueryResult> {
        const stream = (client as unknown as { connection: { stream: { cork?: () => void; uncork?: () => void } } }).connection.stream;
        const pipelined = client as unknown as { pipeline: boolean };
        pipelined.pipeline = true;
        stream.cork?.();
        let sent: Promise<QueryResult>[];
        try {
          sent = [
            send('begin'),
            ...(prologue ? [send({ text: prologue.text, values: prologue.values })] : []),
            send(config, values),
            ...(options.oneStatement ? [send('commit')] : []),
          ];
        } finally {
          stream.uncork?.();
        }
        tr.state = options.oneStatement ? 'closed' : 'open';
        const settled = await Promise.allSettled(sent);
        const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        // BEGIN or the prologue failing is the cause; the statement's own error comes next.
        if (failed) throw failed.reason;
        return (settled[prologue ? 2 : 1] as PromiseFulfilledResult<QueryResult>).value;
      }

      const wrapped: QueryClient = {
        query(config, values) {
          if (tr.state === 'pending') return first(config, values);
          if (tr.state === 'closed') return Promise.reject(new SecondStatementError());
          return send(config, values);
        },
      };
      try {
        const tx = new NodePgTransaction(dialect, new NodePgSession(wrapped as unknown as pg.PoolClient, dialect, undefined), undefined);
        const result = await fn(tx as unknown as Tx);
        if (tr.state === 'open') {
          tr.state = 'closed';
          await send('commit');
        }
        return result;
      } catch (err) {
        if (tr.state === 'open') {
          tr.state = 'closed';
          // A rollback that fails (a broken connection) discards the connection.
          await send('rollback').catch((e: unknown) => {
            broken = e instanceof Error ? e : new Error(String(e));
          });
        }
        throw err;
      } finally {
        (client as unknown as { pipeline: boolean }).pipeline = false;
        client.release(broken);
      }
    },
  };
}

/**
 * PGlite: its own transaction (BEGIN and COMMIT as simple queries), with the prologue as one more
 * simple query, its values inlined as quoted literals: a simple query is one call into PGlite where
 * a parameterised one takes six (parse, describe, bind, describe, execute, sync).
 */
export function pgliteTransactor(client: PGlite): Transactor {
  return {
    transaction(prologue, fn, options = {}) {
      return client.transaction(async (ptx: PgliteTx) => {
        if (prologue) await ptx.exec(inlined(prologue));
        let statements = 0;
        const counted = options.oneStatement
          ? new Proxy(ptx, {
              get(target, prop) {
                const v = Reflect.get(target, prop, target) as unknown;
                if (prop !== 'query' || typeof v !== 'function') return v;
                return (...args: unknown[]) => {
                  if (++statements > 1) return Promise.reject(new SecondStatementError());
                  return (v as (...a: unknown[]) => unknown).apply(target, args);
                };
              },
            })
          : ptx;
        const tx = new PgliteTransaction(dialect, new PgliteSession(counted as never, dialect, undefined), undefined);
        return fn(tx as unknown as Tx);
      });
    },
  };
}

/** `$1`, `$2`… of the prologue replaced by its values as SQL string literals. */
function inlined(p: Prologue): string {
  return p.text.replace(/\$(\d+)/g, (_, n: string) => {
    const v = p.values[Number(n) - 1];
    if (v === undefined) throw new Error(`prologue has no value for $${n}`);
    return pg.escapeLiteral(v);
  });
}
