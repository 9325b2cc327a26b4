/**
 * NAB (Numenta Anomaly Benchmark v1.1) scorer, implementing the rules in
 * ../shared/bench-data/README.md:
 *
 * - the first min(floor(0.15·N), 750) rows of a file are probationary and not scored;
 * - a row is a detection when its score is ≥ the threshold;
 * - a detection inside a window weighs A(x)·tp/A(−1) with x = −(end − i + 1)/windowLength,
 *   only the best detection per window counts, and a window without any costs −fn;
 * - a detection outside windows costs −fp before the first window and A(x)·fp after one,
 *   with x = (i − prevEnd)/(prevLength − 1); every false-positive row counts;
 * - A(x) = 2/(1+e^{5x}) − 1 (clamped to −1 for x ≥ 3, as in NAB's sweeper);
 * - the threshold is swept over every distinct score of the whole corpus, per profile;
 * - normalised = 100·(raw − null)/(perfect − null), null = −fn per window, perfect = +tp per window.
 *
 * Pure functions first (unit-tested), file loading at the end.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseTimestamp } from './timestamp.ts';

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

export type Profiles = Record<string, CostMatrix>;

/** Names used in docs and output; keys are those of NAB's profiles.json. */
export const PROFILE_NAMES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;

/** Inclusive row-index range of one anomaly window. */
export type WindowRange = readonly [start: number, end: number];

export interface NabFile {
  /** `<category>/<file>.csv` */
  name: string;
  /** Anomaly score per row, in [0,1]. */
  scores: ArrayLike<number>;
  /** Windows as inclusive row indices, sorted and non-overlapping. */
  windows: readonly WindowRange[];
}

/** NAB's scaled sigmoid A(x) = 2/(1+e^{5x}) − 1, clamped to −1 at x ≥ 3 as in NAB's sweeper. */
export function scaledSigmoid(x: number): number {
  if (x >= 3) return -1;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

export function probationaryLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/**
 * Per-row weights a detection at that row would earn (before best-per-window aggregation),
 * and the window each row belongs to (−1 outside windows, −2 probationary).
 */
export interface RowWeights {
  weight: Float64Array;
  window: Int32Array;
}

export function rowWeights(rows: number, windows: readonly WindowRange[], cost: CostMatrix): RowWeights {
  const weight = new Float64Array(rows);
  const window = new Int32Array(rows).fill(-1);
  const maxTp = scaledSigmoid(-1);
  const probation = probationaryLength(rows);
  let w = 0;
  let prevEnd: number | null = null;
  let prevLength = 0;
  for (let i = 0; i < rows; i++) {
    const cur = windows[w];
    if (cur && i >= cur[0] && i <= cur[1]) {
      const length = cur[1] - cur[0] + 1;
      weight[i] = (scaledSigmoid(-(cur[1] - i + 1) / length) * cost.tpWeight) / maxTp;
      window[i] = w;
      if (i === cur[1]) {
        prevEnd = cur[1];
        prevLength = length;
        w++;
      }
    } else {
      const x = prevEnd === null ? 3 : Math.abs(i - prevEnd) / (prevLength - 1);
      weight[i] = scaledSigmoid(x) * cost.fpWeight;
    }
    if (i < probation) window[i] = -2;
  }
  return { weight, window };
}

/** Windows that contain at least one scorable (non-probationary) row. */
export function scorableWindowCount(rows: number, windows: readonly WindowRange[]): number {
  const p = probationaryLength(rows);
  return windows.filter(([, end]) => end >= p && end < rows).length;
}

/** Raw NAB score of one file at a fixed threshold. */
export function scoreFile(scores: ArrayLike<number>, windows: readonly WindowRange[], cost: CostMatrix, threshold: number): number {
  const { weight, window } = rowWeights(scores.length, windows, cost);
  const best = new Map<number, number>();
  for (let i = 0; i < scores.length; i++) {
    const win = window[i]!;
    if (win >= 0) best.set(win, -cost.fnWeight);
  }
  let fp = 0;
  for (let i = 0; i < scores.length; i++) {
    const win = window[i]!;
    if (win === -2 || scores[i]! < threshold) continue;
    if (win === -1) fp += weight[i]!;
    else best.set(win, Math.max(best.get(win)!, weight[i]!));
  }
  let total = fp;
  for (const v of best.values()) total += v;
  return total;
}

export interface SweepResult {
  /** Best threshold (detections are rows with score ≥ threshold); Infinity means "never fire". */
  threshold: number;
  /** Raw corpus score at that threshold. */
  raw: number;
  null: number;
  perfect: number;
  normalised: number;
}

export function normalise(raw: number, nullScore: number, perfect: number): number {
  return perfect === nullScore ? 0 : (100 * (raw - nullScore)) / (perfect - nullScore);
}

/**
 * Sweep every distinct score over the whole corpus, highest first, and keep the threshold with the best
 * total raw score (on ties, the higher threshold). O(R log R) in the number of rows.
 */
export function sweepCorpus(files: readonly NabFile[], cost: CostMatrix): SweepResult {
  const scores: number[] = [];
  const weights: number[] = [];
  const windowIds: number[] = [];
  let windowCount = 0;
  for (const f of files) {
    const { weight, window } = rowWeights(f.scores.length, f.windows, cost);
    const base = windowCount;
    let maxWin = -1;
    for (let i = 0; i < f.scores.length; i++) {
      const win = window[i]!;
      if (win === -2) continue;
      scores.push(f.scores[i]!);
      weights.push(weight[i]!);
      windowIds.push(win === -1 ? -1 : base + win);
      if (win > maxWin) maxWin = win;
    }
    windowCount = base + maxWin + 1;
  }
  // Windows without any scorable row never got an id; ids are dense up to windowCount only if every
  // window has one, so track which ids exist.
  const present = new Uint8Array(windowCount);
  for (const id of windowIds) if (id >= 0) present[id] = 1;
  let nWindows = 0;
  for (const p of present) nWindows += p;

  const nullScore = -cost.fnWeight * nWindows;
  const perfect = cost.tpWeight * nWindows;
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
  const best = new Float64Array(windowCount).fill(-cost.fnWeight);
  let total = nullScore;
  let bestTotal = total;
  let bestThreshold = Number.POSITIVE_INFINITY;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const id = windowIds[i]!;
    if (id === -1) total += weights[i]!;
    else if (weights[i]! > best[id]!) {
      total += weights[i]! - best[id]!;
      best[id] = weights[i]!;
    }
    const next = order[k + 1];
    if (next === undefined || scores[next]! !== scores[i]!) {
      if (total > bestTotal + 1e-12) {
        bestTotal = total;
        bestThreshold = scores[i]!;
      }
    }
  }
  return { threshold: bestThreshold, raw: bestTotal, null: nullScore, perfect, normalised: normalise(bestTotal, nullScore, perfect) };
}

