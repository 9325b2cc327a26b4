import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { claimDataDir, type DataDirClaim } from './owner.ts';
import { pgliteTransactor, pgTransactor, registerTransactor } from './transactions.ts';

import type { AppDb, Executor } from './types.ts';

export type { AppDb, Executor, Tx } from './types.ts';

export const migrationsFolder = fileURLToPath(new URL('../../db/migrations', import.meta.url));

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: AppDb;
  /** Applies pending migrations; safe to run from several processes at once on PostgreSQL. */
  migrate(): Promise<void>;
  /** Number of migrations in the folder that are not applied yet. */
  pendingMigrations(): Promise<number>;
  ping(): Promise<void>;
  /**
   * Takes the named cluster-wide lock if no other process holds it (null otherwise). On PostgreSQL
   * it is a session advisory lock on a connection of its own, checked every `keepAliveMs`: `lost`
   * settles when that connection breaks (the server may then grant the lock to another process).
   * On PGlite the process owns the database, so the lock is always granted.
   */
  holdLock(name: string, keepAliveMs?: number): Promise<HeldLock | null>;
  /**
   * PGlite on disk only: the claim this process holds on the data directory (see owner.ts), and a
   * consistent copy of the data directory as a gzipped tarball (PGlite's own dump, taken between
   * two statements after a checkpoint: what a crash at that instant would leave, every committed
   * transaction included).
   */
  readonly claim?: DataDirClaim;
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

export interface HeldLock {
  /** Settles when the lock is no longer held (its connection broke); never while it is. */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… for a real server; otherwise PGlite in dataDir (or in memory when dataDir is null). */
  url?: string | undefined;
  dataDir?: string | null;
  poolSize?: number;
  /** What this process does with a data directory (`start`, `backup`, …), written beside its lock. */
  command?: string;
  /** PGlite only: fill an empty data directory from this dump (`imsop restore`). */
  loadDataDir?: Blob;
}

const MIGRATION_LOCK = 7_243_001;

/**
 * Errors that mean "the database cannot be reached right now" rather than "this statement is
 * wrong": a refused or broken connection, a server shutting down or starting up (57P01-57P03),
 * any connection exception (SQLSTATE class 08), too many connections, a pool that cannot get a
 * connection in time. They answer 503 with Retry-After and background loops back off on them.
 * Drizzle wraps driver errors, so the cause chain is walked.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|not queryable|Connection ended unexpectedly/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 6; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    // net reports a refused dual-stack connect as an AggregateError of both attempts.
    if (e instanceof AggregateError && e.errors.some((x) => isDatabaseUnavailable(x))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function journalCount(): number {
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

async function appliedCount(db: AppDb): Promise<number> {
  const exists = (await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`)) as unknown as {
    rows: { ok: boolean }[];
  };
  if (!exists.rows[0]?.ok) return 0;
  const r = (await db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)) as unknown as {
    rows: { n: number }[];
  };
  return r.rows[0]?.n ?? 0;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) return openPostgres(opts.url, opts.poolSize ?? 10);
  return openPglite(opts.dataDir ?? null, opts.command ?? 'start', opts.loadDataDir);
}

/** Whether a PGlite data directory holds a database (restore refuses to write over one). */
export function pgliteDataExists(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, 'pg', 'PG_VERSION'));
}

/**
 * PGlite executes on this thread, and statements queued behind its lock run one after another in
 * microtasks: under load the event loop would never reach its I/O phase, so new requests could be
 * neither read nor refused (load shedding), and health checks and WebSocket pings would stall for
 * the whole backlog. So a statement or transaction that starts after PGlite has held the thread
 * for YIELD_AFTER_MS first waits one turn of the event loop (setImmediate). Time-sliced rather than
 * before every statement: a turn can cost milliseconds when many sockets are ready (each refused
 * request is work too), and paying it per statement multiplied the latency of admitted requests
 * under overload by the number of their statements. Inside a transaction nothing changes.
 */
const YIELD_AFTER_MS = 10;

