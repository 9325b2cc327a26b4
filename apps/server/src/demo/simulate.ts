/**
 * `imsop simulate`: the demo's devices keep sending, as real devices would, through the HTTP
 * ingest API with their own device keys, until stopped. The values continue the signals of the
 * history (signals.ts), with the pump's overheating and the flow meter's surges coming back now
 * and then, so alarms keep being raised and cleared; the weather station stays silent.
 *
 * It is a client of a running server, like any device: it needs no database, only the URL and the
 * keys `imsop demo` wrote to the data directory (demo-devices.json, readable by its owner only).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_DEVICES, sendsAt, valueAt } from './signals.ts';

export const DEVICES_FILE = 'demo-devices.json';

export interface DemoDevicesFile {
  loadedAt: string;
  devices: { slug: string; id: string; name: string; key: string }[];
}

/** Writes the demo devices' keys beside the data, for its owner only. */
export function writeDevicesFile(dataDir: string, content: DemoDevicesFile): string {
  const file = path.join(dataDir, DEVICES_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return file;
}

export function readDevicesFile(dataDir: string): DemoDevicesFile {
  const file = path.join(dataDir, DEVICES_FILE);
  if (!fs.existsSync(file)) throw new Error(`there is no ${file}: run \`imsop demo\` first (with the same IMSOP_DATA_DIR)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as DemoDevicesFile;
}

export interface SimulateOptions {
  url: string;
  everyMs: number;
  /** One round, then return (tests, cron). */
  once?: boolean;
  signal?: AbortSignal;
  log(line: string): void;
}

/** Sends one reading per device and round until `signal` aborts; answers what was sent. */
export async function simulate(file: DemoDevicesFile, opts: SimulateOptions): Promise<{ rounds: number; points: number; failed: number }> {
  const loadedAt = Date.parse(file.loadedAt);
  const live = file.devices.flatMap((d) => {
    const spec = DEMO_DEVICES.find((s) => s.slug === d.slug);
    return spec ? [{ ...d, spec }] : [];
  });
  const endpoint = new URL('/api/telemetry/batch', opts.url).toString();
  const out = { rounds: 0, points: 0, failed: 0 };
  let lastProblem = '';
  const report = (problem: string) => {
    // One line per kind of trouble, not one per request (the server restarting answers nothing for a while).
    if (problem !== lastProblem) opts.log(problem ? `Sending failed: ${problem} (retrying every round)` : 'Sending again.');
    lastProblem = problem;
  };
  for (;;) {
    const t = Math.floor(Date.now() / 1000) * 1000;
    const sent = await Promise.all(
      live.map(async (d) => {
        if (!sendsAt(d.spec, t, loadedAt)) return 0;
        const values = Object.fromEntries(d.spec.metrics.map((m) => [m.metric, valueAt(d.spec, m, t, loadedAt)]));
        try {
          const res = await fetch(endpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-device-key': d.key },
            body: JSON.stringify({ ts: t, values }),
            signal: AbortSignal.timeout(10_000),
          });
          if (res.status !== 201) throw new Error(`${d.name}: the server answered ${res.status} ${(await res.text()).slice(0, 200)}`);
          await res.body?.cancel();
          return Object.keys(values).length;
        } catch (err) {
          out.failed++;
          report((err as Error).message);
          return -1;
        }
      }),
    );
    if (sent.every((n) => n >= 0)) report('');
    out.points += sent.reduce((a, n) => a + Math.max(0, n), 0);
    out.rounds++;
    if (opts.once || opts.signal?.aborted) return out;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.everyMs - (Date.now() - t));
      opts.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (opts.signal?.aborted) return out;
  }
}