/** Null/perfect/raw for a subset of files at a fixed threshold (per-category breakdown). */
export function scoreSubset(files: readonly NabFile[], cost: CostMatrix, threshold: number): { raw: number; null: number; perfect: number; windows: number } {
  let raw = 0;
  let windows = 0;
  for (const f of files) {
    raw += scoreFile(f.scores, f.windows, cost, threshold);
    windows += scorableWindowCount(f.scores.length, f.windows);
  }
  return { raw, null: -cost.fnWeight * windows, perfect: cost.tpWeight * windows, windows };
}

// ---------------------------------------------------------------------------------------------
// Corpus loading

export interface CorpusSeries {
  name: string;
  category: string;
  timestamps: string[];
  timesMs: number[];
  values: number[];
  windows: WindowRange[];
}

/** Map window timestamps to inclusive row indices (first row ≥ start, last row ≤ end). */
export function windowsToIndices(timesMs: readonly number[], windows: readonly (readonly [string, string])[]): WindowRange[] {
  const out: WindowRange[] = [];
  for (const [s, e] of windows) {
    const start = parseTimestamp(s);
    const end = parseTimestamp(e);
    let a = timesMs.findIndex((t) => t >= start);
    let b = -1;
    for (let i = timesMs.length - 1; i >= 0; i--) {
      if (timesMs[i]! <= end) {
        b = i;
        break;
      }
    }
    if (a === -1 || b === -1 || b < a) continue;
    if (a < 0) a = 0;
    out.push([a, b]);
  }
  return out.sort((x, y) => x[0] - y[0]);
}

/** `../shared/bench-data/nab` relative to the repository root (works locally and in CI). */
export function defaultNabRoot(): string {
  const repoRoot = path.resolve(import.meta.dirname, '../../../../../..');
  return path.resolve(repoRoot, '../shared/bench-data/nab');
}

export async function loadProfiles(root: string): Promise<Profiles> {
  const raw = JSON.parse(await readFile(path.join(root, 'profiles.json'), 'utf8')) as Record<string, { CostMatrix: CostMatrix }>;
  const out: Profiles = {};
  for (const [name, p] of Object.entries(raw)) {
    out[name] = { tpWeight: p.CostMatrix.tpWeight, fpWeight: p.CostMatrix.fpWeight, fnWeight: p.CostMatrix.fnWeight };
  }
  return out;
}

export function parseSeriesCsv(text: string): { timestamps: string[]; values: number[] } {
  const timestamps: string[] = [];
  const values: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const comma = line.indexOf(',');
    if (comma < 0) continue;
    const ts = line.slice(0, comma).trim();
    const v = Number(line.slice(comma + 1).split(',')[0]);
    if (i === 0 && Number.isNaN(v)) continue; // header
    timestamps.push(ts);
    values.push(v);
  }
  return { timestamps, values };
}

