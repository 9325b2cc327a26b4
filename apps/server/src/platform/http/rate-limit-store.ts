import { createRequire } from 'node:module';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

/** The plugin's own stores (CommonJS, without type declarations of their own). */
type Incr = (key: string, cb: (err: Error | null, res?: { current: number; ttl: number }) => void, timeWindow: number, max: number) => void;
interface RawStore {
  incr: Incr;
  child(routeOptions: unknown): RawStore;
}
const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean, cache?: number) => RawStore;
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  key?: string,
) => RawStore;

/**
 * Counts in Redis (shared by every instance) while Redis answers, and in this process while it
 * does not, so the limits keep holding through a Redis outage instead of being skipped. During
 * the outage each instance counts on its own; once Redis is back, it counts there again.
 */
export function fallbackRateLimitStore(redis: Redis, nameSpace: string): FastifyRateLimitStoreCtor {
  class FallbackStore {
    private readonly local: RawStore;
    private readonly remote: RawStore;
    constructor(local: RawStore, remote: RawStore) {
      this.local = local;
      this.remote = remote;
    }

    incr(key: string, cb: Parameters<Incr>[1], timeWindow?: number, max?: number) {
      const tw = timeWindow as number;
      const mx = max as number;
      if (redis.status !== 'ready') return this.local.incr(key, cb, tw, mx);
      this.remote.incr(key, (err, res) => (err ? this.local.incr(key, cb, tw, mx) : cb(null, res)), tw, mx);
    }

    child(routeOptions: unknown): FallbackStore {
      return new FallbackStore(this.local.child(routeOptions), this.remote.child(routeOptions));
    }
  }
  // The plugin constructs the store with its global parameters (typed loosely by the plugin).
  return function Store(options: { continueExceeding?: boolean; exponentialBackoff?: boolean; cache?: number }) {
    const continueExceeding = options.continueExceeding ?? false;
    const exponentialBackoff = options.exponentialBackoff ?? false;
    return new FallbackStore(
      new LocalStore(continueExceeding, exponentialBackoff, options.cache),
      new RedisStore(continueExceeding, exponentialBackoff, redis, nameSpace),
    ) as unknown as FastifyRateLimitStore;
  } as unknown as FastifyRateLimitStoreCtor;
}
