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
   * The first attempt: 'leading' once the work started, 'standby' when another process leads.
   * Rejects when this process took the lock but the work failed to start (the caller decides
   * whether that is fatal; later attempts only log).
   */
  readonly started: Promise<'leading' | 'standby'>;
  leading(): boolean;
  /** Stops the work (if leading), releases the lock and stops trying. */
  close(): Promise<void>;
}

export interface LeaderOptions {
  retryMs?: number;
  keepAliveMs?: number;
  log: { info(obj: unknown, msg?: string): void; warn(obj: unknown, msg?: string): void };
}

export function runAsLeader(database: Database, name: string, work: LeaderWork, o: LeaderOptions): Leadership {
  const retryMs = o.retryMs ?? 5_000;
  let closed = false;
  let leading = false;
  let wakeSleep: () => void = () => undefined;
  let markClosed!: () => void;
  const closedSignal = new Promise<void>((resolve) => (markClosed = resolve));
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wakeSleep = () => {
        clearTimeout(t);
        resolve();
      };
    });

  let settleFirst: ((v: 'leading' | 'standby') => void) | null = null;
  let failFirst: ((err: unknown) => void) | null = null;
  const started = new Promise<'leading' | 'standby'>((resolve, reject) => {
    settleFirst = resolve;
    failFirst = reject;
  });
  started.catch(() => undefined); // the caller may not look; later attempts go on regardless
  const first = (v: 'leading' | 'standby' | Error) => {
    if (v instanceof Error) failFirst?.(v);
    else settleFirst?.(v);
    settleFirst = failFirst = null;
  };

  const loop = (async () => {
    while (!closed) {
      let lock: HeldLock | null = null;
      try {
        lock = await database.holdLock(name, o.keepAliveMs);
      } catch (err) {
        o.log.warn({ lock: name, err: (err as Error).message }, 'leader: cannot ask for the lock; will retry');
      }
      if (!lock) {
        first('standby');
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
      wakeSleep();
      await loop;
    },
  };
}
