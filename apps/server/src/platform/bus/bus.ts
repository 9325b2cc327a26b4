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

export function redisBus(url: string, onError: (err: Error) => void): Bus {
  const local = localBus();
  const pub = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  const sub = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  const channels = new Set<string>();
  pub.on('error', onError);
  sub.on('error', onError);
  sub.on('message', (channel: string, raw: string) => {
    try {
      local.publish(channel.slice('imsop:'.length), JSON.parse(raw) as Record<string, unknown>);
    } catch (err) {
      onError(err as Error);
    }
  });
  return {
    kind: 'redis',
    publish: (channel, message) => {
      // Deliver locally at once so this instance is consistent before the round trip.
      local.publish(channel, message);
      pub.publish(`imsop:${channel}`, JSON.stringify(message)).catch(onError);
    },
    subscribe: (channel, handler) => {
      local.subscribe(channel, handler);
      if (!channels.has(channel)) {
        channels.add(channel);
        sub.subscribe(`imsop:${channel}`).catch(onError);
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
