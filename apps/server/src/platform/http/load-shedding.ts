import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import underPressure from '@fastify/under-pressure';
import { problem } from './errors.ts';

export interface LoadSheddingOptions {
  /** Requests in progress at once before new ones are refused with 503 (0: no limit). */
  maxInFlight: number;
  /** Mean event-loop delay in ms over a sample interval above which requests are refused (0: off). */
  maxEventLoopDelayMs: number;
  /** How often the event loop is sampled (default 1 s). */
  sampleIntervalMs?: number;
}

/** Liveness, readiness and metrics must answer under load: that is when they matter. */
const EXEMPT = new Set(['/api/health', '/api/ready', '/metrics']);

/**
 * WebSocket upgrades are long-lived (their requests never "finish") and have their own limits.
 * The path is read from the raw URL (the exempt routes have no parameters): `req.routeOptions`
 * builds a new object on every access.
 */
function exempt(req: FastifyRequest): boolean {
  const url = req.raw.url ?? '';
  const q = url.indexOf('?');
  return EXEMPT.has(q < 0 ? url : url.slice(0, q)) || (req.headers.upgrade !== undefined && /^websocket$/i.test(req.headers.upgrade));
}

/** Sets the 503's status and headers and returns its problem body. */
function overloaded(reply: FastifyReply, retryAfter: number, detail: string) {
  reply.code(503).header('retry-after', String(retryAfter)).type('application/problem+json');
  return problem(503, 'overloaded', detail, { retryAfter });
}

/**
 * Load shedding: past its capacity the server answers 503 `overloaded` with Retry-After at once,
 * instead of queueing without bound (latency and memory growing until requests time out).
 * - A cap on requests in progress (counted from arrival to the end of the response, aborted ones
 *   included) bounds the queue in front of the database pool: past it, the answer costs microseconds.
 * - @fastify/under-pressure refuses requests while the event loop lags (CPU saturated).
 * Health, readiness, metrics and WebSocket upgrades are never refused. Registered on the root
 * instance before everything else, so a refused request costs no authentication or parsing.
 */
export async function registerLoadShedding(app: FastifyInstance, opts: LoadSheddingOptions) {
  let inFlight = 0;
  let refused = 0;
  if (opts.maxInFlight > 0) {
    // On every request, so kept cheap: a callback hook (no promise) and one shared listener.
    const release = () => {
      inFlight--;
    };
    app.addHook('onRequest', (req, reply, done) => {
      if (exempt(req)) return done();
      if (inFlight >= opts.maxInFlight) {
        refused++;
        reply.send(overloaded(reply, 1, 'The server is at capacity; retry shortly.'));
        return;
      }
      inFlight++;
      // 'close' fires once the response is sent or the client went away, whichever comes first.
      reply.raw.once('close', release);
      done();
    });
  }
  if (opts.maxEventLoopDelayMs > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: opts.maxEventLoopDelayMs,
      sampleInterval: opts.sampleIntervalMs ?? 1_000,
      // under-pressure sends what the handler returns (its types say void; undefined carries on).
      pressureHandler: ((req: FastifyRequest, reply: FastifyReply) => {
        if (exempt(req)) return undefined;
        refused++;
        return overloaded(reply, 2, 'The server is overloaded; retry shortly.');
      }) as never,
    });
  }
  return {
    get inFlight() {
      return inFlight;
    },
    /** Requests refused since start. */
    get refused() {
      return refused;
    },
  };
}
