/**
 * `imsop backup` and `imsop restore`.
 *
 * A backup is one tar archive holding:
 * - `manifest.json`: what it is (`{ format: 'imsop-backup', version: 1, database, createdAt }`);
 * - the database: `database.tar.gz` (PGlite: the owning process's dump of its data directory, taken
 *   by the running server through its control socket, or by this process after claiming the
 *   directory when no server runs) or `database.pgdump` (PostgreSQL: pg_dump's custom format);
 * - `files/…`: the uploaded files (`<IMSOP_DATA_DIR>/files`, content-addressed and never changed
 *   once written), copied after the database, so every file a backed-up row names is there.
 * Restore fills an empty data directory (or empty database plus an empty files directory) and ends
 * by verifying every organization's audit chain.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import * as tar from 'tar';
import type { Config } from './config.ts';
import { controlRequest } from './control.ts';
import { openDatabase, pgliteDataExists } from './platform/db/client.ts';
import { DataDirInUseError } from './platform/db/owner.ts';
import { auditVerify, openConfiguredDatabase } from './main.ts';

export type BackupKind = 'pglite' | 'postgres';

const MANIFEST = 'manifest.json';
const DUMP: Record<BackupKind, string> = { pglite: 'database.tar.gz', postgres: 'database.pgdump' };
const FILES = 'files';

interface Manifest {
  format: 'imsop-backup';
  version: 1;
  database: BackupKind;
  createdAt: string;
}

export function defaultBackupName(now: Date): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
  return `imsop-backup-${stamp}.tar`;
}

/** Runs a PostgreSQL client tool; its stderr becomes the error. A missing tool says so. */
function runTool(tool: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'ENOENT' ? `${tool} is not installed (it comes with the PostgreSQL client package, e.g. postgresql-client)` : e.message)),
    );
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${tool} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' ')}`))));
  });
}

/** A private working directory beside `near` (same file system, so results can be renamed into place). */
function workDir(near: string): string {
  fs.mkdirSync(near, { recursive: true });
  return fs.mkdtempSync(path.join(near, '.imsop-work-'));
}

export interface BackupResult {
  file: string;
  bytes: number;
  files: number;
  via: 'server' | 'direct';
}

/** Writes the database dump into `dir` (as DUMP[kind]); says who took it. */
async function dumpDatabase(config: Config, kind: BackupKind, dir: string): Promise<BackupResult['via']> {
  const target = path.join(dir, DUMP[kind]);
  if (kind === 'postgres') {
    // One consistent snapshot of the database (pg_dump runs in one repeatable-read transaction).
    await runTool('pg_dump', ['--format=custom', '--no-owner', `--file=${target}`, `--dbname=${config.DATABASE_URL!}`]);
    return 'direct';
  }
  // Checked before opening, which would create an empty database.
  if (!pgliteDataExists(config.IMSOP_DATA_DIR)) throw new Error(`there is no database in ${config.IMSOP_DATA_DIR} (set IMSOP_DATA_DIR)`);
  let database;
  try {
    database = await openConfiguredDatabase(config, 'backup');
  } catch (err) {
    if (!(err instanceof DataDirInUseError)) throw err;
    const res = await controlRequest(usableSocket(err), 'GET', '/backup');
    if (res.statusCode !== 200) throw new Error(`the running server could not take the backup (status ${res.statusCode})`);
    await pipeline(res, fs.createWriteStream(target, { mode: 0o600 }));
    return 'server';
  }
  try {
    const dump = await database.dumpDataDir!();
    fs.writeFileSync(target, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
    return 'direct';
  } finally {
    await database.close();
  }
}

export async function backup(config: Config, out: string | undefined, now: Date): Promise<BackupResult> {
  const kind: BackupKind = config.DATABASE_URL ? 'postgres' : 'pglite';
  const file = path.resolve(out ?? defaultBackupName(now));
  const work = workDir(path.dirname(file));
  try {
    const via = await dumpDatabase(config, kind, work);
    const manifest: Manifest = { format: 'imsop-backup', version: 1, database: kind, createdAt: now.toISOString() };
    fs.writeFileSync(path.join(work, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    // Written under a temporary name and renamed: a backup file is whole or absent.
    const partial = path.join(work, 'backup.tar');
    await tar.create({ file: partial, cwd: work, portable: true }, [MANIFEST, DUMP[kind]]);
    // The files after the database: whatever a backed-up row names was written before its row.
    const filesDir = path.join(config.IMSOP_DATA_DIR, FILES);
    let files = 0;
    if (fs.existsSync(filesDir)) {
      // Uploads still being written (`….tmp`) are not files yet.
      const complete = (p: string) => !p.endsWith('.tmp');
      files = countFiles(filesDir, complete);
      await tar.replace({ file: partial, cwd: config.IMSOP_DATA_DIR, portable: true, filter: complete }, [FILES]);
    }
    fs.chmodSync(partial, 0o600);
    fs.renameSync(partial, file);
    return { file, bytes: fs.statSync(file).size, files, via };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The running server's control socket, or an error that says what to do. */
export function usableSocket(err: DataDirInUseError): string {
  if (err.owner?.command === 'start' && err.owner.socket && fs.existsSync(err.owner.socket)) return err.owner.socket;
  throw new Error(`${err.message} Wait for it to finish (or stop it), then run the command again.`);
}

export interface RestoreResult {
  kind: BackupKind;
  files: number;
  verify: Awaited<ReturnType<typeof auditVerify>>;
}

const isEmptyDir = (dir: string) => !fs.existsSync(dir) || fs.readdirSync(dir).length === 0;

function countFiles(dir: string, keep: (name: string) => boolean = () => true): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && keep(d.name)).length;
}

export async function restore(config: Config, file: string): Promise<RestoreResult> {
  const head = Buffer.alloc(262);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head.subarray(257, 262).toString('latin1') !== 'ustar') throw new Error(`${file} is not an IMSOP backup (not a tar archive made by imsop backup)`);
  const target: BackupKind = config.DATABASE_URL ? 'postgres' : 'pglite';
  const filesDir = path.join(config.IMSOP_DATA_DIR, FILES);
  // Nothing is ever written over: the database and the files directory must both be empty.
  if (target === 'pglite' && pgliteDataExists(config.IMSOP_DATA_DIR)) {
    throw new Error(`${config.IMSOP_DATA_DIR} already holds a database; restore into an empty data directory (set IMSOP_DATA_DIR)`);
  }
  if (!isEmptyDir(filesDir)) throw new Error(`${filesDir} is not empty; restore into an empty data directory (set IMSOP_DATA_DIR)`);
  if (target === 'postgres') await assertEmptyPostgres(config.DATABASE_URL!);

  const work = workDir(config.IMSOP_DATA_DIR);
  try {
    // Only the entries a backup has; tar itself refuses absolute paths and `..`.
    const wanted = (p: string) => p === MANIFEST || p === DUMP.pglite || p === DUMP.postgres || p === FILES || p.startsWith(`${FILES}/`);
    await tar.extract({ file, cwd: work, filter: wanted });
    const manifest = (() => {
      try {
        return JSON.parse(fs.readFileSync(path.join(work, MANIFEST), 'utf8')) as Partial<Manifest>;
      } catch {
        return null;
      }
    })();
    if (manifest?.format !== 'imsop-backup' || (manifest.database !== 'pglite' && manifest.database !== 'postgres')) {
      throw new Error(`${file} is not an IMSOP backup (no manifest)`);
    }
    const kind = manifest.database;
    if (kind !== target) {
      throw new Error(
        kind === 'pglite'
          ? `${file} is a PGlite backup; restore it without DATABASE_URL, into an empty IMSOP_DATA_DIR`
          : `${file} is a PostgreSQL backup; restore it with DATABASE_URL set to an empty database`,
      );
    }
    const dump = path.join(work, DUMP[kind]);
    if (!fs.existsSync(dump)) throw new Error(`${file} holds no database dump`);
    const files = countFiles(path.join(work, FILES));
    if (kind === 'pglite') {
      const blob = new Blob([fs.readFileSync(dump)], { type: 'application/x-gzip' });
      const database = await openDatabase({ dataDir: config.IMSOP_DATA_DIR, command: 'restore', loadDataDir: blob });
      try {
        moveFiles(work, filesDir);
        return { kind, files, verify: await auditVerify(database) };
      } finally {
        await database.close();
      }
    }
    await runTool('pg_restore', ['--exit-on-error', '--no-owner', `--dbname=${config.DATABASE_URL!}`, dump]);
    moveFiles(work, filesDir);
    const database = await openDatabase({ url: config.DATABASE_URL!, poolSize: 2 });
    try {
      return { kind, files, verify: await auditVerify(database) };
    } finally {
      await database.close();
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function moveFiles(work: string, filesDir: string) {
  const from = path.join(work, FILES);
  if (!fs.existsSync(from)) return;
  fs.rmSync(filesDir, { recursive: true, force: true }); // empty, checked above
  fs.renameSync(from, filesDir);
}

async function assertEmptyPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and c.relkind in ('r', 'p')",
    );
    if ((rows[0]?.n ?? 0) > 0) throw new Error(`the database ${new URL(url).pathname.slice(1)} is not empty; restore into a new, empty database`);
    // The role the grants in the dump name; cluster-wide, so it may exist already (0000_app_role.sql).
    await client.query(
      "do $$ begin if not exists (select 1 from pg_roles where rolname = 'imsop_app') then create role imsop_app nologin nosuperuser nobypassrls; end if; end $$",
    );
  } finally {
    await client.end();
  }
}
