/**
 * Background passes over the database (durable subscriptions, jobs) run one at a time: a wake-up
 * during a pass asks for one more pass after it, never a second pass at once. A failed pass is
 * reported once per outage (`report`), or logged when there is no reporter.
 */
export interface PassRunner {
  /** Starts a pass now, or asks for one more after the pass in progress; resolves when that pass ends. */
  kick(): Promise<void>;
  /** Asks for one more pass after this one (a pass that left work behind). */
  again(): void;
  /** Waits for the pass in progress, if any. */
  settle(): Promise<void>;
  /** Runs passes until none is asked for (tests, shutdown); at most `max`. */
  drain(max?: number): Promise<void>;
}

export function createPassRunner(
  pass: () => Promise<void>,
  o: {
    /** Passes run only while this is true (started and not stopped). */
    active(): boolean;
    report?: { failed(err: unknown): void; ok(): void } | undefined;
    onError(err: unknown): void;
  },
): PassRunner {
  let running: Promise<void> | null = null;
  let again = false;
  let failing = false;

  function kick(): Promise<void> {
    if (!o.active()) return Promise.resolve();
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
        if (again && o.active()) {
          again = false;
          void kick();
        }
      });
    return running;
  }

  return {
    kick,
    again: () => {
      again = true;
    },
    settle: async () => {
      await running;
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
