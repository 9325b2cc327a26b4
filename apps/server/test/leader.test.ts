import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/platform/db/client.ts';
import { runAsLeader, type Leadership } from '../src/platform/db/leader.ts';
import { freshDatabase, PG_URL, type TestDatabase } from './helpers.ts';

const silent = { info: () => undefined, warn: () => undefined };
const until = async (cond: () => boolean | Promise<boolean>, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A piece of work that records who runs it, and when it is running twice. */
function tracker() {
  const running = new Set<string>();
  const log: string[] = [];
  return {
    running,
    log,
    work: (who: string) => async () => {
      running.add(who);
      log.push(`start ${who}`);
      return async () => {
        running.delete(who);
        log.push(`stop ${who}`);
      };
    },
  };
}

describe('leader election on PGlite', () => {
  it('the only process leads at once, and stops its work on close', async () => {
    const database = await openDatabase({ dataDir: null });
    try {
      const t = tracker();
      const l = runAsLeader(database, 'job', t.work('a'), { log: silent });
      expect(await l.started).toBe('leading');
      expect(l.leading()).toBe(true);
      await l.close();
      expect(t.log).toEqual(['start a', 'stop a']);
    } finally {
      await database.close();
    }
  });
});

describe.skipIf(!PG_URL)('leader election on PostgreSQL', () => {
  let fresh: TestDatabase;
  let other: Database;
  beforeAll(async () => {
    fresh = await freshDatabase();
    other = await openDatabase({ url: fresh.url!, poolSize: 3 }); // a second process's pool
  });
  afterAll(async () => {
    await other?.close();
    await fresh?.drop();
  });

  it('one leads, the other stands by and takes over when the leader stops', async () => {
    const t = tracker();
    const opts = { log: silent, retryMs: 100, keepAliveMs: 200 };
    const a = runAsLeader(fresh.database, 'job-stop', t.work('a'), opts);
    expect(await a.started).toBe('leading');
    const b = runAsLeader(other, 'job-stop', t.work('b'), opts);
    expect(await b.started).toBe('standby');
    await new Promise((r) => setTimeout(r, 300)); // several retries: b stays standby
    expect([...t.running]).toEqual(['a']);
    await a.close();
    await until(() => b.leading());
    expect(t.log).toEqual(['start a', 'stop a', 'start b']);
    await b.close();
    expect(t.running.size).toBe(0);
  });

  it('a leader whose lock connection dies stops its work; the standby takes over', async () => {
    const t = tracker();
    const opts = { log: silent, retryMs: 100, keepAliveMs: 200 };
    const leaders: Leadership[] = [runAsLeader(fresh.database, 'job-kill', t.work('a'), opts)];
    expect(await leaders[0]!.started).toBe('leading');
    leaders.push(runAsLeader(other, 'job-kill', t.work('b'), opts));
    expect(await leaders[1]!.started).toBe('standby');
    // The server ends the leader's session (as when its connection breaks): the lock goes with it.
    const killed = (await other.db.execute(sql`
      select pg_terminate_backend(pid) as ok from pg_locks
      where locktype = 'advisory' and granted and objid::bigint = (hashtextextended('job-kill', 0) & 4294967295)`)) as unknown as { rows: { ok: boolean }[] };
    expect(killed.rows).toEqual([{ ok: true }]);
    await until(() => t.running.has('b') && !t.running.has('a'));
    expect(leaders[0]!.leading()).toBe(false);
    expect(leaders[1]!.leading()).toBe(true);
    expect(t.log.slice(0, 1)).toEqual(['start a']);
    expect(t.log).toContain('stop a');
    // The pool it came from still serves.
    await fresh.database.ping();
    for (const l of leaders) await l.close();
    expect(t.running.size).toBe(0);
  });

  it('a leader whose lock session stops answering stops its work after a keep-alive period', async () => {
    const t = tracker();
    const l = runAsLeader(fresh.database, 'job-hang', t.work('a'), { log: silent, retryMs: 100, keepAliveMs: 200 });
    expect(await l.started).toBe('leading');
    const [holder] = (
      (await other.db.execute(sql`
        select pid from pg_locks where locktype = 'advisory' and granted and objid::bigint = (hashtextextended('job-hang', 0) & 4294967295)`)) as unknown as {
        rows: { pid: number }[];
      }
    ).rows;
    // Frozen, as behind a partition or a failover: the socket stays open, nothing answers.
    process.kill(holder!.pid, 'SIGSTOP');
    try {
      await until(() => !t.running.has('a'), 3_000);
      expect(l.leading()).toBe(false);
    } finally {
      process.kill(holder!.pid, 'SIGCONT');
    }
    await l.close();
  });

  it('work that fails to start rejects the first attempt and is retried later', async () => {
    let attempts = 0;
    const l = runAsLeader(
      fresh.database,
      'job-fail',
      async () => {
        attempts++;
        if (attempts === 1) throw new Error('broker unreachable');
        return async () => undefined;
      },
      { log: silent, retryMs: 50 },
    );
    await expect(l.started).rejects.toThrow('broker unreachable');
    await until(() => l.leading());
    expect(attempts).toBe(2);
    await l.close();
  });
});
