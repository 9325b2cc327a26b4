/**
 * `npm run audit:prod`: the dependency gate. Runs `npm audit --omit=dev --json` (it asks the npm
 * registry's advisory service about the production dependencies of every workspace) and fails on
 * any high or critical advisory that audit-exceptions.json does not list with a reason and a review
 * date still ahead. It fails just as loudly when the audit cannot run at all (no registry, an error
 * answer): an audit that did not happen is not a pass. Part of .ci/run (phase `audit`), not of
 * `npm test`, which must work offline.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Severity = 'info' | 'low' | 'moderate' | 'high' | 'critical';
export const BLOCKING: Severity[] = ['high', 'critical'];
/** An exception is reviewed at least this often. */
export const MAX_REVIEW_DAYS = 180;

/** One accepted advisory, as written in audit-exceptions.json. */
export interface AuditException {
  /** The advisory: its GHSA id (`GHSA-xxxx-xxxx-xxxx`) or npm's numeric source id. */
  advisory: string;
  package: string;
  severity: Severity;
  /** Why it does not affect IMSOP (or why it cannot be fixed yet), and what would change that. */
  reason: string;
  /** YYYY-MM-DD: after this day the exception no longer counts. */
  reviewBy: string;
}

export interface Advisory {
  id: string;
  source: string;
  package: string;
  severity: Severity;
  title: string;
  url: string;
  range: string;
}

export interface GateResult {
  ok: boolean;
  /** The registry does not offer the advisory service at all (an outside limitation, exit code 3). */
  unavailable?: boolean;
  /** Why the gate fails (empty when it passes). */
  failures: string[];
  /** High or critical advisories accepted by an exception. */
  accepted: string[];
  /** Everything else worth printing: lower severities, exceptions that match nothing. */
  notes: string[];
  counts: Partial<Record<Severity, number>>;
}

type Via = string | { source?: number | string; name?: string; title?: string; url?: string; severity?: Severity; range?: string };
interface AuditReport {
  auditReportVersion?: number;
  vulnerabilities?: Record<string, { name?: string; severity?: Severity; via?: Via[] }>;
  metadata?: { vulnerabilities?: Partial<Record<Severity | 'total', number>> };
  message?: string;
  error?: unknown;
  statusCode?: number;
}

const ghsaOf = (url: string | undefined) => /GHSA(-[23456789cfghjmpqrvwx]{4}){3}/i.exec(url ?? '')?.[0]?.toUpperCase();

/** The advisories of a report (npm audit's `via` objects), once each per package. */
export function advisoriesOf(report: AuditReport): Advisory[] {
  const out = new Map<string, Advisory>();
  for (const [key, vuln] of Object.entries(report.vulnerabilities ?? {})) {
    for (const via of vuln.via ?? []) {
      // A string names another vulnerable package: its advisory is listed under that package.
      if (typeof via === 'string') continue;
      const source = String(via.source ?? '');
      const a: Advisory = {
        id: ghsaOf(via.url) ?? source,
        source,
        package: via.name ?? vuln.name ?? key,
        severity: via.severity ?? vuln.severity ?? 'critical',
        title: via.title ?? '(no title)',
        url: via.url ?? '',
        range: via.range ?? '',
      };
      out.set(`${a.id} ${a.package}`, a);
    }
  }
  return [...out.values()];
}

/** Problems in the exceptions file itself (a missing reason, a date that is not one, too far ahead). */
export function checkExceptions(list: unknown, today: string): string[] {
  if (!Array.isArray(list)) return ['audit-exceptions.json: "exceptions" must be an array'];
  const problems: string[] = [];
  const horizon = new Date(Date.parse(`${today}T00:00:00Z`) + MAX_REVIEW_DAYS * 86_400_000).toISOString().slice(0, 10);
  list.forEach((e: Partial<AuditException>, i) => {
    const where = `audit-exceptions.json: exception ${i + 1}${e?.advisory ? ` (${e.advisory})` : ''}`;
    if (!e || typeof e !== 'object') return problems.push(`${where} is not an object`);
    for (const field of ['advisory', 'package', 'severity', 'reason', 'reviewBy'] as const) {
      if (typeof e[field] !== 'string' || !e[field]!.trim()) problems.push(`${where}: "${field}" is required`);
    }
    if (typeof e.reviewBy === 'string' && (!/^\d{4}-\d{2}-\d{2}$/.test(e.reviewBy) || Number.isNaN(Date.parse(e.reviewBy)))) {
      problems.push(`${where}: "reviewBy" must be a date (YYYY-MM-DD)`);
    } else if (typeof e.reviewBy === 'string' && e.reviewBy > horizon) {
      problems.push(`${where}: "reviewBy" ${e.reviewBy} is more than ${MAX_REVIEW_DAYS} days ahead; review exceptions at least twice a year`);
    }
    if (typeof e.reason === 'string' && e.reason.trim().length < 20) problems.push(`${where}: "reason" must say why (20 characters at least)`);
  });
  return problems;
}

