import path from 'node:path';
import { z } from 'zod';

const duration = (def: number, max?: number) => {
  let s = z.coerce.number().int().positive();
  if (max !== undefined) s = s.max(max);
  return s.default(def);
};

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url().optional())
  .optional();

/** A credential: never printed back in an error (the message names the variable only). */
const secret = z.string().min(8, 'must be at least 8 characters').max(1024).optional();

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: optionalUrl,
  IMSOP_DATA_DIR: z.string().min(1).default('./data'),
  REDIS_URL: optionalUrl,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.url())),
  /** Access token lifetime in seconds; at most one hour. */
  ACCESS_TOKEN_TTL: duration(15 * 60, 3600),
  /** Refresh token lifetime in seconds (default 7 days). */
  REFRESH_TOKEN_TTL: duration(7 * 24 * 3600),
  /** A session with no activity for this many seconds ends (default 12 hours). */
  SESSION_IDLE_TIMEOUT: duration(12 * 3600),
  /** Seconds during which a rotated refresh token returns its successor instead of revoking (max 10). */
  REFRESH_GRACE_SECONDS: z.coerce.number().int().min(0).max(10).default(10),
  /** Requests per minute per IP on /api/auth. */
  AUTH_RATE_LIMIT: z.coerce.number().int().positive().default(30),
  /** Seconds a password-reset link stays valid (default 30 minutes, at most a day). */
  PASSWORD_RESET_TTL: duration(30 * 60, 24 * 3600),
  /** Password-reset requests per email address per hour (beside the per-IP AUTH_RATE_LIMIT). */
  PASSWORD_RESET_RATE_LIMIT: z.coerce.number().int().positive().default(5),
  /** Seconds an invitation link stays valid (default 7 days, at most 30 days). */
  INVITATION_TTL: duration(7 * 24 * 3600, 30 * 24 * 3600),
  /** Failed logins on one account before back-off starts. */
  LOCKOUT_THRESHOLD: z.coerce.number().int().positive().default(5),
  IMSOP_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  IMSOP_ADMIN_EMAIL: z.email().optional(),
  IMSOP_ADMIN_PASSWORD: z.string().min(12).max(128).optional(),
  SECURE_COOKIES: bool.optional(),
  /** An external MQTT broker (mqtt://…); when unset an embedded broker listens on MQTT_PORT. */
  MQTT_URL: optionalUrl,
  /**
   * The client id of the external MQTT session (default imsop-ingest). One per cluster: instances on
   * one database elect a leader that holds the session; the others stand by.
   */
  MQTT_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "-" or "_"')
    .optional(),
  /** Port of the embedded MQTT broker; 0 picks a free port. (1883 is often taken by a system broker.) */
  MQTT_PORT: z.coerce.number().int().min(0).max(65535).default(1884),
  /** Set to false to run without MQTT ingestion. */
  MQTT_ENABLED: bool.default(true),
  /**
   * Where devices reach the MQTT broker (mqtt://host:port or mqtts://host:port), shown with each
   * device's connection details. Default: the embedded broker's port on PUBLIC_URL's host (else the
   * host the console was opened on); with MQTT_URL, that broker's address without its credentials.
   */
  MQTT_PUBLIC_URL: optionalUrl.refine((v) => v === undefined || /^mqtts?:\/\/[^/]+/.test(v), 'must be an mqtt:// or mqtts:// URL'),
  /** Telemetry points waiting to be written before ingestion sheds load with 503. */
  INGEST_MAX_PENDING: z.coerce.number().int().min(1000).default(200_000),
  TRUST_PROXY: bool.default(false),
  /**
   * Contract checks at run time: event payloads against their schemas, an audit record for every
   * change. On unless NODE_ENV=production (tests and development run with them).
   */
  STRICT_CHECKS: bool.optional(),
  /** The console's public address, used in links sent to people (requester links, CSAT surveys). */
  PUBLIC_URL: optionalUrl,
  /** Largest accepted upload in bytes (default 10 MiB). */
  UPLOAD_MAX_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
  /** Public ticket form submissions (and anonymous uploads) per IP per hour. */
  TICKET_FORM_RATE_LIMIT: z.coerce.number().int().positive().default(10),
  /** Uploads per signed-in user (or API key) per hour; counted apart from the anonymous per-IP limit. */
  UPLOAD_USER_RATE_LIMIT: z.coerce.number().int().positive().default(600),
  /** Outbound email over SMTP (smtp://user:pass@host:port); unset keeps mail in the notifications log. */
  SMTP_URL: optionalUrl,
  /** Days the outbox keeps events (live views replay at most that far back); an event a durable subscription still waits for stays. */
  EVENTS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  /** Days a dead letter is kept once replayed successfully (those still dead stay until replayed). */
  DEAD_LETTERS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** How often the SLA scheduler looks for warnings, breaches and escalations that fell due (0: never). */
  SLA_TICK_SECONDS: z.coerce.number().int().min(0).max(3600).default(10),
  /** The From address of outbound email. */
  MAIL_FROM: z.string().trim().min(3).max(254).default('IMSOP Service Desk <support@imsop.local>'),
  /** WhatsApp Business Cloud API (Graph API) base URL and version. */
  WHATSAPP_API_URL: z.url().default('https://graph.facebook.com'),
  WHATSAPP_API_VERSION: z.string().regex(/^v\d+\.\d+$/, 'must look like v21.0').default('v21.0'),
  /** Access token of a system user with whatsapp_business_messaging; with the phone number id, enables sending. */
  WHATSAPP_TOKEN: secret,
  /** The business phone number's id (digits) that sends, and whose inbound messages are read. */
  WHATSAPP_PHONE_NUMBER_ID: z.string().regex(/^\d{1,32}$/, 'must be the numeric phone number id').optional(),
  /** The Meta app secret: inbound webhooks are accepted only with its X-Hub-Signature-256. */
  WHATSAPP_APP_SECRET: secret,
  /** The verify token of the webhook subscription handshake. */
  WHATSAPP_VERIFY_TOKEN: secret,
  /**
   * The organization (slug) whose service desk owns the WhatsApp number: only its webhook URL accepts
   * WhatsApp deliveries (the signature covers the body, not the URL, so without an owner a delivery
   * for one org could be replayed to another's URL). Required with WHATSAPP_APP_SECRET.
   */
  WHATSAPP_ORG: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be an organization slug').optional(),
  /** Twilio REST API base URL. */
  TWILIO_API_URL: z.url().default('https://api.twilio.com'),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be an account SID (AC followed by 32 hex digits)').optional(),
  /** Auth token: the basic-auth password for sending and the key of inbound X-Twilio-Signature. */
  TWILIO_AUTH_TOKEN: secret,
  /** The SMS sender: an E.164 number or a Messaging Service SID (MG…). */
  TWILIO_FROM: z.string().regex(/^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/, 'must be an E.164 number or a Messaging Service SID').optional(),
  /**
   * Requests in progress at once before new ones get 503 `overloaded`; 0 turns the cap off.
   * Unset: 256 on PostgreSQL, 64 on PGlite (one connection, about a third of the throughput).
   */
  MAX_IN_FLIGHT: z.coerce.number().int().min(0).optional(),
  /**
   * Mean event-loop delay (ms, over 1 s samples) above which requests get 503 `overloaded`; 0 (the
   * default) turns it off. Opt-in: on a shared or oversubscribed host, the lag also counts the time
   * the process waits for a CPU, and would shed at light load.
   */
  MAX_EVENT_LOOP_DELAY: z.coerce.number().int().min(0).default(0),
  /**
   * Validate every API response against its Zod schema (and check that the compiled serializer
   * answers the same bytes) instead of only serializing it. Unset: on when NODE_ENV=test.
   */
  RESPONSE_VALIDATION: bool.optional(),
  /**
   * When set, GET /metrics answers only `Authorization: Bearer <this token>` (Prometheus'
   * `authorization.credentials`); unset, /metrics is open (firewall the port in production).
   */
  METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .max(1024)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
}).superRefine((c, ctx) => {
  // Half a channel is a mistake worth refusing at start rather than discovering at the first message.
  const pairs: [keyof typeof c, keyof typeof c][] = [
    ['WHATSAPP_TOKEN', 'WHATSAPP_PHONE_NUMBER_ID'],
    ['WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_TOKEN'],
    ['WHATSAPP_APP_SECRET', 'WHATSAPP_ORG'],
    ['TWILIO_FROM', 'TWILIO_ACCOUNT_SID'],
    ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'],
  ];
  for (const [set, needed] of pairs) {
    if (c[set] !== undefined && c[needed] === undefined) ctx.addIssue({ code: 'custom', path: [needed], message: `must be set when ${set} is` });
  }
});