function yieldingToIo(client: PGlite): PGlite {
  let lastTurn = performance.now();
  /**
   * The turn being waited for. Calls that arrive meanwhile wait for it too, so statements reach
   * PGlite in the order they were issued: the ingest writer relies on its transactions starting in
   * order (a later batch that overtook an earlier one would wait for it while holding PGlite).
   */
  let waiting: Promise<void> | null = null;
  const turn = () =>
    new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      lastTurn = performance.now();
      waiting = null;
    });
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'query' || prop === 'transaction' || prop === 'exec') {
        const fn = (target[prop] as (...args: unknown[]) => Promise<unknown>).bind(target);
        return async (...args: unknown[]) => {
          if (!waiting && performance.now() - lastTurn >= YIELD_AFTER_MS) waiting = turn();
          if (waiting) await waiting;
          return fn(...args);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function openPglite(dataDir: string | null, command: string, loadDataDir: Blob | undefined): Promise<Database> {
  // The directory's lock comes before its files are touched: a second process never opens them.
  const claim = dataDir ? claimDataDir(dataDir, command) : undefined;
  // btree_gist backs the exclusion constraint that forbids double-booking a resource.
  const options = { extensions: { btree_gist }, ...(loadDataDir ? { loadDataDir } : {}) };
  let client: PGlite;
  try {
    client = dataDir ? new PGlite(path.join(dataDir, 'pg'), options) : new PGlite(options);
    await client.waitReady;
  } catch (err) {
    claim?.release();
    throw err;
  }
  const yielding = yieldingToIo(client);
  const db = drizzlePglite({ client: yielding }) as unknown as AppDb;
  registerTransactor(db, pgliteTransactor(yielding));
  let closed = false;
  return {
    kind: 'pglite',
    db,
    ...(claim ? { claim } : {}),
    dumpDataDir: async () => {
      // The checkpoint makes a restore start without WAL replay; the dump itself reads the files in
      // one synchronous pass, so no statement runs while it is taken.
      await client.query('checkpoint');
      return client.dumpDataDir('gzip');
    },
    migrate: async () => {
      await migratePglite(db as never, { migrationsFolder });
    },
    pendingMigrations: async () => journalCount() - (await appliedCount(db)),
    ping: async () => {
      await client.query('select 1');
    },
    holdLock: async () => ({ lost: new Promise<void>(() => undefined), release: async () => undefined }),
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await client.close();
      } finally {
        // Released only once PGlite has written its last page: the next owner finds whole files.
        claim?.release();
      }
    },
  };
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // Waiting for a connection (a new one, or a free one from a busy pool) fails after 5 s, so a
    // database that is down or saturated answers 503 well within the 30 s request timeout.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // A dead peer (a crashed server, a dropped network) is noticed on idle connections too.
    keepAlive: true,
    application_name: 'imsop',
  });
  // An idle client whose server went away (restart, admin_shutdown) emits 'error' on the pool; the
  // pool drops it, and without this listener the error would crash the process. The next query
  // opens a new connection, so the server recovers by itself once PostgreSQL is back.
  pool.on('error', () => undefined);
  // A checked-out client can lose its server between two statements (a transaction waiting on
  // application code while PostgreSQL restarts): the client then emits 'error' itself, which the
  // pool does not listen to while the client is out, and an unheard 'error' event kills the
  // process. The client's next query fails (503 to the request) and the pool discards it on release.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const db = drizzlePg({ client: pool }) as unknown as AppDb;
  registerTransactor(db, pgTransactor(pool));
  let closed = false;
  return {
    kind: 'postgres',
    db,
    migrate: async () => {
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        try {
          await migratePg(drizzlePg({ client }), { migrationsFolder });
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
        }
      } finally {
        client.release();
      }
    },
    pendingMigrations: async () => journalCount() - (await appliedCount(db)),
    ping: async () => {
      await pool.query('select 1');
    },
    holdLock: async (name, keepAliveMs = 5_000) => {
      const client = await pool.connect();
      try {
        const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtextextended($1, 0)) as ok', [name]);
        if (!rows[0]?.ok) {
          client.release();
          return null;
        }
      } catch (err) {
        client.release(true);
        throw err;
      }
      let markLost!: () => void;
      const lost = new Promise<void>((resolve) => (markLost = resolve));
      let gone = false;
      let released = false;
      const onGone = () => {
        if (gone) return;
        gone = true;
        clearInterval(timer);
        markLost();
      };
      // A terminated backend or a broken socket ends the session, and the lock with it.
      client.on('error', onGone);
      client.on('end', onGone);
      // A ping that does not answer within the period counts as a lost session too (a failover or a
      // partition can leave a socket that neither errors nor answers for many minutes), and the
      // connection is dropped on release; one ping at a time.
      let pinging = false;
      const timer = setInterval(() => {
        if (pinging || gone) return;
        pinging = true;
        const late = setTimeout(onGone, keepAliveMs);
        client.query('select 1').then(
          () => {
            clearTimeout(late);
            pinging = false;
          },
          () => {
            clearTimeout(late);
            onGone();
          },
        );
      }, keepAliveMs);
      timer.unref();
      return {
        lost,
        release: async () => {
          if (released) return;
          released = true;
          if (gone) return client.release(true);
          onGone();
          client.off('error', onGone);
          client.off('end', onGone);
          try {
            await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [name]);
            client.release();
          } catch {
            client.release(true);
          }
        },
      };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** Rows of a raw SQL query, the same on PGlite and node-postgres (both answer `{ rows }`). */
export async function queryRows<T>(tx: Executor, query: SQL): Promise<T[]> {
  return ((await tx.execute(query)) as unknown as { rows: T[] }).rows;
}