/** The verdict on an `npm audit --json` report, given the exceptions and today's date (YYYY-MM-DD). */
export function evaluate(report: AuditReport, exceptions: AuditException[], today: string): GateResult {
  const result: GateResult = { ok: false, failures: [], accepted: [], notes: [], counts: {} };
  if (report.error !== undefined || report.auditReportVersion !== 2 || typeof report.vulnerabilities !== 'object') {
    const why = report.message ?? (report.error ? JSON.stringify(report.error).slice(0, 300) : 'the answer is not an npm audit report (auditReportVersion 2)');
    result.failures.push(`npm audit did not run: ${why}. The production dependencies were NOT checked; that is a failure, not a pass.`);
    // A registry (or proxy) that refuses the advisory endpoint itself cannot be fixed from here.
    result.unavailable = /\b(405|404|501)\b[^\n]*advisories\/bulk|advisories\/bulk[^\n]*\b(405|404|501)\b/i.test(why);
    return result;
  }
  result.failures.push(...checkExceptions(exceptions, today));
  const advisories = advisoriesOf(report);
  const used = new Set<AuditException>();
  for (const a of advisories) {
    result.counts[a.severity] = (result.counts[a.severity] ?? 0) + 1;
    const line = `${a.severity.toUpperCase()} ${a.id} in ${a.package} ${a.range}: ${a.title} ${a.url}`.replace(/\s+/g, ' ').trim();
    if (!BLOCKING.includes(a.severity)) {
      result.notes.push(line);
      continue;
    }
    const match = exceptions.find(
      (e) => e && e.package === a.package && [a.id, a.source].map((x) => x.toUpperCase()).includes(String(e.advisory).toUpperCase()),
    );
    if (!match) {
      result.failures.push(`${line} (not in audit-exceptions.json: upgrade, or list it with a reason and a review date)`);
      continue;
    }
    used.add(match);
    if (match.reviewBy < today) result.failures.push(`${line} (its exception was due for review on ${match.reviewBy})`);
    else result.accepted.push(`${line} (accepted until ${match.reviewBy}: ${match.reason})`);
  }
  for (const e of exceptions) if (e && !used.has(e)) result.notes.push(`exception ${e.advisory} (${e.package}) matches no finding any more; remove it`);
  result.ok = result.failures.length === 0;
  return result;
}

function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const file = path.join(root, 'audit-exceptions.json');
  const exceptions = (JSON.parse(fs.readFileSync(file, 'utf8')) as { exceptions: AuditException[] }).exceptions;
  // .ci/run turns npm's install-time audit off (npm_config_audit=false); this command audits on purpose.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.toLowerCase() !== 'npm_config_audit'));
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  let report: AuditReport;
  try {
    report = JSON.parse(run.stdout) as AuditReport;
  } catch {
    const tail = `${run.error?.message ?? ''} ${run.stderr ?? ''}`.trim().split('\n').slice(-5).join('\n  ');
    report = { error: true, message: `npm audit answered no JSON (exit ${run.status}):\n  ${tail}` };
  }
  const today = new Date().toISOString().slice(0, 10);
  const verdict = evaluate(report, exceptions, today);
  const total = report.metadata?.vulnerabilities?.total;
  for (const n of verdict.notes) console.log(`  note: ${n}`);
  for (const a of verdict.accepted) console.log(`  accepted: ${a}`);
  if (!verdict.ok) {
    for (const f of verdict.failures) console.error(`  FAIL: ${f}`);
    if (verdict.unavailable) {
      console.error('\naudit gate: the registry does not serve the advisory endpoint; the audit could NOT run (exit 3).');
      process.exit(3);
    }
    console.error(`\naudit gate FAILED: ${verdict.failures.length} problem(s); high and critical advisories need an upgrade or a documented exception (audit-exceptions.json, docs/security.md).`);
    process.exit(1);
  }
  console.log(`audit gate passed: npm audit --omit=dev found ${total ?? 0} advisories (${JSON.stringify(verdict.counts)}), none high or critical outside audit-exceptions.json`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
