import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimDataDir, DataDirInUseError, readOwner } from './owner.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'imsop-owner-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const OWNER_URL = new URL('./owner.ts', import.meta.url).pathname;

/** Another process that claims the directory, says so on stdout, then waits to be killed. */
function holder(dir: string) {
  const code = `import { claimDataDir } from ${JSON.stringify(OWNER_URL)}; claimDataDir(${JSON.stringify(dir)}, 'start'); console.log('held'); setInterval(() => {}, 1000);`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  const held = new Promise<void>((resolve, reject) => {
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => String(d).includes('held') && resolve());
    p.once('exit', (c) => reject(new Error(`holder exited ${c}: ${err}`)));
  });
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  return { p, held, exited };
}

describe('data directory ownership', () => {
  it('one claim at a time in a process; released, it can be claimed again', () => {
    const dir = tempDir();
    const a = claimDataDir(dir, 'start', () => new Date('2026-12-07T10:00:00Z'));
    expect(readOwner(dir)).toEqual({ pid: process.pid, command: 'start', socket: null, since: '2026-12-07T10:00:00.000Z' });
    a.setSocket('/run/x.sock');
    expect(readOwner(dir)?.socket).toBe('/run/x.sock');
    expect(() => claimDataDir(dir, 'backup')).toThrow(DataDirInUseError);
    a.release();
    expect(readOwner(dir)).toBeNull();
    claimDataDir(dir, 'backup').release();
  });

  it('another live process holds it: refused, naming its pid; killed with SIGKILL, the lock is free at once', async () => {
    const dir = tempDir();
    const h = holder(dir);
    await h.held;
    let refused: unknown;
    try {
      claimDataDir(dir, 'start');
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as DataDirInUseError).owner?.pid).toBe(h.p.pid);
    expect((refused as Error).message).toContain(`in use by process ${h.p.pid} (imsop start`);
    h.p.kill('SIGKILL');
    await h.exited;
    // No stale-lock guessing: the kernel dropped the dead owner's lock.
    const c = claimDataDir(dir, 'start');
    expect(readOwner(dir)?.pid).toBe(process.pid);
    c.release();
  });
});
