import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

/**
 * Cross-instance fan-out of small invalidation messages. In-process by default; with Redis every
 * instance hears every message (its own included, which is harmless for invalidations).
 */
export interface Bus {
  publish(channel: string, message: Record<string, unknown>): void;
  subscribe(channel: string, handler: (message: Record<string, unknown>) => void): void;
  readonly kind: 'local' | 'redis';
  healthy(): boolean;
  close(): Promise<void>;
}

export function localBus(): Bus {
  const ee = new EventEmitter();
  ee.setMaxListeners(100);
  return {
    kind: 'local',
    publish: (channel, message) => ee.emit(channel, message),
    subscribe: (channel, handler) => ee.on(channel, handler),
    healthy: () => true,
    close: async () => {
      ee.removeAllListeners();
    },
  };
}

/**
 * Delivered locally (never over Redis) when the Redis subscription is back after an outage:
 * invalidations other instances published meanwhile were missed, so caches should start afresh.
 */
export const CHANNEL_RESYNC = 'bus.resync';

/** How a Redis-backed part reports its connection going down and coming back (see outageReporter). */
export interface ConnectionReport {
  failed(err: unknown, key?: string): void;
  ok(key?: string): void;
}

/**
 * While Redis is unreachable, messages are still delivered in this process (the in-process
 * fallback); other instances miss them until Redis is back, when CHANNEL_RESYNC tells local caches
 * to start afresh. ioredis reconnects by itself with a capped back-off and re-subscribes.
 */
export function redisBus(url: string, report: ConnectionReport): Bus {
  const local = localBus();
  const pub = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  const sub = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  const channels = new Set<string>();
  /**
   * Channels to SUBSCRIBE once the connection is ready. Never earlier: ioredis writes a SUBSCRIBE
   * during its connection handshake, which puts the connection in subscriber mode before its own
   * CLIENT SETINFO and ready check, which then fail (and the subscription is lost). Also the
   * channels whose SUBSCRIBE failed.
   */
  const unconfirmed = new Set<string>();
  const subscribeRemote = (channel: string) => {
    if (sub.status !== 'ready') {
      unconfirmed.add(channel);
      return;
    }
    sub.subscribe(`imsop:${channel}`).catch((err: unknown) => {
      unconfirmed.add(channel);
      report.failed(err, 'bus subscriber');
    });
  };
  let subWasDown = false;
  pub.on('error', (err) => report.failed(err, 'bus publisher'));
  pub.on('ready', () => report.ok('bus publisher'));
  sub.on('error', (err) => {
    subWasDown = true;
    report.failed(err, 'bus subscriber');
  });
  sub.on('ready', () => {
    report.ok('bus subscriber');
    // ioredis re-subscribes the channels it saw confirmed; the others are subscribed here.
    if (unconfirmed.size) {
      const retry = [...unconfirmed];
      unconfirmed.clear();
      for (const channel of retry) subscribeRemote(channel);
    }
    if (subWasDown) {
      subWasDown = false;
      local.publish(CHANNEL_RESYNC, {});
    }
  });
  sub.on('message', (channel: string, raw: string) => {
    try {
      local.publish(channel.slice('imsop:'.length), JSON.parse(raw) as Record<string, unknown>);
    } catch (err) {
      report.failed(err, 'bus message');
    }
  });
  return {
    kind: 'redis',
    publish: (channel, message) => {
      // Deliver locally at once so this instance is consistent before the round trip.
      local.publish(channel, message);
      if (pub.status !== 'ready') return;
      pub.publish(`imsop:${channel}`, JSON.stringify(message)).catch((err: unknown) => report.failed(err, 'bus publisher'));
    },
    subscribe: (channel, handler) => {
      local.subscribe(channel, handler);
      if (!channels.has(channel) && channel !== CHANNEL_RESYNC) {
        channels.add(channel);
        subscribeRemote(channel);
      }
    },
    healthy: () => pub.status === 'ready' && sub.status === 'ready',
    close: async () => {
      await local.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