export async function loadCorpus(root: string): Promise<CorpusSeries[]> {
  const windowsJson = JSON.parse(await readFile(path.join(root, 'labels', 'combined_windows.json'), 'utf8')) as Record<
    string,
    [string, string][]
  >;
  const out: CorpusSeries[] = [];
  const categories = (await readdir(path.join(root, 'data'), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const category of categories) {
    const files = (await readdir(path.join(root, 'data', category))).filter((f) => f.endsWith('.csv')).sort();
    for (const file of files) {
      const name = `${category}/${file}`;
      const { timestamps, values } = parseSeriesCsv(await readFile(path.join(root, 'data', category, file), 'utf8'));
      const timesMs = timestamps.map(parseTimestamp);
      out.push({ name, category, timestamps, timesMs, values, windows: windowsToIndices(timesMs, windowsJson[name] ?? []) });
    }
  }
  return out;
}

export interface NabReport {
  profiles: Record<string, SweepResult & { categories: Record<string, { raw: number; null: number; perfect: number; windows: number; normalised: number | null }> }>;
}

/** Score a corpus given the detector output per file, for every profile. */
export function evaluateCorpus(series: readonly CorpusSeries[], scoresByName: ReadonlyMap<string, ArrayLike<number>>, profiles: Profiles): NabReport {
  const files: (NabFile & { category: string })[] = series.map((s) => {
    const scores = scoresByName.get(s.name);
    if (!scores || scores.length !== s.values.length) throw new Error(`missing or short scores for ${s.name}`);
    return { name: s.name, category: s.category, scores, windows: s.windows };
  });
  const report: NabReport = { profiles: {} };
  for (const [name, cost] of Object.entries(profiles)) {
    const sweep = sweepCorpus(files, cost);
    const categories: NabReport['profiles'][string]['categories'] = {};
    for (const cat of [...new Set(files.map((f) => f.category))]) {
      const sub = scoreSubset(
        files.filter((f) => f.category === cat),
        cost,
        sweep.threshold,
      );
      categories[cat] = { ...sub, normalised: sub.windows > 0 ? normalise(sub.raw, sub.null, sub.perfect) : null };
    }
    report.profiles[name] = { ...sweep, categories };
  }
  return report;
}

/** Load the corpus, run `detect` on every series and score the result for every profile. */
export async function runNab(
  detect: (series: CorpusSeries) => ArrayLike<number>,
  root: string = defaultNabRoot(),
): Promise<{ series: CorpusSeries[]; profiles: Profiles; scores: Map<string, ArrayLike<number>>; report: NabReport }> {
  const [series, profiles] = await Promise.all([loadCorpus(root), loadProfiles(root)]);
  const scores = new Map<string, ArrayLike<number>>(series.map((s) => [s.name, detect(s)]));
  return { series, profiles, scores, report: evaluateCorpus(series, scores, profiles) };
}

/** Read a detector's output in NAB results layout: `<dir>/<category>/<file>.csv` with an `anomaly_score` column. */
export async function readResultScores(dir: string, series: CorpusSeries): Promise<number[]> {
  const text = await readFile(path.join(dir, series.name), 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]!.split(',').map((h) => h.trim());
  const col = header.indexOf('anomaly_score');
  if (col < 0) throw new Error(`${series.name}: no anomaly_score column`);
  const scores = lines.slice(1).map((l) => Number(l.split(',')[col]));
  if (scores.length !== series.values.length) throw new Error(`${series.name}: ${scores.length} scores for ${series.values.length} rows`);
  return scores;
}

/** Runner: `node --import tsx nab.ts <results-dir> [nab-root]` scores result CSVs produced by any detector. */
async function main(argv: string[]): Promise<void> {
  const [dir, root = defaultNabRoot()] = argv;
  if (!dir) {
    process.stderr.write('usage: nab.ts <results-dir> [nab-root]\n  results-dir holds <category>/<file>.csv with an anomaly_score column\n');
    process.exitCode = 2;
    return;
  }
  const [series, profiles] = await Promise.all([loadCorpus(root), loadProfiles(root)]);
  const scores = new Map<string, ArrayLike<number>>();
  for (const s of series) scores.set(s.name, await readResultScores(dir, s));
  const report = evaluateCorpus(series, scores, profiles);
  for (const [name, r] of Object.entries(report.profiles)) {
    process.stdout.write(`${name.padEnd(20)} ${r.normalised.toFixed(2).padStart(7)}  (raw ${r.raw.toFixed(3)}, threshold ${r.threshold})\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
