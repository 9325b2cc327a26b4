import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { OPENAPI_PLACEHOLDER_ORIGIN, openApiTransform, openApiTransformObject, serverEntry } from './platform/http/openapi-transform.ts';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { publicUrlOf, type Config } from './config.ts';
import { systemClock, type Clock } from './platform/clock.ts';
import { loadKeys } from './platform/auth/keys.ts';
import { createTokenService } from './platform/auth/tokens.ts';
import { localBus, redisBus, type Bus } from './platform/bus/bus.ts';
import type { Database } from './platform/db/client.ts';
import { errorToProblem, sendProblem, setupApi, type ApiInstance } from './platform/http/api.ts';
import { problem } from './platform/http/errors.ts';
import { registerLoadShedding } from './platform/http/load-shedding.ts';
import { fallbackRateLimitStore } from './platform/http/rate-limit-store.ts';
import { registerSecurityHeaders } from './platform/http/security-headers.ts';
import { lazyChildLoggerFactory, loggerOptions } from './platform/logging/logger.ts';
import { outageReporter } from './platform/logging/outage.ts';
import { counterFrom, gaugeFrom, registerMetrics } from './platform/metrics/metrics.ts';
import websocket from '@fastify/websocket';
import { createDispatcher, type Dispatcher } from './platform/events/dispatcher.ts';
import { createSubscriptions, registerSubscriptionMetrics, type Subscriptions } from './platform/events/subscriptions.ts';
import { createDeadLettersService } from './platform/events/dead-letters.ts';
import { outboxRetentionJob } from './platform/events/retention.ts';
import { subscriptionsRoutes } from './platform/events/subscriptions.routes.ts';
import { createJobs, registerJobMetrics, type Jobs } from './platform/jobs/jobs.ts';
import { createRealtimeGateway } from './platform/realtime/gateway.ts';
import { createModules, type AnyModule, type RunningModules } from './platform/module/kernel.ts';
import type { ModuleInstance } from './platform/module/module.ts';
import { CATALOGUE, MODULES } from './modules.ts';
import { diskFileStore } from './platform/files/store.ts';
import { signatureScanner } from './platform/files/scan.ts';
import { createNotifier, registerNotificationMetrics, type Notifier } from './platform/notify/notify.ts';
import { smtpTransport } from './platform/notify/email.ts';
import { chatTransport } from './platform/notify/chat.ts';
import { twilioSms } from './platform/messaging/twilio.ts';
import { whatsappCloud } from './platform/messaging/whatsapp.ts';

export interface BuildOptions {
  config: Config;
  database: Database;
  logger?: FastifyServerOptions['logger'];
  /** "Now" for background work (subscription retries, job schedules); tests move it by hand. */
  clock?: Clock;
}

export interface Platform {
  config: Config;
  database: Database;
  bus: Bus;
  redis: Redis | null;
  modules: RunningModules;
  /** A module's running instance, typed by its definition (tests and scripts reach services this way). */
  module<D extends AnyModule>(def: D): Awaited<ReturnType<D['create']>>;
  notifier: Notifier;
  dispatcher: Dispatcher;
  /** Durable event subscriptions: modules register their handlers here (`subscriptions.register`). */
  subscriptions: Subscriptions;
  /** Background jobs and schedules: modules register theirs here (`jobs.schedule`, `jobs.enqueue`). */
  jobs: Jobs;
  /**
   * Informational lines of /api/ready that parts started outside buildApp add (the MQTT consumer):
   * name → what to say now. They never make the instance "not ready".
   */
  readinessNotes: Map<string, () => string>;
}

declare module 'fastify' {
  interface FastifyInstance {
    platform: Platform;
  }
}

const WEB_ROOT = new URL('../../web/', import.meta.url);
/** The console's production build (`npm run build:web`); without it `/` serves a placeholder. */
const WEB_DIST = new URL('dist/', WEB_ROOT);
const WEB_INDEX = new URL('index.html', WEB_DIST);
const WEB_PLACEHOLDER = new URL('placeholder.html', WEB_ROOT);
/** Paths the console never owns: the API, the docs and the metrics keep their own 404s. */
const NOT_CONSOLE = /^\/(api|docs|metrics)(\/|$)/;

