import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { can } from '../access/ability.ts';
import type { Actor, RequestMeta } from '../access/actor.ts';
import type { Permission } from '../access/catalogue.ts';
import { isDatabaseUnavailable } from '../db/client.ts';
import { errorSummary } from '../logging/outage.ts';
import { AppError, problem, type Problem } from './errors.ts';
import { responseSerializerCompiler } from './serializer.ts';

/**
 * What a route requires, declared on every route (`config.auth`):
 * - `public`: anyone;
 * - `authenticated`: any signed-in user or API key;
 * - a permission: the actor must hold it (conditions are checked by the service);
 * - `platform_admin`: org-less administration.
 */
export type RouteAuth = 'public' | 'authenticated' | 'platform_admin' | Permission;

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifySchema {
    /** What the route requires (its `config.auth`), published in the OpenAPI document. */
    'x-permission'?: RouteAuth;
  }
}

export type ApiInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface Authenticator {
  /** May answer without a promise when everything it needs is in memory. */
  fromAccessToken(token: string, meta: RequestMeta): Actor | null | Promise<Actor | null>;
  fromApiKey(key: string, meta: RequestMeta): Promise<Actor | null>;
}

export const metaOf = (req: FastifyRequest): RequestMeta => ({
  ip: req.ip ?? null,
  userAgent: (req.headers['user-agent'] ?? '').slice(0, 512) || null,
  requestId: String(req.id),
});

export function sendProblem(reply: FastifyReply, p: Problem, headers: Record<string, string> = {}) {
  return reply.code(p.status).headers(headers).type('application/problem+json').send(p);
}

/** The actor of an authenticated route (the hook has already refused anonymous requests). */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new AppError(401, 'unauthorized', 'Authentication is required.');
  return req.actor;
}

/** The path of the first string (or key) holding U+0000, which PostgreSQL text cannot store; walked without recursion. */
export function nulPath(value: unknown, root: string): string | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path;
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k.includes('\u0000')) return `${path}.${k.replaceAll('\u0000', '\\0')}`;
        stack.push([child, `${path}.${k}`]);
      }
    }
  }
  return null;
}

function authenticate(req: FastifyRequest, auth: Authenticator): Actor | null | Promise<Actor | null> {
  const header = req.headers.authorization;
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return auth.fromApiKey(apiKey, metaOf(req));
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) return null;
  const token = m[1]!;
  return token.startsWith('imsop_') ? auth.fromApiKey(token, metaOf(req)) : auth.fromAccessToken(token, metaOf(req));
}

/**
 * The API scope: Zod compilers (encapsulated here so other plugins such as GraphQL keep theirs),
 * authentication and route-level authorization before validation, and problem+json errors.
 */
