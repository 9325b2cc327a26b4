/**
 * One process of the cluster runs a piece of work at a time (for example the consumer of an
 * external MQTT session, which must have one owner): whoever holds the named database lock leads,
 * the others stand by and try again every `retryMs`. When the leader's lock connection breaks, or
 * the leader stops, the lock goes to the next process that asks; a leader that lost its lock stops
 * its work before asking again, so two never run it at once for long (at most a keep-alive period).
 */
import type { Database, HeldLock } from './client.ts';

/** Starts the work; resolves with how to stop it. */
export type LeaderWork = () => Promise<() => Promise<void>>;

export interface Leadership {
  /**
   * The first attempt: 'leading' once the work started, 'standby' when another process leads,
   * 'retrying' when the lock could not be asked for (the database did not answer). Rejects when
   * this process took the lock but the work failed to start (the caller decides whether that is
   * fatal; later attempts only log).
   */
  readonly started: Promise<FirstAttempt>;
  leading(): boolean;
  /** Stops the work (if leading), releases the lock and stops trying. */
  close(): Promise<void>;
}

export type FirstAttempt = 'leading' | 'standby' | 'retrying';

export interface LeaderOptions {
  retryMs?: number;
  keepAliveMs?: number;
  log: { info(obj: unknown, msg?: string): void; warn(obj: unknown, msg?: string): void };
}

export function runAsLeader(database: Database, name: string, work: LeaderWork, o: LeaderOptions): Leadership {
  const retryMs = o.retryMs ?? 5_000;
  let closed = false;
  let leading = false;
  let markClosed!: () => void;
  const closedSignal = new Promise<void>((resolve) => (markClosed = resolve));
  /** Waits `ms`, or less when closed meanwhile (whenever close() is called). */
  const sleep = async (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), closedSignal]);
    clearTimeout(timer);
  };

  let settleFirst: ((v: FirstAttempt) => void) | null = null;
  let failFirst: ((err: unknown) => void) | null = null;
  const started = new Promise<FirstAttempt>((resolve, reject) => {
    settleFirst = resolve;
    failFirst = reject;
  });
  started.catch(() => undefined); // the caller may not look; later attempts go on regardless
  const first = (v: FirstAttempt | Error) => {
    if (v instanceof Error) failFirst?.(v);
    else settleFirst?.(v);
    settleFirst = failFirst = null;
  };

  const loop = (async () => {
    while (!closed) {
      let lock: HeldLock | null = null;
      try {
        lock = await database.holdLock(name, o.keepAliveMs);
        if (!lock) first('standby');
      } catch (err) {
        o.log.warn({ lock: name, err: (err as Error).message }, 'leader: cannot ask for the lock; will retry');
        first('retrying');
      }
      if (!lock) {
        await sleep(retryMs);
        continue;
      }
      if (closed) {
        await lock.release();
        break;
      }
      let stop: (() => Promise<void>) | null = null;
      try {
        stop = await work();
      } catch (err) {
        o.log.warn({ lock: name, err: (err as Error).message }, 'leader: the work did not start; will retry');
        first(err instanceof Error ? err : new Error(String(err)));
        await lock.release();
        await sleep(retryMs);
        continue;
      }
      leading = true;
      first('leading');
      o.log.info({ lock: name }, 'leader: this instance leads');
      await Promise.race([lock.lost, closedSignal]);
      leading = false;
      if (!closed) o.log.warn({ lock: name }, 'leader: lost the lock; stopping the work');
      await stop().catch((err: unknown) => o.log.warn({ lock: name, err: (err as Error).message }, 'leader: stopping the work failed'));
      await lock.release();
      if (!closed) await sleep(retryMs);
    }
    first('standby');
  })();

  return {
    started,
    leading: () => leading,
    close: async () => {
      closed = true;
      markClosed();
      await loop;
    },
  };
}
