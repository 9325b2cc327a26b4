/**
 * `imsop backup` and `imsop restore`.
 *
 * PGlite: the owning process dumps its data directory (PGlite's dumpDataDir, a gzipped tarball):
 * the running server through its control socket, or this process after claiming the directory
 * when no server runs. Restore fills an empty data directory from it.
 * PostgreSQL: pg_dump's custom format, restored by pg_restore into an empty database.
 * Either way the restore ends by verifying every organization's audit chain.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import type { Config } from './config.ts';
import { controlRequest } from './control.ts';
import { openDatabase, pgliteDataExists } from './platform/db/client.ts';
import { DataDirInUseError } from './platform/db/owner.ts';
import { auditVerify, openConfiguredDatabase } from './main.ts';

const GZIP = Buffer.from([0x1f, 0x8b]);
const PGDMP = Buffer.from('PGDMP');

export type BackupKind = 'pglite' | 'postgres';

export function defaultBackupName(kind: BackupKind, now: Date): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
  return `imsop-backup-${stamp}.${kind === 'pglite' ? 'tar.gz' : 'pgdump'}`;
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

/** Writes through a temporary name in the same directory, then renames: a backup file is whole or absent. */
async function writeAtomically(out: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = path.join(path.dirname(path.resolve(out)), `.${path.basename(out)}.${process.pid}.partial`);
  try {
    await write(tmp);
    fs.renameSync(tmp, out);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export interface BackupResult {
  file: string;
  bytes: number;
  via: 'server' | 'direct';
}

export async function backup(config: Config, out: string | undefined, now: Date): Promise<BackupResult> {
  const kind: BackupKind = config.DATABASE_URL ? 'postgres' : 'pglite';
  const file = out ?? defaultBackupName(kind, now);
  let via: BackupResult['via'] = 'direct';
  if (kind === 'postgres') {
    // One consistent snapshot of the database (pg_dump runs in one repeatable-read transaction).
    await writeAtomically(file, (tmp) => runTool('pg_dump', ['--format=custom', '--no-owner', `--file=${tmp}`, `--dbname=${config.DATABASE_URL!}`]));
  } else {
    let database;
    try {
      // Checked before opening, which would create an empty database.
      if (!pgliteDataExists(config.IMSOP_DATA_DIR)) throw new Error(`there is no database in ${config.IMSOP_DATA_DIR} (set IMSOP_DATA_DIR)`);
      database = await openConfiguredDatabase(config, 'backup');
    } catch (err) {
      if (!(err instanceof DataDirInUseError)) throw err;
      const socket = usableSocket(err);
      via = 'server';
      await writeAtomically(file, async (tmp) => {
        const res = await controlRequest(socket, 'GET', '/backup');
        if (res.statusCode !== 200) throw new Error(`the running server could not take the backup (status ${res.statusCode})`);
        await pipeline(res, fs.createWriteStream(tmp, { mode: 0o600 }));
      });
    }
    if (database) {
      try {
        const dump = await database.dumpDataDir!();
        await writeAtomically(file, async (tmp) => fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 }));
      } finally {
        await database.close();
      }
    }
  }
  return { file, bytes: fs.statSync(file).size, via };
}

/** The running server's control socket, or an error that says what to do. */
export function usableSocket(err: DataDirInUseError): string {
  if (err.owner?.command === 'start' && err.owner.socket && fs.existsSync(err.owner.socket)) return err.owner.socket;
  throw new Error(`${err.message} Wait for it to finish (or stop it), then run the command again.`);
}

export interface RestoreResult {
  kind: BackupKind;
  verify: Awaited<ReturnType<typeof auditVerify>>;
}

export async function restore(config: Config, file: string): Promise<RestoreResult> {
  const head = Buffer.alloc(5);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 5, 0);
  } finally {
    fs.closeSync(fd);
  }
  const kind: BackupKind | null = head.subarray(0, 2).equals(GZIP) ? 'pglite' : head.equals(PGDMP) ? 'postgres' : null;
  if (!kind) throw new Error(`${file} is not an IMSOP backup (neither a PGlite dump nor a pg_dump custom-format archive)`);
  const target: BackupKind = config.DATABASE_URL ? 'postgres' : 'pglite';
  if (kind !== target) {
    throw new Error(
      kind === 'pglite'
        ? `${file} is a PGlite backup; restore it without DATABASE_URL, into an empty IMSOP_DATA_DIR`
        : `${file} is a PostgreSQL backup; restore it with DATABASE_URL set to an empty database`,
    );
  }
  if (kind === 'pglite') {
    const dir = config.IMSOP_DATA_DIR;
    if (pgliteDataExists(dir)) throw new Error(`${dir} already holds a database; restore into an empty data directory (set IMSOP_DATA_DIR)`);
    const blob = new Blob([fs.readFileSync(file)], { type: 'application/x-gzip' });
    const database = await openDatabase({ dataDir: dir, command: 'restore', loadDataDir: blob });
    try {
      return { kind, verify: await auditVerify(database) };
    } finally {
      await database.close();
    }
  }
  await assertEmptyPostgres(config.DATABASE_URL!);
  await runTool('pg_restore', ['--exit-on-error', '--no-owner', `--dbname=${config.DATABASE_URL!}`, file]);
  const database = await openDatabase({ url: config.DATABASE_URL!, poolSize: 2 });
  try {
    return { kind, verify: await auditVerify(database) };
  } finally {
    await database.close();
  }
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
