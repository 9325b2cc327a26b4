/**
 * Backups under load, and shutdowns cut short.
 *
 * - `imsop backup` while four writers create operations, on PGlite (taken by the running server
 *   through its control socket) and on PostgreSQL (pg_dump); `imsop restore` into an empty data
 *   directory or database: every operation acknowledged before the backup started is there, and
 *   `imsop restore` reports the audit chains intact.
 * - The server killed (SIGKILL) at random points of its graceful shutdown, five times on one PGlite
 *   data directory: each time it starts again, with every acknowledged write.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/client.ts';
import { BIN, call, login, startServer, type ServerProcess } from './server.ts';
import { startPostgres, type PrivatePostgres } from './services.ts';

const run = promisify(execFile);
const imsop = (args: string[], env: Record<string, string>) =>
  run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), LOG_LEVEL: 'silent', ...env }, timeout: 120_000 });

const dirs: string[] = [];
const tempDir = (what: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `imsop-${what}-`));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Writers creating operations until stopped; `acked` holds the id of every 201, in order of the answers. */
function writers(server: ServerProcess, token: string, count: number) {
  const acked: string[] = [];
  let stop = false;
  let failure: unknown = null;
  const loops = Array.from({ length: count }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      try {
        const r = await call(server.base, 'POST', '/api/operations', { token, body: { name: `load ${w}-${i}`, tags: ['backup'] } });
        if (r.status !== 201) throw new Error(`create operation answered ${r.status}: ${r.text.slice(0, 200)}`);
        acked.push(r.body.id as string);
      } catch (err) {
        if (!stop) failure ??= err;
        return;
      }
    }
  });
  return {
    acked,
    async until(n: number) {
      while (acked.length < n) {
        if (failure) throw failure;
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async stop() {
      stop = true;
      await Promise.all(loops);
      if (failure) throw failure;
    },
  };
}

describe('backup while writing, then restore', () => {
  it('PGlite: the running server takes the backup; the restore holds every write acknowledged before it began', async () => {
    const server = await startServer({ IMSOP_DATA_DIR: path.join(tempDir('backup-src'), 'data'), LOG_LEVEL: 'warn' });
    const out = path.join(tempDir('backup-file'), 'b.tar');
    let before: string[] = [];
    try {
      const load = writers(server, await login(server.base), 4);
      await load.until(40);
      before = [...load.acked];
      const backup = await imsop(['backup', '--out', out], { IMSOP_DATA_DIR: server.dataDir });
      expect(backup.stdout).toMatch(/taken by the running server/);
      await load.until(before.length + 20); // the writers went on while it ran
      await load.stop();
      console.log(`PGlite backup: ${before.length} writes before it began, ${load.acked.length} in all; ${backup.stdout.trim()}`);
    } finally {
      await server.kill('SIGINT');
    }
    const restoredDir = path.join(tempDir('restored'), 'data');
    const restored = await imsop(['restore', out], { IMSOP_DATA_DIR: restoredDir });
    expect(restored.stdout).toMatch(/^OK: \d+ audit records/m);
    const db = await openDatabase({ dataDir: restoredDir, command: 'test' });
    try {
      const rows = (await db.db.execute(sql`select id from operations where id = any(${`{${before.join(',')}}`}::uuid[])`)) as unknown as { rows: { id: string }[] };
      expect(rows.rows.length).toBe(before.length);
    } finally {
      await db.close();
    }
  });
});

describe('backup on PostgreSQL', () => {
  let pgServer: PrivatePostgres;
  beforeAll(async () => {
    pgServer = await startPostgres();
  });
  afterAll(async () => pgServer?.destroy());

  it('pg_dump while writing; pg_restore into an empty database holds every write acknowledged before the backup began', async () => {
    const server = await startServer({ DATABASE_URL: pgServer.url, LOG_LEVEL: 'warn' });
    const out = path.join(tempDir('backup-file'), 'b.tar');
    let before: string[] = [];
    try {
      const load = writers(server, await login(server.base), 4);
      await load.until(40);
      before = [...load.acked];
      const backup = await imsop(['backup', '--out', out], { DATABASE_URL: pgServer.url, IMSOP_DATA_DIR: server.dataDir });
      expect(backup.stdout).toMatch(/Backup written to/);
      await load.until(before.length + 20);
      await load.stop();
    } finally {
      await server.kill('SIGINT');
    }
    const admin = new pg.Client({ connectionString: pgServer.url });
    await admin.connect();
    await admin.query('create database restored');
    await admin.end();
    const target = pgServer.url.replace(/\/postgres$/, '/restored');
    const filesDir = path.join(tempDir('restored-files'), 'data');
    const restored = await imsop(['restore', out], { DATABASE_URL: target, IMSOP_DATA_DIR: filesDir });
    expect(restored.stdout).toMatch(/^OK: \d+ audit records/m);
    // A second restore into the now full database is refused, and changes nothing.
    await expect(imsop(['restore', out], { DATABASE_URL: target, IMSOP_DATA_DIR: path.join(tempDir('again'), 'data') })).rejects.toMatchObject({ stderr: expect.stringMatching(/is not empty/) });
    const db = new pg.Client({ connectionString: target });
    await db.connect();
    try {
      const { rows } = await db.query<{ id: string }>('select id from operations where id = any($1::uuid[])', [before]);
      expect(rows.length).toBe(before.length);
    } finally {
      await db.end();
    }
  });
});

describe('a shutdown cut short never corrupts the data directory', () => {
  it('SIGKILL at random points of a graceful shutdown, five times: the server starts again with every acknowledged write', async () => {
    const dataDir = path.join(tempDir('shutdown'), 'data');
    const acked: string[] = [];
    // Random, and printed, so that a failing sequence can be replayed.
    const delays = Array.from({ length: 5 }, () => Math.floor(Math.random() * 400));
    console.log(`kill delays after SIGINT (ms): ${delays.join(', ')}`);
    for (const delay of delays) {
      const server = await startServer({ IMSOP_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
      const token = await login(server.base);
      // Everything acknowledged so far is there.
      for (const id of acked) {
        const r = await call(server.base, 'GET', `/api/operations/${id}`, { token });
        expect(r.status, `operation ${id} after a cut-short shutdown`).toBe(200);
      }
      const load = writers(server, token, 3);
      await load.until(15);
      // SIGINT while the writers still write, then SIGKILL somewhere in the shutdown.
      process.kill(server.pid, 'SIGINT');
      await new Promise((r) => setTimeout(r, delay));
      await server.kill('SIGKILL');
      await load.stop().catch(() => undefined); // writes cut by the kill were never acknowledged
      acked.push(...load.acked);
    }
    const verify = await imsop(['audit', 'verify'], { IMSOP_DATA_DIR: dataDir });
    expect(verify.stdout).toMatch(/^OK/);
  });
});