/** Builds the Fastify app: platform plugins, then modules. Never listens. */
export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const { config, database } = opts;
  const app = Fastify({
    logger: opts.logger ?? loggerOptions(config.LOG_LEVEL),
    // A request's child logger is made only when it writes a line (most requests log nothing).
    childLoggerFactory: lazyChildLoggerFactory as never,
    trustProxy: config.TRUST_PROXY,
    bodyLimit: 1024 * 1024,
    requestTimeout: 30_000,
    genReqId: () => crypto.randomUUID(),
    ajv: { customOptions: { removeAdditional: false } },
    // Errors Fastify raises before routing (a malformed percent-encoding in the URL) answer problem+json too.
    frameworkErrors: (err, req, reply) => errorToProblem(err, req, reply),
  });

  // Redis is optional at every moment: while it is unreachable the rate limits count in process and
  // the bus delivers in process; one warning per outage (outageReporter), not one per retry.
  const redisReport = outageReporter(app.log, 'Redis (in-process fallbacks in use)');
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false })
    : null;
  redis?.on('error', (err) => redisReport.failed(err, 'rate limits'));
  redis?.on('ready', () => redisReport.ok('rate limits'));
  const bus = config.REDIS_URL ? redisBus(config.REDIS_URL, redisReport) : localBus();
  const keys = await loadKeys(database.db, config.IMSOP_JWT_SECRET);
  const tokens = createTokenService(keys.jwt, config.ACCESS_TOKEN_TTL);
  const dispatcher = createDispatcher(database.db, bus, {
    onError: (err) => app.log.warn({ err }, 'event subscriber failed'),
    report: outageReporter(app.log, 'Event dispatch (database)'),
  });
  const clock = opts.clock ? { clock: opts.clock } : {};
  const subscriptions = createSubscriptions({ database, bus, log: app.log, report: outageReporter(app.log, 'Event subscriptions (database)'), ...clock });
  const jobs = createJobs({ database, bus, log: app.log, report: outageReporter(app.log, 'Background jobs (database)'), ...clock });
  jobs.schedule(
    'platform.outbox.retention',
    outboxRetentionJob(database.db, { eventsDays: config.EVENTS_RETENTION_DAYS, deadLettersDays: config.DEAD_LETTERS_RETENTION_DAYS }, app.log),
    { every: 3_600_000 },
  );
  const chat = {
    whatsapp: whatsappCloud({
      apiUrl: config.WHATSAPP_API_URL,
      version: config.WHATSAPP_API_VERSION,
      token: config.WHATSAPP_TOKEN,
      phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID,
      appSecret: config.WHATSAPP_APP_SECRET,
      verifyToken: config.WHATSAPP_VERIFY_TOKEN,
    }),
    sms: twilioSms({ apiUrl: config.TWILIO_API_URL, accountSid: config.TWILIO_ACCOUNT_SID, authToken: config.TWILIO_AUTH_TOKEN, from: config.TWILIO_FROM }),
  };
  const notifier = createNotifier({
    db: database.db,
    jobs,
    // A channel without a configured sender keeps its messages in the notifications log.
    transports: {
      ...(config.SMTP_URL ? { email: smtpTransport(config.SMTP_URL, config.MAIL_FROM) } : {}),
      ...(chat.whatsapp.canSend ? { whatsapp: chatTransport(chat.whatsapp) } : {}),
      ...(chat.sms.canSend ? { sms: chatTransport(chat.sms) } : {}),
    },
  });
  const metrics = registerMetrics(app, { token: config.METRICS_TOKEN });
  const modules = await createModules(MODULES, {
    config,
    database,
    db: database.db,
    bus,
    dispatcher,
    notifier,
    keys,
    tokens,
    log: app.log,
    catalogue: CATALOGUE,
    clock: opts.clock ?? systemClock,
    files: { store: diskFileStore(`${config.IMSOP_DATA_DIR}/files`), scanner: signatureScanner },
    jobs,
    subscriptions,
    chat,
    publicUrl: publicUrlOf(config),
    metrics,
    outage: (what) => outageReporter(app.log, what),
    strict: config.STRICT_CHECKS ?? process.env.NODE_ENV !== 'production',
  });
  const authenticator = modules.port('authenticator');
  const realtime = createRealtimeGateway({
    db: database.db,
    dispatcher,
    authenticator,
    accessChanges: modules.port('accessChanges'),
    rules: modules.topics,
    log: app.log,
    bus,
  });
  const readinessNotes = new Map<string, () => string>();
  const instanceOf = (def: AnyModule) => modules.instances.find((i) => i.name === def.name)?.instance as ModuleInstance<never> | undefined;
  const module = <D extends AnyModule>(def: D) => {
    const found = instanceOf(def);
    if (!found) throw new Error(`Module "${def.name}" is not in the app.`);
    return found as Awaited<ReturnType<D['create']>>;
  };
  app.decorate('platform', { config, database, bus, redis, modules, module, notifier, dispatcher, subscriptions, jobs, readinessNotes });
  app.addHook('onReady', async () => {
    await dispatcher.start();
    await subscriptions.start();
    await jobs.start();
    await modules.start();
  });
  app.addHook('onClose', async () => {
    // No job starts while the modules stop; then the modules in reverse order (telemetry drains
    // what is queued: acknowledged points are committed).
    await jobs.stop();
    await modules.stop();
    await subscriptions.stop();
    dispatcher.stop();
    await bus.close();
    redis?.disconnect();
  });

  // First, so that a refused request costs nothing else.
  const shedding = await registerLoadShedding(app, {
    maxInFlight: config.MAX_IN_FLIGHT ?? (database.kind === 'postgres' ? 256 : 64),
    maxEventLoopDelayMs: config.MAX_EVENT_LOOP_DELAY,
  });

  registerSecurityHeaders(app, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        // Upgrading to https would break a console served over plain http (e.g. HOST=0.0.0.0 on a
        // LAN); it is on only when the server says it is reached over HTTPS.
        upgradeInsecureRequests: config.SECURE_COOKIES ? [] : null,
      },
    },
  });
  // Without allowed origins, @fastify/cors (origin: false) adds no header and answers preflights 404
  // like any unknown route, after resolving its options on every request: it is not registered then.
  if (config.CORS_ORIGINS.length) await app.register(cors, { origin: config.CORS_ORIGINS, credentials: true });
  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    ...(redis ? { store: fallbackRateLimitStore(redis, 'imsop-rl:') } : {}),
    errorResponseBuilder: (_req, ctx) =>
      Object.assign(new Error(`Too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s.`), { statusCode: 429 }),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'IMSOP API', version: '0.1.0', description: 'The IMSOP operations platform API.' },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'An access token from /api/auth/login or /api/auth/refresh: a JWS following RFC8725 (HS256 only, never "none"; issuer, type and expiry checked; short-lived, tied to a revocable session).',
          },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          deviceKey: { type: 'apiKey', in: 'header', name: 'X-Device-Key', description: 'A device key (telemetry ingest only)' },
          whatsappSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Hub-Signature-256',
            description: 'WhatsApp webhooks: sha256= and the hex HMAC-SHA256 of the raw body with the Meta app secret',
          },
          whatsappVerifyToken: { type: 'apiKey', in: 'query', name: 'hub.verify_token', description: 'The WhatsApp webhook handshake’s verify token' },
          twilioSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Twilio-Signature',
            description: 'Twilio webhooks: base64 HMAC-SHA1 of the full URL and the sorted POST parameters with the auth token',
          },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
      // The generated document (imsop openapi, packages/sdk) names a placeholder origin; the one a
      // deployment serves at /api/openapi.json names its own (PUBLIC_URL).
      servers: [serverEntry(OPENAPI_PLACEHOLDER_ORIGIN)],
      tags: [
        { name: 'platform', description: 'Liveness and readiness' },
        { name: 'event-subscriptions', description: 'Durable event subscriptions, their backlog and retries, and the dead letters an administrator can replay' },
        ...modules.tags,
      ],
    },
    transform: openApiTransform,
    transformObject: openApiTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  counterFrom(metrics, 'imsop_http_requests_shed_total', 'Requests refused with 503 overloaded (load shedding)', () => shedding.refused);
  gaugeFrom(metrics, 'imsop_http_requests_in_flight', 'Requests in progress (counted against MAX_IN_FLIGHT)', () => shedding.inFlight);
  registerSubscriptionMetrics(metrics, subscriptions);
  registerJobMetrics(metrics, jobs);
  registerNotificationMetrics(metrics, database.db);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  realtime.register(app);

  // The console: hashed assets are immutable; index.html is never cached, so a new build shows up
  // on the next load. Client-side routes (e.g. /operations/…) fall back to index.html below.
  const consoleBuilt = fs.existsSync(WEB_INDEX);
  const sendConsole = async (reply: FastifyReply) => {
    const html = await fs.promises.readFile(consoleBuilt ? WEB_INDEX : WEB_PLACEHOLDER, 'utf8');
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  };
  if (consoleBuilt) {
    await app.register(fastifyStatic, {
      root: fileURLToPath(WEB_DIST),
      prefix: '/',
      decorateReply: false,
      index: false,
      preCompressed: true,
      cacheControl: false,
      allowedPath: (pathname) => !NOT_CONSOLE.test(pathname) && pathname !== '/index.html',
      setHeaders: (reply, filePath) => {
        reply.header('cache-control', /[\\/]assets[\\/]/.test(filePath) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }

  app.setErrorHandler((err, req, reply) => errorToProblem(err as Error, req, reply));
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const wantsPage =
      (req.method === 'GET' || req.method === 'HEAD') && !NOT_CONSOLE.test(path) && (req.headers.accept ?? '').includes('text/html');
    if (consoleBuilt && wantsPage && !/\.[a-z0-9]+$/i.test(path)) return sendConsole(reply);
    return sendProblem(reply, problem(404, 'not_found', `No route for ${req.method} ${path}.`));
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => ({ ...app.swagger(), servers: [serverEntry(publicUrlOf(config))] }));

  await app.register(
    async (api) => {
      setupApi(api, authenticator, { validateResponses: config.RESPONSE_VALIDATION });
      platformRoutes(api as unknown as ApiInstance, database, redis, bus, readinessNotes);
      subscriptionsRoutes(api as unknown as ApiInstance, createDeadLettersService({ db: database.db, subscriptions, topics: modules.topics }));
      modules.routes(api as unknown as ApiInstance);
    },
    { prefix: '/api' },
  );

  app.get('/', { schema: { hide: true } }, async (_req, reply) => sendConsole(reply));

  return app;
}

const readySchema = z.object({ status: z.enum(['ready', 'not ready']), checks: z.record(z.string(), z.string()) });

/** Liveness and readiness: public, outside any org. */
function platformRoutes(api: ApiInstance, database: Database, redis: Redis | null, bus: Bus, notes: Map<string, () => string>) {
  const tags = ['platform'];
  api.get(
    '/health',
    { config: { auth: 'public' }, schema: { tags, operationId: 'getHealth', summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  api.get(
    '/ready',
    {
      config: { auth: 'public' },
      schema: { tags, operationId: 'getReadiness', summary: 'Readiness: database reachable, migrations applied', response: { 200: readySchema, 503: readySchema } },
    },
    async (_req, reply) => {
      const checks: Record<string, string> = {};
      let ok = true;
      try {
        await database.ping();
        const pending = await database.pendingMigrations();
        checks.database = 'ok';
        checks.migrations = pending === 0 ? 'ok' : `${pending} pending`;
        ok = pending === 0;
      } catch {
        checks.database = 'unreachable';
        ok = false;
      }
      // Redis is never required: without it the instance is still ready, on in-process fallbacks.
      const redisUp = redis ? redis.status === 'ready' && bus.healthy() : false;
      checks.cache = redis ? (redisUp ? 'redis' : 'in-process fallback (redis unreachable)') : 'in-process';
      checks.redis = redis ? (redisUp ? 'ok' : 'unreachable') : 'not configured';
      for (const [name, note] of notes) checks[name] = note();
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
    },
  );
}
