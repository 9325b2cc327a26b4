/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`, or `BENCH_CPU_PROF=<dir>` on a bench
 * child): self time by function and by where the code lives (a package under node_modules, an app
 * file, or V8's own entries such as `(garbage collector)`), idle time left out of the shares.
 *
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile> [top=25]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where a frame's code lives: `pkg:<name>`, `app:<relative path>`, `node:<module>` or V8's `(name)`. */
export function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 'node_modules/'.length).split('/');
    return `pkg:${parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (file.startsWith('node:')) return file;
  if (file.startsWith(ROOT)) return `app:${path.relative(ROOT, file)}`;
  return file;
}

export interface Summary {
  totalMs: number;
  idleMs: number;
  byFunction: { name: string; place: string; ms: number; share: number }[];
  byPlace: { place: string; ms: number; share: number }[];
}

export function summarise(profile: CpuProfile): Summary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attributing it to sample i is what DevTools does.
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fn = new Map<string, { name: string; place: string; us: number }>();
  const place = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const where = placeOf(url, functionName);
    const key = `${functionName}|${url}|${lineNumber}`;
    const f = fn.get(key) ?? { name: `${functionName || '(anonymous)'}${url ? `:${lineNumber + 1}` : ''}`, place: where, us: 0 };
    f.us += us;
    fn.set(key, f);
    place.set(where, (place.get(where) ?? 0) + us);
  }
  const share = (us: number) => (total ? us / total : 0);
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    byFunction: [...fn.values()].sort((a, b) => b.us - a.us).map((f) => ({ name: f.name, place: f.place, ms: f.us / 1000, share: share(f.us) })),
    byPlace: [...place.entries()].sort((a, b) => b[1] - a[1]).map(([p, us]) => ({ place: p, ms: us / 1000, share: share(us) })),
  };
}

export function formatSummary(s: Summary, top = 25): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const lines = [
    `busy ${s.totalMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms`,
    '',
    '| self | function | where |',
    '|---:|---|---|',
    ...s.byFunction.slice(0, top).map((f) => `| ${pct(f.share)} | \`${f.name}\` | ${f.place} |`),
    '',
    '| self | where |',
    '|---:|---|',
    ...s.byPlace.slice(0, top).map((p) => `| ${pct(p.share)} | ${p.place} |`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: bench/profile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(`${formatSummary(summarise(profile), Number(process.argv[3] ?? 25))}\n`);
}
