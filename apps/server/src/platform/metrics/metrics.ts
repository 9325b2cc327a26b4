import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { safeEqual, sha256 } from '../auth/crypto.ts';
import { sendProblem } from '../http/api.ts';
import { problem } from '../http/errors.ts';

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Series {
  labels: { method: string; route: string; status: string };
  /** Observations per bucket (the last one: above every bound), not cumulative. */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * The request-duration histogram, by method, route pattern and status. prom-client's Histogram
 * validates and hashes a labels object on every observation, a measurable part of a small
 * request's cost; this one finds the series through three map lookups (route, method, status)
 * and exposes exactly what prom-client's Histogram would (`get()` in its format, tested against it).
 */
export class RequestDurations {
  readonly name = 'http_request_duration_seconds';
  readonly help = 'HTTP request duration in seconds, by method, route pattern and status';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #routes = new Map<string, Map<string, Map<number, Series>>>();
  readonly #series: Series[] = [];

  observe(method: string, route: string, status: number, seconds: number) {
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${seconds}`);
    let byMethod = this.#routes.get(route);
    if (!byMethod) this.#routes.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) {
      s = { labels: { method, route, status: String(status) }, buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      byStatus.set(status, s);
      this.#series.push(s);
    }
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    s.buckets[i]!++;
    s.sum += seconds;
    s.count++;
  }

  async get() {
    const name = `${this.name}_bucket`;
    const values: { labels: Record<string, string | number>; sharedLabels: Series['labels']; value: number; metricName: string; exemplar?: null }[] = [];
    for (const s of this.#series) {
      let acc = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        acc += s.buckets[i]!;
        values.push({ labels: { le }, sharedLabels: s.labels, value: acc, metricName: name, exemplar: null });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: name, exemplar: null });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset() {
    this.#routes.clear();
    this.#series.length = 0;
  }
}

/**
 * Prometheus metrics: request duration by route and status, plus the process's own metrics. With a
 * `token` (METRICS_TOKEN), GET /metrics answers only `Authorization: Bearer <token>` (401 otherwise).
 */
export function registerMetrics(app: FastifyInstance, opts: { token?: string | undefined } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new RequestDurations();
  registry.registerMetric(duration as unknown as Metric);
  // A callback hook (no promise per request).
  app.addHook('onResponse', (req, reply, done) => {
    // The route pattern, never the raw URL, so ids do not explode the label set.
    const route = req.routeOptions.url ?? 'unmatched';
    if (route !== '/metrics') duration.observe(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  const allowed = opts.token ? bearerCheck(opts.token) : null;
  app.get(
    '/metrics',
    {
      schema: { hide: true },
      ...(allowed && {
        onRequest: async (req, reply) => {
          if (allowed(req.headers.authorization)) return;
          return sendProblem(reply, problem(401, 'unauthorized', 'The metrics need Authorization: Bearer and the METRICS_TOKEN.'), {
            'www-authenticate': 'Bearer realm="metrics"',
          });
        },
      }),
    },
    async (_req, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
  return registry;
}

/**
 * Whether an Authorization header carries the token: compared as SHA-256 digests, so the time
 * taken says nothing of the token (its length included).
 */
function bearerCheck(token: string) {
  const expected = sha256(token);
  return (header: string | undefined) => {
    const m = /^Bearer +(\S+) *$/i.exec(header ?? '');
    return !!m && safeEqual(sha256(m[1]!), expected);
  };
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

type Labels = Record<string, string>;

/** A metric of `scrapedMetrics`: its series in one reading. */
export interface ScrapedMetric<T> {
  /** Default: a gauge. A counter is for running totals kept elsewhere (in the database, in the process). */
  kind?: 'gauge' | 'counter';
  name: string;
  help: string;
  labelNames?: readonly string[];
  /** The series of a reading as [labels, value] pairs; a metric without labels gives one pair with `{}`. */
  series(reading: T): Iterable<readonly [Labels, number]>;
}

/**
 * Metrics taken from one reading per scrape (typically one aggregate query): the metrics of one
 * scrape share the reading, and a scrape never waits long for it (`scrapeReader`: the last reading
 * serves while the database is slow or down; none before the first, and the metrics then expose
 * no series rather than zeros that are not known).
 */
export function scrapedMetrics<T>(registry: Registry, read: () => Promise<T>, metrics: readonly ScrapedMetric<T>[]) {
  const reading = scrapeReader(read);
  for (const m of metrics) {
    const Metric = m.kind === 'counter' ? Counter : Gauge;
    new Metric({
      name: m.name,
      help: m.help,
      labelNames: m.labelNames ?? [],
      registers: [registry],
      async collect(this: Gauge | Counter) {
        const r = await reading();
        if (r === null) return;
        this.reset();
        for (const [labels, value] of m.series(r)) {
          if (this instanceof Gauge) this.set(labels, value);
          else this.inc(labels, value);
        }
      },
    });
  }
}

/** Series for every value of a bounded label, 0 for those the reading has no count of (a series that exists at 0 beats one that vanishes). */
export function everyLabel(label: string, values: readonly string[], counts: ReadonlyMap<string, number>) {
  return values.map((v) => [{ [label]: v }, counts.get(v) ?? 0] as const);
}

/** Series of a reading that is a list: one per item, labelled by `key` (`per((s) => s.pending)`). */
export function seriesPer<S>(label: string, key: (item: S) => string) {
  return (value: (item: S) => number) => (items: readonly S[]) => items.map((s) => [{ [label]: key(s) }, value(s)] as const);
}