export function setupApi(api: FastifyInstance, auth: Authenticator, options: { validateResponses?: boolean | undefined } = {}) {
  api.setValidatorCompiler(validatorCompiler);
  // Responses are validated against their schema in tests, and serialized by compiled functions in production.
  api.setSerializerCompiler(responseSerializerCompiler({ checked: options.validateResponses ?? process.env.NODE_ENV === 'test' }));
  api.decorateRequest('actor', null);
  // JSON only: any other media type answers 415 rather than reaching a handler as a string.
  api.removeContentTypeParser('text/plain');

  api.addHook('onRoute', (route) => {
    if (!route.config?.auth) throw new Error(`Route ${route.method} ${route.url} does not declare config.auth`);
    // Published as an operation extension, so clients and the proof suite know what each route requires;
    // public routes need no credential unless they declare the ones they take (`schema.security`).
    const anonymous = route.config.auth === 'public' && !route.schema?.security;
    route.schema = { ...route.schema, 'x-permission': route.config.auth, ...(anonymous ? { security: [] } : {}) };
  });

  /** Whether the actor may call the route: null, or the error to answer with. */
  const admit = (req: FastifyRequest, actor: Actor | null): AppError | null => {
    const required = req.routeOptions.config.auth;
    req.actor = actor;
    if (!required || required === 'public') return null;
    if (!actor) return new AppError(401, 'unauthorized', 'Authentication is required: send a Bearer token or an API key.');
    if (required === 'authenticated') return null;
    if (required === 'platform_admin') return actor.isPlatformAdmin ? null : new AppError(403, 'forbidden', 'Only platform administrators can do this.');
    if (!can(actor, required)) return new AppError(403, 'forbidden', `You need the "${required}" permission to do this.`, { permission: required });
    return null;
  };
  // A callback hook: a credential found in memory costs no promise (the common case).
  api.addHook('onRequest', (req, _reply, done) => {
    const required = req.routeOptions.config.auth;
    // Public routes still learn who is calling, when a credential is sent.
    if ((!required || required === 'public') && !req.headers.authorization && !req.headers['x-api-key']) return done();
    let found: Actor | null | Promise<Actor | null>;
    try {
      found = authenticate(req, auth);
    } catch (err) {
      return done(err as Error);
    }
    if (!(found instanceof Promise)) return done(admit(req, found) ?? undefined);
    found.then((actor) => done(admit(req, actor) ?? undefined), done);
  });

  // Refused at the edge with the field's name, rather than failing in the database with a 500. A
  // callback hook: no promise per request.
  api.addHook('preValidation', (req, _reply, done) => {
    for (const [where, value] of [['params', req.params], ['querystring', req.query], ['body', req.body]] as const) {
      const path = nulPath(value, where);
      if (path) {
        const message = 'NUL characters (U+0000) are not allowed.';
        return done(new AppError(400, 'validation_failed', `Invalid ${where}: ${path}: ${message}`, { errors: [{ path, message }] }));
      }
    }
    done();
  });

  api.setErrorHandler((err: FastifyError, req, reply) => errorToProblem(err, req, reply));
}

export function errorToProblem(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AppError) {
    return sendProblem(reply, problem(err.status, err.code, err.message, err.extra), err.headers);
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as FastifyError).validationContext ?? 'body';
    const errors = err.validation.map((v) => ({
      path: [where, ...v.instancePath.split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'Invalid value',
    }));
    const detail = `Invalid ${where}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`.slice(0, 1000);
    return sendProblem(reply, problem(400, 'validation_failed', detail, { errors }));
  }
  if (isResponseSerializationError(err)) {
    req.log.error({ err: err.cause.issues, url: req.routeOptions.url }, 'response does not match its schema');
    return sendProblem(reply, problem(500, 'internal_error', 'An unexpected error occurred.', { requestId: req.id }));
  }
  const fe = err as FastifyError;
  const status = fe.statusCode ?? 500;
  if (status === 429) {
    const retry = String(reply.getHeader('retry-after') ?? 60);
    return sendProblem(reply, problem(429, 'rate_limited', fe.message || 'Too many requests; slow down.', { retryAfter: Number(retry) }), {
      'retry-after': retry,
    });
  }
  if (status >= 400 && status < 500) {
    const code =
      status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : status === 400 ? 'bad_request' : 'client_error';
    return sendProblem(reply, problem(status, code, fe.message || 'Bad request.'));
  }
  if (isDatabaseUnavailable(err)) {
    // One line per outage burst, not one per request: under load an outage would flood the log.
    const now = Date.now();
    if (now - unavailableLoggedAt > 10_000) {
      unavailableLoggedAt = now;
      req.log.warn({ err: errorSummary(err) }, 'database unavailable; answering 503');
    }
    return sendProblem(
      reply,
      problem(503, 'database_unavailable', 'The database is unreachable right now; retry shortly.', { retryAfter: DB_RETRY_AFTER }),
      { 'retry-after': String(DB_RETRY_AFTER) },
    );
  }
  req.log.error({ err }, 'unhandled error');
  return sendProblem(reply, problem(500, 'internal_error', 'An unexpected error occurred.', { requestId: req.id }));
}

/** Seconds a client should wait before retrying while the database is unreachable. */
const DB_RETRY_AFTER = 2;
let unavailableLoggedAt = 0;
