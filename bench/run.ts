/**
 * `npm run bench [-- <filter>]`: runs every scenario exported by bench/*.bench.ts (optionally only
 * those whose name contains <filter>), prints a markdown table, and writes bench/results/latest.json
 * and bench/results/latest.md. Exits 1 when a scenario failed (PostgreSQL unreachable, a non-2xx
 * answer under load...); a ratio below its target is reported, and fails the run only with
 * BENCH_STRICT=1 (figures from a shared machine are noisy).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, LOAD, meetsTarget, type Row, type Scenario, type ScenarioResult } from './lib.ts';

async function loadScenarios(): Promise<Scenario[]> {
  const files = fs
    .readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const all: Scenario[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(BENCH_DIR, file)).href)) as { scenarios?: Scenario[] };
    if (!Array.isArray(mod.scenarios)) throw new Error(`bench/${file} does not export scenarios: Scenario[]`);
    all.push(...mod.scenarios);
  }
  return all;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** autocannon records whole milliseconds: 0 means under one. Other sources keep a decimal. */
const ms = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? '' : n === 0 ? '< 1' : Number.isInteger(n) || n >= 100 ? fmt(n) : fmt(n, 1);
/** Small rates (a memory slope in MB/min) keep two decimals. */
const rate = (r: Row) =>
  Number.isFinite(r.reqPerSec)
    ? `${fmt(r.reqPerSec, Math.abs(r.reqPerSec) < 10 ? 2 : 0)}${r.unit && r.unit !== 'req/s' ? ` ${r.unit}` : ''}`
    : '';

function verdict(r: Row): string {
  const ok = meetsTarget(r);
  if (ok === undefined) return '';
  const mark = ok ? '✓' : '✗';
  if (r.goal) {
    const unit = r.goal.on === 'rate' ? ` ${r.unit ?? 'req/s'}` : ' ms';
    const what = r.goal.on === 'rate' ? '' : `${r.goal.on} `;
    const parts = [
      ...(r.goal.min !== undefined ? [`${what}≥ ${fmt(r.goal.min)}${unit}`] : []),
      ...(r.goal.max !== undefined ? [`${what}< ${fmt(r.goal.max)}${unit}`] : []),
    ];
    return `${parts.join(', ')} ${mark}`;
  }
  return ok ? `≥ ${r.target} ✓` : `< ${r.target} ✗`;
}

export function markdown(results: ScenarioResult[], meta: { date: string; machine: string; load: string }): string {
  const lines = [
    `Measured ${meta.date} on ${meta.machine}; ${meta.load}.`,
    '',
    '| Scenario | Endpoint | rate (req/s unless stated) | p50 (ms) | p95 (ms) | p99 (ms) | ratio to baseline | target | details |',
    '|---|---|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const s of results) {
    if (!s.ok) {
      lines.push(`| ${s.scenario} | **FAILED**: ${s.error?.replace(/\|/g, '\\|') ?? 'unknown error'} | | | | | | | |`);
      continue;
    }
    for (const r of s.rows) {
      lines.push(
        `| ${s.scenario} | ${r.endpoint} | ${rate(r)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${r.ratio === undefined ? '' : fmt(r.ratio, 2)} | ${verdict(r)} | ${r.details ?? ''} |`,
      );
    }
  }
  const notes = results.flatMap((s) => s.notes.map((n) => `- ${s.scenario}: ${n}`));
  if (notes.length) lines.push('', ...notes);
  return `${lines.join('\n')}\n`;
}

async function main() {
  const filter = process.argv[2];
  const scenarios = (await loadScenarios()).filter((s) => !filter || s.name.includes(filter));
  if (scenarios.length === 0) throw new Error(`no scenario matches "${filter}"`);
  const cpus = os.cpus();
  const meta = {
    date: new Date().toISOString(),
    machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${os.platform()} ${os.release()}`,
    load: `autocannon ${LOAD.connections} connections, ${LOAD.warmup} s warm-up then ${LOAD.duration} s per measurement (request scenarios; the others state their load in their notes), servers in child processes`,
  };
  const results: ScenarioResult[] = [];
  for (const s of scenarios) {
    process.stdout.write(`▶ ${s.name}\n`);
    const started = Date.now();
    try {
      const out = await s.run((line) => process.stdout.write(`${line}\n`));
      results.push({ scenario: s.name, ok: true, ...out });
      process.stdout.write(`  done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results.push({ scenario: s.name, ok: false, error: message, notes: [], rows: [] });
      const bar = '!'.repeat(78);
      process.stderr.write(`\n${bar}\n!! SCENARIO FAILED: ${s.name}\n!! ${message}\n${bar}\n\n`);
    }
  }

  const md = markdown(results, meta);
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify({ ...meta, load: LOAD, results }, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'latest.md'), md);
  process.stdout.write(`\n${md}\nWritten bench/results/latest.json and bench/results/latest.md\n`);

  const failed = results.filter((r) => !r.ok);
  const missed = results.flatMap((s) => s.rows.filter((r) => meetsTarget(r) === false).map((r) => `${s.scenario}: ${r.endpoint}`));
  if (missed.length) process.stderr.write(`Below target: ${missed.join('; ')}\n`);
  if (failed.length) process.stderr.write(`FAILED scenarios: ${failed.map((f) => f.scenario).join('; ')}\n`);
  process.exitCode = failed.length || (missed.length && process.env.BENCH_STRICT === '1') ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
