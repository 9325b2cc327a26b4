/**
 * Background passes over the database (durable subscriptions, jobs) run one at a time: a wake-up
 * during a pass asks for one more pass after it, never a second pass at once. A failed pass is
 * reported once per outage (`report`), or logged when there is no reporter.
 */
export interface PassRunner {
  readonly started: boolean;
  readonly stopped: boolean;
  /** Starts passing: one now, then every `pollMs` (and at each kick). */
  start(pollMs: number): void;
  /** Stops the timer and waits for the pass in progress; nothing starts after. */
  stop(): Promise<void>;
  /** Starts a pass now, or asks for one more after the pass in progress; resolves when that pass ends. */
  kick(): Promise<void>;
  /** Asks for one more pass after this one (a pass that left work behind). */
  again(): void;
  /** Runs passes until none is asked for (tests, shutdown); at most `max`. */
  drain(max?: number): Promise<void>;
}

export function createPassRunner(
  pass: () => Promise<void>,
  o: {
    report?: { failed(err: unknown): void; ok(): void } | undefined;
    onError(err: unknown): void;
  },
): PassRunner {
  let running: Promise<void> | null = null;
  let again = false;
  let failing = false;
  let started = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const active = () => started && !stopped;

  function kick(): Promise<void> {
    if (!active()) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = pass()
      .then(
        () => {
          if (failing) o.report?.ok();
          failing = false;
        },
        (err: unknown) => {
          failing = true;
          if (o.report) o.report.failed(err);
          else o.onError(err);
        },
      )
      .finally(() => {
        running = null;
        if (again && active()) {
          again = false;
          void kick();
        }
      });
    return running;
  }

  return {
    get started() {
      return started;
    },
    get stopped() {
      return stopped;
    },
    start(pollMs) {
      if (started) return;
      started = true;
      timer = setInterval(() => void kick(), pollMs);
      timer.unref();
      void kick();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
    kick,
    again: () => {
      again = true;
    },
    async drain(max = 1000) {
      for (let i = 0; i < max; i++) {
        await kick();
        if (!running && !again) return;
        if (running) await running;
      }
    },
  };
}
