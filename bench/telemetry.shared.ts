/**
 * The telemetry bench's synthetic device data, shared by the load generator (bench/telemetry.bench.ts)
 * and the bench child (bench/telemetry.child.ts), so that the raw-INSERT baseline writes exactly the
 * rows that ingestion writes: the same series, the same batch size, the same timestamps and values.
 *
 * A device has METRICS series (m000…m099). A batch holds `timestamps` instants one second apart,
 * each with a value for every metric, so a batch of 5,000 points is 50 s of a 100-metric device.
 */

export const METRICS = 100;
export const STEP_MS = 1_000;

export const metricName = (k: number) => `m${String(k).padStart(3, '0')}`;
export const METRIC_NAMES = Array.from({ length: METRICS }, (_, k) => metricName(k));

/** A smooth, deterministic signal per metric (3 decimals, like a real sensor). */
export const valueOf = (k: number, tsMs: number) => Math.round((20 + (k % 10) + 5 * Math.sin(tsMs / 600_000 + k)) * 1000) / 1000;

/** ThingsBoard shape `[{ ts, values: { m000: v, … } }, …]`: what devices send over HTTP and MQTT. */
export function deviceBatch(tsStart: number, timestamps: number): { ts: number; values: Record<string, number> }[] {
  const out: { ts: number; values: Record<string, number> }[] = [];
  for (let j = 0; j < timestamps; j++) {
    const ts = tsStart + j * STEP_MS;
    const values: Record<string, number> = {};
    for (let k = 0; k < METRICS; k++) values[METRIC_NAMES[k]!] = valueOf(k, ts);
    out.push({ ts, values });
  }
  return out;
}

/**
 * Hands out consecutive, non-overlapping time ranges to concurrent senders, starting `hoursAgo`
 * in the past; fails rather than produce timestamps the API would refuse as "in the future".
 */
export function timeline(hoursAgo: number) {
  let next = Math.floor((Date.now() - hoursAgo * 3_600_000) / 1000) * 1000;
  return (timestamps: number) => {
    const ts = next;
    next += timestamps * STEP_MS;
    if (next > Date.now() + 60_000) throw new Error('the bench ran out of past timestamps; start the timeline further back');
    return ts;
  };
}

/** Nearest-rank percentile of a list of milliseconds. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Runs `concurrency` loops of `once` (each resolves with the points it committed) for a warm-up,
 * then measures for `seconds`: points whose commit completed in the window, divided by its length.
 */
export async function sustain(opts: {
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
  once: (worker: number) => Promise<number>;
}): Promise<{ pointsPerSec: number; points: number; seconds: number; latencies: number[] }> {
  let stop = false;
  let measuring = false;
  let points = 0;
  const latencies: number[] = [];
  let failure: unknown = null;
  const loops = Array.from({ length: opts.concurrency }, async (_, w) => {
    while (!stop && !failure) {
      const t0 = performance.now();
      try {
        const n = await opts.once(w);
        if (measuring && !stop) {
          points += n;
          latencies.push(performance.now() - t0);
        }
      } catch (err) {
        failure ??= err;
      }
      // PGlite answers without any I/O: without this, the loops would starve the timers below.
      await new Promise((r) => setImmediate(r));
    }
  });
  await new Promise((r) => setTimeout(r, opts.warmupSeconds * 1000));
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, opts.seconds * 1000));
  const elapsed = (performance.now() - start) / 1000;
  stop = true;
  await Promise.all(loops);
  if (failure) throw failure;
  return { pointsPerSec: points / elapsed, points, seconds: elapsed, latencies };
}
