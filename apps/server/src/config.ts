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
  /** Failed logins on one account before back-off starts. */
  LOCKOUT_THRESHOLD: z.coerce.number().int().positive().default(5),
  IMSOP_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  IMSOP_ADMIN_EMAIL: z.email().optional(),
  IMSOP_ADMIN_PASSWORD: z.string().min(12).max(128).optional(),
  SECURE_COOKIES: bool.optional(),
  /** An external MQTT broker (mqtt://…); when unset an embedded broker listens on MQTT_PORT. */
  MQTT_URL: optionalUrl,
  /** Port of the embedded MQTT broker; 0 picks a free port. (1883 is often taken by a system broker.) */
  MQTT_PORT: z.coerce.number().int().min(0).max(65535).default(1884),
  /** Set to false to run without MQTT ingestion. */
  MQTT_ENABLED: bool.default(true),
  /** Telemetry points waiting to be written before ingestion sheds load with 503. */
  INGEST_MAX_PENDING: z.coerce.number().int().min(1000).default(200_000),
  TRUST_PROXY: bool.default(false),
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
});

export type Config = Readonly<
  Omit<z.infer<typeof configSchema>, 'IMSOP_DATA_DIR'> & { IMSOP_DATA_DIR: string }
>;

export class ConfigError extends Error {}

/** Parses the environment into a frozen Config; a bad value throws one line naming the variable. */
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