export type Config = Readonly<
  Omit<z.infer<typeof configSchema>, 'IMSOP_DATA_DIR'> & { IMSOP_DATA_DIR: string }
>;

export class ConfigError extends Error {}

/** Parses the environment into a frozen Config; a bad value throws one line naming the variable. */
/** The URL people reach the server at: PUBLIC_URL, else the HTTP address it listens on. */
export function publicUrlOf(config: Pick<Config, 'PUBLIC_URL' | 'HOST' | 'PORT'>): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL;
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST === '::' ? '[::1]' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  return `http://${host}:${config.PORT}`;
}

/**
 * The WebAuthn relying party, from the public URL: passkeys are bound to its host (the RP id, no
 * port) and accepted only from its origin (scheme, host and port), so PUBLIC_URL must be the
 * address people open in the browser. The RP id must be a domain name (`localhost` counts); a
 * browser refuses passkeys on a bare IP address.
 */
export function relyingPartyOf(publicUrl: string): { id: string; origin: string } {
  const url = new URL(publicUrl);
  return { id: url.hostname.replace(/^\[|\]$/g, ''), origin: url.origin };
}

/** Whether `host` (the address the server listens on) is reachable only from this machine. */
function loopbackOnly(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** What the server says at start about a setup that works but not as people may expect. */
export function startupWarnings(config: Pick<Config, 'SMTP_URL' | 'HOST' | 'METRICS_TOKEN'>): string[] {
  const out: string[] = [];
  if (!config.SMTP_URL) out.push('No mail server is configured (SMTP_URL): mail is only being logged, not sent. Read it under Admin › Outgoing messages; set SMTP_URL to send it.');
  // The metrics name routes, queues and business counts: not for everyone who reaches the port.
  if (!config.METRICS_TOKEN && !loopbackOnly(config.HOST)) {
    out.push(`GET /metrics answers anyone who can reach ${config.HOST}; set METRICS_TOKEN to require a bearer token`);
  }
  return out;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid configuration: ${name}: ${issue.message}`);
  }
  return Object.freeze({ ...parsed.data, IMSOP_DATA_DIR: path.resolve(parsed.data.IMSOP_DATA_DIR) });
}
