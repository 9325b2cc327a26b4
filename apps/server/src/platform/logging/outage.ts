/**
 * Throttled reporting of a failing dependency (the database for a background loop, a Redis
 * connection): one warning when it starts failing, a reminder at most every `remindMs` while it
 * lasts, and one line when it recovers; never one line per retry. Several parts (e.g. Redis's three
 * connections) can share a reporter by key: it is down while any key fails and recovers when all do.
 */
export interface OutageLog {
  warn(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
}

export interface OutageReporter {
  failed(err: unknown, key?: string): void;
  ok(key?: string): void;
  readonly down: boolean;
}

/** The message and code of an error (and of its cause), without stack or parameters. */
export function errorSummary(err: unknown): { message: string; code?: string } {
  const e = err as { message?: unknown; code?: unknown; cause?: { message?: unknown; code?: unknown } };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const message = String(e?.cause?.message ?? e?.message ?? err).slice(0, 300);
  return code ? { message, code } : { message };
}

export function outageReporter(log: OutageLog, what: string, remindMs = 60_000, now: () => number = Date.now): OutageReporter {
  const failing = new Map<string, number>();
  let since: number | null = null;
  let lastWarn = 0;
  let failures = 0;
  return {
    failed(err, key = '') {
      failures++;
      const t = now();
      if (!failing.has(key)) failing.set(key, t);
      if (since === null) {
        since = t;
        lastWarn = t;
        log.warn({ err: errorSummary(err), part: key || undefined }, `${what} unavailable; retrying in the background`);
      } else if (t - lastWarn >= remindMs) {
        lastWarn = t;
        log.warn({ err: errorSummary(err), failures, downSeconds: Math.round((t - since) / 1000) }, `${what} still unavailable`);
      }
    },
    ok(key = '') {
      if (!failing.delete(key) || failing.size > 0) return;
      log.info({ failures, downSeconds: Math.round((now() - (since ?? now())) / 1000) }, `${what} recovered`);
      since = null;
      failures = 0;
    },
    get down() {
      return failing.size > 0;
    },
  };
}
