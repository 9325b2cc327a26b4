/**
 * The demo's devices and what they measure: each metric is a pure function of time (a daily cycle,
 * seeded noise and events), so the 7 days of history `imsop demo` writes and the live points `imsop
 * simulate` sends are one continuous signal, the same on every run.
 *
 * Some events are anchored on the moment the demo was loaded (`loadedAt`): the burst main that
 * drops the Gloucester Road pressure three hours before and keeps it low, the transformer that ran
 * hot two days before. Others come back now and then, at times drawn from the seeded noise: the
 * pump motor's overheating, the flow meter's spikes. Those keep raising alarms while the simulator
 * runs.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** FNV-1a of a string: the seed of a series. */
function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform draw in [0, 1) for (key, n): the same value whenever it is asked. */
export function draw(key: string, n: number): number {
  return prng(fnv(key) ^ Math.imul(Math.floor(n) | 0, 0x9e3779b1))();
}

/** About normal, mean 0 and deviation 1 (Irwin–Hall of four draws). */
function gauss(key: string, n: number): number {
  const r = prng(fnv(key) ^ Math.imul(Math.floor(n) | 0, 0x85ebca6b));
  return (r() + r() + r() + r() - 2) * Math.sqrt(3);
}

/**
 * An excursion that comes back now and then: in each `period`, with probability `p`, the signal
 * rises by `amount` for `length` ms (ramping in and out over a tenth of it) at a drawn moment.
 */
function now_and_then(key: string, t: number, period: number, p: number, length: number, amount: number): number {
  const window = Math.floor(t / period);
  if (draw(`${key}:on`, window) >= p) return 0;
  const start = window * period + draw(`${key}:at`, window) * (period - length);
  const into = t - start;
  if (into < 0 || into >= length) return 0;
  const ramp = length / 10;
  return amount * Math.min(1, into / ramp, (length - into) / ramp);
}

/** The same shape as now_and_then, once, from `start` (ms) for `length` ms. */
function once(t: number, start: number, length: number, amount: number): number {
  const into = t - start;
  if (into < 0 || into >= length) return 0;
  const ramp = Math.min(length / 10, 10 * MINUTE);
  return amount * Math.min(1, into / ramp, (length - into) / ramp);
}

export interface DemoMetric {
  metric: string;
  unit: string;
  base: number;
  /** Amplitude of the daily cycle, peaking at `peakHour` (UTC). */
  daily: number;
  peakHour: number;
  /** Deviation of the noise. */
  noise: number;
  decimals: number;
  min?: number;
  /** What events add at `t`, given when the demo was loaded. */
  events?: (t: number, loadedAt: number) => number;
}

export interface DemoDevice {
  /** Stable name in the demo's own files (demo-devices.json). */
  slug: string;
  name: string;
  type: string;
  /** The operation (by its demo key) the device reports for, if any. */
  operation?: string;
  metadata: { lat: number; lng: number; site: string; model: string; serial: string };
  metrics: DemoMetric[];
  /** Silent for this long before the load, and while the simulator runs (a device that went offline). */
  silentFor?: number;
}

