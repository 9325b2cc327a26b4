import { stdSerializers, type LoggerOptions } from 'pino';

/** Credentials and personal data never reach the logs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.refreshToken',
  '*.accessToken',
  '*.mfaToken',
  '*.token',
  '*.secret',
  '*.key',
  '*.email',
  '*.phone',
];

/**
 * Query parameters whose values are logged as sent: paging sizes, sorting, time windows, enums and
 * ids (which the paths log anyway), none of which carries a credential or personal data. Every
 * other value (a search term, a token, a cursor that may encode the last row's email, anything a
 * future route adds) is logged as `[redacted]` until it is listed here.
 */
export const LOGGED_QUERY_PARAMS = new Set([
  ...['limit', 'sort', 'since', 'from', 'to', 'tz', 'agg', 'interval', 'period', 'format', 'view', 'partial', 'bbox'],
  ...['status', 'priority', 'severity', 'kind', 'channel', 'metric', 'action', 'entityType', 'active', 'isActive', 'acknowledged', 'deleted'],
  ...['org', 'userId', 'agentId', 'assigneeId', 'ownerId', 'teamId', 'deviceId', 'operationId', 'entityId', 'hub.mode'],
]);

/** The request URL as logged: the path as is, the query with the values of all but `LOGGED_QUERY_PARAMS` redacted. */
export function loggedUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // a malformed name is logged as sent, its value redacted
      }
      if (eq < 0) return LOGGED_QUERY_PARAMS.has(decoded) || pair === '' ? pair : '[redacted]';
      return LOGGED_QUERY_PARAMS.has(decoded) ? pair : `${name}=[redacted]`;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}

const EMAIL = /[^\s@"'<>()[\]{},;:/\\]+@[^\s@"'<>()[\]{},;:/\\]+\.[A-Za-z]{2,}/g;

/**
 * Error text as logged: a failed query's bound values (Drizzle puts them in the message and keeps
 * them as `params`), the key values PostgreSQL quotes in a constraint violation, and any email
 * address are removed; the query, the constraint and the cause stay, for debugging.
 */
function scrub(text: string, params: string[]): string {
  let out = text;
  for (const p of params) if (p) out = out.split(`params: ${p}`).join('params: [redacted]');
  return out.replace(/(Key \([^)]*\)=\()[\s\S]*?(\) (?:already exists|is not present|is still referenced|conflicts))/g, '$1[redacted]$2').replace(EMAIL, '[email]');
}

/** The error serializer: pino's own, then scrubbed (see `scrub`); strings logged as `err` are scrubbed too. */
export function serializeError(err: unknown): unknown {
  if (typeof err === 'string') return scrub(err, []);
  const out = stdSerializers.err(err as Error) as unknown;
  if (out === err || out === null || typeof out !== 'object') return out;
  const params: string[] = [];
  for (let e: unknown = err; e && typeof e === 'object' && params.length < 10; e = (e as { cause?: unknown }).cause) {
    const p = (e as { params?: unknown }).params;
    if (p !== undefined) params.push(String(p));
  }
  const o = out as Record<string, unknown>;
  delete o.params;
  for (const field of ['message', 'stack', 'detail', 'where', 'hint']) if (typeof o[field] === 'string') o[field] = scrub(o[field] as string, params);
  return o;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: loggedUrl(req.url), id: req.id }),
      err: serializeError,
    },
  };
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
interface ChildOf {
  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): PinoLike;
  isLevelEnabled(level: string): boolean;
  level: string;
}
type PinoLike = ChildOf & Record<Level, (...args: unknown[]) => void> & { silent: (...args: unknown[]) => void };

/**
 * A request's logger, made on first use. Fastify gives every request a pino child bound to its
 * request id, and making one serializes the bindings (through redaction) even when nothing will be
 * logged: at LOG_LEVEL=warn or above, most requests never log. This one checks the level first and
 * makes the real child only for a line that will be written, so what is logged is the same.
 */
export class LazyChildLogger {
  readonly #parent: ChildOf;
  readonly #bindings: Record<string, unknown>;
  readonly #options: Record<string, unknown> | undefined;
  #child: PinoLike | undefined;

  constructor(parent: ChildOf, bindings: Record<string, unknown>, options?: Record<string, unknown>) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): PinoLike {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options));
  }

  #log(level: Level, args: unknown[]) {
    if (this.#child ? this.#child.isLevelEnabled(level) : this.#parent.isLevelEnabled(level)) this.#real()[level](...args);
  }

  fatal(...args: unknown[]) {
    this.#log('fatal', args);
  }
  error(...args: unknown[]) {
    this.#log('error', args);
  }
  warn(...args: unknown[]) {
    this.#log('warn', args);
  }
  info(...args: unknown[]) {
    this.#log('info', args);
  }
  debug(...args: unknown[]) {
    this.#log('debug', args);
  }
  trace(...args: unknown[]) {
    this.#log('trace', args);
  }
  silent() {}
  child(bindings: Record<string, unknown>, options?: Record<string, unknown>) {
    return this.#real().child(bindings, options);
  }
  isLevelEnabled(level: string) {
    return this.#child ? this.#child.isLevelEnabled(level) : this.#parent.isLevelEnabled(level);
  }
  get level(): string {
    return this.#child ? this.#child.level : this.#parent.level;
  }
  set level(level: string) {
    this.#real().level = level;
  }
}

/**
 * Fastify's `childLoggerFactory`: a lazy child (see LazyChildLogger), unless the route sets its own
 * log level, which only a real child can carry, or the logger is not pino (`logger: false`).
 */
export function lazyChildLoggerFactory(logger: unknown, bindings: Record<string, unknown>, options: Record<string, unknown>) {
  const parent = logger as ChildOf;
  if (options.level !== undefined || typeof parent.isLevelEnabled !== 'function') return parent.child(bindings, options);
  return new LazyChildLogger(parent, bindings, Object.keys(options).length ? options : undefined);
}
