import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics: request duration by route and status, plus the process's own metrics. */
export function registerMetrics(app: FastifyInstance) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // The histogram's child for each label set, looked up by a string: observing with a labels object
  // hashes the object on every request. The set is bounded: route patterns × methods × statuses.
  const observers = new Map<string, { observe(value: number): void }>();
  // A callback hook (no promise per request).
  app.addHook('onResponse', (req, reply, done) => {
    // The route pattern, never the raw URL, so ids do not explode the label set.
    const route = req.routeOptions.url ?? 'unmatched';
    if (route !== '/metrics') {
      const key = `${req.method} ${reply.statusCode} ${route}`;
      let observer = observers.get(key);
      if (!observer) {
        observer = duration.labels(req.method, route, String(reply.statusCode));
        observers.set(key, observer);
      }
      observer.observe(reply.elapsedTime / 1000);
    }
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}

/** A counter read from a running total kept elsewhere (e.g. the ingest writer's), at each scrape. */
export function counterFrom(registry: Registry, name: string, help: string, read: () => number) {
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A gauge read from a live value kept elsewhere, at each scrape. */
export function gaugeFrom(registry: Registry, name: string, help: string, read: () => number) {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/**
 * A reading from the database for the scrape (durable subscriptions, jobs): one read at a time,
 * shared by the metrics of one scrape, and a scrape never waits more than `waitMs` for it: while the
 * database is slow, held or down, the last reading serves (none before the first), so /metrics
 * answers whatever the database does.
 */
export function scrapeReader<T>(read: () => Promise<T>, waitMs = 250): () => Promise<T | null> {
  let last: T | null = null;
  let inFlight: Promise<void> | null = null;
  return async () => {
    inFlight ??= read()
      .then(
        (v) => {
          last = v;
        },
        () => undefined,
      )
      .finally(() => {
        inFlight = null;
      });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([inFlight, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    return last;
  };
}