export const DEMO_DEVICES: readonly DemoDevice[] = [
  {
    slug: 'ps-04',
    name: 'PS-04 Avonmouth pump station',
    type: 'pump_station',
    operation: 'ps04-inspection',
    metadata: { lat: 51.503, lng: -2.699, site: 'Avonmouth', model: 'Grundfos CR 95 with Siemens S7 RTU', serial: 'HU-PS04-2291' },
    metrics: [
      { metric: 'pressure_bar', unit: 'bar', base: 4.1, daily: 0.15, peakHour: 3, noise: 0.04, decimals: 2 },
      { metric: 'flow_lps', unit: 'L/s', base: 85, daily: 20, peakHour: 8, noise: 2, decimals: 1 },
      {
        metric: 'motor_temp_c',
        unit: '°C',
        base: 68,
        daily: 5,
        peakHour: 15,
        noise: 0.8,
        decimals: 1,
        // The motor's cooling fan sticks now and then: about every third 8-hour shift, for 25 minutes.
        events: (t) => now_and_then('ps-04:fan', t, 8 * HOUR, 0.3, 25 * MINUTE, 23),
      },
    ],
  },
  {
    slug: 'rl-1',
    name: 'RL-1 Blackberry Hill reservoir',
    type: 'level_sensor',
    operation: 'reservoir-recalibration',
    metadata: { lat: 51.476, lng: -2.557, site: 'Blackberry Hill', model: 'VEGAPULS 21 radar', serial: 'HU-RL1-0412' },
    metrics: [{ metric: 'level_m', unit: 'm', base: 6.5, daily: 0.6, peakHour: 5, noise: 0.01, decimals: 2 }],
  },
  {
    slug: 'fm-12',
    name: 'FM-12 Temple Meads flow meter',
    type: 'flow_meter',
    operation: 'mains-planning',
    metadata: { lat: 51.4491, lng: -2.5813, site: 'Temple Meads', model: 'ABB AquaMaster4', serial: 'HU-FM12-7730' },
    metrics: [
      {
        metric: 'flow_lps',
        unit: 'L/s',
        base: 120,
        daily: 35,
        peakHour: 8,
        noise: 3,
        decimals: 1,
        // A surge now and then (a hydrant opened, a tanker filling): about once in five 3-hour windows.
        events: (t) => now_and_then('fm-12:surge', t, 3 * HOUR, 0.2, 5 * MINUTE, 190),
      },
    ],
  },
  {
    slug: 'ss-7',
    name: 'SS-7 Filton substation',
    type: 'transformer',
    operation: 'ss7-thermal-survey',
    metadata: { lat: 51.509, lng: -2.576, site: 'Filton', model: 'Hitachi Energy TXpert monitor', serial: 'HU-SS7-1180' },
    metrics: [
      { metric: 'load_kw', unit: 'kW', base: 420, daily: 160, peakHour: 18, noise: 12, decimals: 0, events: (t, at) => once(t, at - 50 * HOUR, 55 * MINUTE, 190) },
      // Two days before the load, a failing fan ran it hot for most of an hour: 45 °C more crosses the
      // 90 °C rule whatever the hour it falls on (the daily swing is ±12 around 62), so the story holds
      // at any load time and in any time zone.
      { metric: 'transformer_temp_c', unit: '°C', base: 62, daily: 12, peakHour: 18, noise: 0.7, decimals: 1, events: (t, at) => once(t, at - 50 * HOUR, 55 * MINUTE, 45) },
    ],
  },
  {
    slug: 'aq-3',
    name: 'AQ-3 Harbourside air quality',
    type: 'air_quality',
    operation: 'aq-install',
    metadata: { lat: 51.45, lng: -2.6, site: 'Harbourside', model: 'Vaisala AQT560', serial: 'HU-AQ3-0093' },
    metrics: [
      { metric: 'pm25', unit: 'µg/m³', base: 9, daily: 5, peakHour: 8, noise: 1.5, decimals: 1, min: 0 },
      { metric: 'no2', unit: 'µg/m³', base: 28, daily: 12, peakHour: 8, noise: 3, decimals: 1, min: 0 },
    ],
  },
  {
    slug: 'pl-9',
    name: 'PL-9 Gloucester Road pressure logger',
    type: 'pressure_logger',
    operation: 'burst-main',
    metadata: { lat: 51.4795, lng: -2.592, site: 'Gloucester Road', model: 'Technolog Cello 4S', serial: 'HU-PL9-5521' },
    metrics: [
      {
        metric: 'pressure_bar',
        unit: 'bar',
        base: 3.2,
        daily: -0.3,
        peakHour: 8,
        noise: 0.05,
        decimals: 2,
        // The main burst three hours before the load; the pressure stays down until it is repaired.
        events: (t, at) => (t >= at - 3 * HOUR ? -2.1 : 0),
      },
    ],
  },
  {
    slug: 'cl-2',
    name: 'CL-2 Barrow Tanks chlorine analyser',
    type: 'water_quality',
    operation: 'barrow-sampling',
    metadata: { lat: 51.41, lng: -2.66, site: 'Barrow Tanks', model: 'Hach CL17sc', serial: 'HU-CL2-3307' },
    metrics: [
      { metric: 'chlorine_mgl', unit: 'mg/L', base: 0.55, daily: 0.04, peakHour: 6, noise: 0.015, decimals: 3, min: 0 },
      { metric: 'turbidity_ntu', unit: 'NTU', base: 0.18, daily: 0.02, peakHour: 12, noise: 0.03, decimals: 3, min: 0.02 },
    ],
  },
  {
    slug: 'ws-1',
    name: 'WS-1 Portishead weather station',
    type: 'weather_station',
    operation: 'storm-drains',
    metadata: { lat: 51.484, lng: -2.7626, site: 'Portishead', model: 'Campbell Scientific ClimaVUE 50', serial: 'HU-WS1-6604' },
    // Its modem failed: nothing for the last 50 hours (a no-data alarm says so).
    silentFor: 50 * HOUR,
    metrics: [
      { metric: 'temperature_c', unit: '°C', base: 7, daily: 3, peakHour: 14, noise: 0.3, decimals: 1 },
      { metric: 'wind_ms', unit: 'm/s', base: 6, daily: 1.5, peakHour: 15, noise: 1.5, decimals: 1, min: 0 },
      { metric: 'rainfall_mm', unit: 'mm', base: 0, daily: 0, peakHour: 0, noise: 0, decimals: 1, events: (t) => now_and_then('ws-1:rain', t, 2 * HOUR, 0.3, 50 * MINUTE, 0.9) },
    ],
  },
];

/** The value of a metric at `t` (ms), the demo having been loaded at `loadedAt`. */
export function valueAt(device: DemoDevice, m: DemoMetric, t: number, loadedAt: number): number {
  const hour = (t % DAY) / HOUR;
  const cycle = m.daily * Math.cos((2 * Math.PI * (hour - m.peakHour)) / 24);
  // Noise changes every second: history (every 5 minutes) and live points (every few seconds) draw from the same sequence.
  const noise = m.noise * gauss(`${device.slug}:${m.metric}`, Math.floor(t / 1000));
  const v = m.base + cycle + noise + (m.events?.(t, loadedAt) ?? 0);
  const scale = 10 ** m.decimals;
  return Math.round(Math.max(m.min ?? -Infinity, v) * scale) / scale;
}

/** Whether the device sends at `t` (a silent device sends nothing during its last `silentFor` before the load, and after). */
export const sendsAt = (device: DemoDevice, t: number, loadedAt: number) => !device.silentFor || t < loadedAt - device.silentFor;

export const HISTORY_DAYS = 7;
export const HISTORY_STEP_MS = 5 * MINUTE;
