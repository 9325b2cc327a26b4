/**
 * A reusable kill -9 harness: concurrent writers drive one write-heavy use case against the real
 * server on a private PostgreSQL, each acknowledged write is recorded, the server is killed with
 * SIGKILL mid-flight, and the workload's `verify` then checks the database for lost acknowledged
 * writes and half-applied use cases. `imsop audit verify` must pass, and the server must start again
 * on the same database and serve. A new use case only writes a CrashWorkload.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { expect } from 'vitest';
import type { PrivatePostgres } from './services.ts';
import { BIN, call, login, startServer, type Answer } from './server.ts';

const run = promisify(execFile);

/** The server's API for one writer, as the admin. */
export type Api = (method: string, url: string, body?: unknown) => Promise<Answer>;

export interface CrashWorkload<A> {
  name: string;
  /** Once, before the writers start (e.g. a policy the use case reads). */
  setup?(api: Api): Promise<void>;
  /**
   * One round of the use case (it may take several requests). Calls `ack` for every write the
   * server answered with success; throws when the server is gone (the round ends there).
   */
  round(api: Api, ack: (write: A) => void, writer: number, round: number): Promise<void>;
  /** After the crash, on the database: fails on a lost acknowledged write or a half-applied use case; returns a summary. */
  verify(db: pg.Client, acked: A[]): Promise<string>;
}

export interface CrashResult<A> {
  acked: A[];
  summary: string;
  auditVerify: string;
}

export async function crashDuringWrites<A>(
  workload: CrashWorkload<A>,
  database: PrivatePostgres,
  opts: { writers?: number; killAfterAcks?: number } = {},
): Promise<CrashResult<A>> {
  const writers = opts.writers ?? 6;
  const killAfter = opts.killAfterAcks ?? 300;
  const server = await startServer({ DATABASE_URL: database.url, LOG_LEVEL: 'warn' });
  try {
    const token = await login(server.base);
    const api: Api = (method, url, body) => call(server.base, method, url, { token, ...(body !== undefined ? { body } : {}) });

    await workload.setup?.(api);
    const acked: A[] = [];
    let gone = false;
    let failure: unknown = null;
    const loops = Array.from({ length: writers }, async (_, w) => {
      for (let r = 0; !gone && !failure; r++) {
        try {
          await workload.round(api, (a) => acked.push(a), w, r);
        } catch (err) {
          if (!gone) failure ??= err; // otherwise the server was killed under this round
          return;
        }
      }
    });
    while (acked.length < killAfter) {
      if (failure) throw failure;
      if (server.crashed()) throw new Error(`the server died before the kill:\n${server.output().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    gone = true;
    await server.kill('SIGKILL');
    await Promise.all(loops);

    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    let summary: string;
    try {
      summary = await workload.verify(db, acked);
    } finally {
      await db.end();
    }

    // The hash chain is intact: the crash left no half-written audit record.
    const verified = await run(process.execPath, [BIN, 'audit', 'verify'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url, LOG_LEVEL: 'silent', IMSOP_DATA_DIR: server.dataDir },
      timeout: 60_000,
    });
    expect(verified.stdout).toMatch(/^OK/);

    // And the server starts again on the same database, and serves (a login writes its session).
    const again = await startServer({ DATABASE_URL: database.url, LOG_LEVEL: 'warn' });
    try {
      const t = await login(again.base);
      const r = await call(again.base, 'GET', '/api/ready', { token: t });
      expect(r.status).toBe(200);
    } finally {
      await again.dispose();
    }
    return { acked, summary, auditVerify: verified.stdout.trim() };
  } finally {
    await server.dispose();
  }
}
