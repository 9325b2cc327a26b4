/**
 * One owner per PGlite data directory.
 *
 * PGlite is PostgreSQL in one process: a second process that opens the same files corrupts them.
 * The process that opens a data directory first claims `<dir>/imsop.lock`: an empty SQLite file on
 * which it keeps an exclusive transaction open for its whole life, and writes beside it
 * (`imsop.owner.json`) its pid, what it is doing and where its control socket listens. SQLite
 * takes the transaction's lock as a POSIX record lock
 * (fcntl), which the kernel holds for the process and drops when the process ends, however it
 * ends (exit, crash, kill -9): a dead owner never blocks the directory, and nobody has to guess
 * from a pid whether the owner is alive (pids are reused). Node has no flock/fcntl of its own;
 * node:sqlite (built into Node 22.13+) is the smallest way to take such a lock without a native
 * addon (docs/adr/0006-data-dir-lock.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export const LOCK_FILE = 'imsop.lock';
export const OWNER_FILE = 'imsop.owner.json';

export interface DataDirOwner {
  pid: number;
  /** What the owner does: `start` (the server) or a CLI command such as `backup`. */
  command: string;
  /** The owner's control socket (the server's), when it has one. */
  socket: string | null;
  since: string;
}

/** The data directory is open in another process. */
export class DataDirInUseError extends Error {
  readonly dir: string;
  readonly owner: DataDirOwner | null;
  constructor(dir: string, owner: DataDirOwner | null) {
    super(
      owner
        ? `The data directory ${dir} is in use by process ${owner.pid} (imsop ${owner.command}, since ${owner.since}).`
        : `The data directory ${dir} is in use by another process.`,
    );
    this.name = 'DataDirInUseError';
    this.dir = dir;
    this.owner = owner;
  }
}

export interface DataDirClaim {
  readonly dir: string;
  /** Records the control socket, so that CLI commands can find the running server. */
  setSocket(socket: string | null): void;
  release(): void;
}

function isBusy(err: unknown): boolean {
  const e = err as { errcode?: number; message?: string };
  // SQLITE_BUSY (5) and SQLITE_LOCKED (6), also as extended codes (low byte).
  return (typeof e.errcode === 'number' && [5, 6].includes(e.errcode & 0xff)) || /database is locked/i.test(e.message ?? '');
}

/** Who holds the directory, as its owner wrote it (null when unknown). Meaningful only while the lock is held. */
export function readOwner(dir: string): DataDirOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8')) as Partial<DataDirOwner>;
    if (typeof o.pid !== 'number' || typeof o.command !== 'string') return null;
    return { pid: o.pid, command: o.command, socket: typeof o.socket === 'string' ? o.socket : null, since: String(o.since ?? '') };
  } catch {
    return null;
  }
}

/**
 * Claims the directory for this process, or throws DataDirInUseError naming the owner. The claim
 * lasts until release() or the end of the process.
 */
export function claimDataDir(dir: string, command: string, now: () => Date = () => new Date()): DataDirClaim {
  fs.mkdirSync(dir, { recursive: true });
  const db = new DatabaseSync(path.join(dir, LOCK_FILE), { timeout: 0 });
  try {
    // An exclusive lock, held by the open transaction until release() or the process ends.
    db.exec('begin exclusive');
  } catch (err) {
    db.close();
    if (isBusy(err)) throw new DataDirInUseError(dir, readOwner(dir));
    throw err;
  }
  const since = now().toISOString();
  // Who owns the directory, beside the lock (a reader cannot read a file locked exclusively).
  // Written whole under a temporary name, then renamed: a reader never sees half of it.
  const describe = (socket: string | null) => {
    const tmp = path.join(dir, `${OWNER_FILE}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, `${JSON.stringify({ pid: process.pid, command, socket, since } satisfies DataDirOwner)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, path.join(dir, OWNER_FILE));
  };
  describe(null);
  let released = false;
  return {
    dir,
    setSocket: (socket) => {
      if (!released) describe(socket);
    },
    release: () => {
      if (released) return;
      released = true;
      fs.rmSync(path.join(dir, OWNER_FILE), { force: true });
      try {
        db.exec('rollback');
      } finally {
        db.close();
      }
    },
  };
}
