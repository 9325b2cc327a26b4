/**
 * The dependency gate's verdict (scripts/audit-gate.ts) on npm audit reports: high and critical
 * advisories fail unless excepted with a reason and a review date still ahead; a report that is
 * not a report (the registry refused, no network) fails too. The committed exceptions file is valid.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { advisoriesOf, checkExceptions, evaluate, type AuditException } from '../../../scripts/audit-gate.ts';

const TODAY = '2026-06-01';

/** An `npm audit --json` report (auditReportVersion 2) in npm's own shape. */
function report(vulnerabilities: Record<string, unknown>) {
  return { auditReportVersion: 2, vulnerabilities, metadata: { vulnerabilities: { total: Object.keys(vulnerabilities).length } } } as Parameters<typeof evaluate>[0];
}
const advisory = (name: string, severity: string, ghsa: string, source: number) => ({
  source,
  name,
  dependency: name,
  title: `${name} is broken`,
  url: `https://github.com/advisories/${ghsa}`,
  severity,
  range: '<1.2.3',
});
const HIGH = report({
  // The advisory sits on the vulnerable package; its dependents only name it.
  'fast-xml': { name: 'fast-xml', severity: 'high', isDirect: false, via: [advisory('fast-xml', 'high', 'GHSA-2c8f-pq3v-xmwh', 1101)], effects: ['soap'] },
  soap: { name: 'soap', severity: 'high', isDirect: true, via: ['fast-xml'], effects: [] },
  leftpad: { name: 'leftpad', severity: 'moderate', isDirect: true, via: [advisory('leftpad', 'moderate', 'GHSA-9h6g-pr28-7cqp', 1102)], effects: [] },
});
const exception = (over: Partial<AuditException> = {}): AuditException => ({
  advisory: 'GHSA-2c8f-pq3v-xmwh',
  package: 'fast-xml',
  severity: 'high',
  reason: 'Only parses XML we generate ourselves; the exploit needs attacker-controlled input.',
  reviewBy: '2026-08-01',
  ...over,
});

describe('audit gate', () => {
  it('reads each advisory once, from the package that carries it', () => {
    expect(advisoriesOf(HIGH).map((a) => `${a.severity} ${a.id} ${a.package}`).sort()).toEqual([
      'high GHSA-2C8F-PQ3V-XMWH fast-xml',
      'moderate GHSA-9H6G-PR28-7CQP leftpad',
    ]);
  });

  it('passes a clean report, and lower severities with a note', () => {
    expect(evaluate(report({}), [], TODAY)).toMatchObject({ ok: true, failures: [] });
    const moderate = evaluate(report({ leftpad: HIGH.vulnerabilities!.leftpad! }), [], TODAY);
    expect(moderate.ok).toBe(true);
    expect(moderate.notes.join()).toContain('MODERATE GHSA-9H6G-PR28-7CQP in leftpad');
  });

  it('fails on an unlisted high or critical advisory, naming it', () => {
    const v = evaluate(HIGH, [], TODAY);
    expect(v.ok).toBe(false);
    expect(v.failures).toHaveLength(1);
    expect(v.failures[0]).toMatch(/^HIGH GHSA-2C8F-PQ3V-XMWH in fast-xml .*not in audit-exceptions\.json/);
    const critical = evaluate(report({ x: { name: 'x', severity: 'critical', via: [advisory('x', 'critical', 'GHSA-3v4w-5x6c-7q8r', 7)] } }), [], TODAY);
    expect(critical.ok).toBe(false);
  });

  it('accepts a listed advisory (by GHSA id or npm source id) until its review date, not after', () => {
    expect(evaluate(HIGH, [exception()], TODAY)).toMatchObject({ ok: true });
    expect(evaluate(HIGH, [exception({ advisory: '1101' })], TODAY).ok).toBe(true);
    expect(evaluate(HIGH, [exception({ advisory: 'ghsa-2c8f-pq3v-xmwh' })], TODAY).ok).toBe(true);
    const expired = evaluate(HIGH, [exception({ reviewBy: '2026-05-31' })], TODAY);
    expect(expired.ok).toBe(false);
    expect(expired.failures.join()).toContain('due for review on 2026-05-31');
    // The same advisory excepted for another package does not count.
    expect(evaluate(HIGH, [exception({ package: 'soap' })], TODAY).ok).toBe(false);
  });

  it('refuses exceptions without a reason, with a bad date, or reviewed less than twice a year', () => {
    expect(checkExceptions([exception()], TODAY)).toEqual([]);
    expect(checkExceptions([exception({ reason: 'ok' })], TODAY).join()).toContain('"reason" must say why');
    expect(checkExceptions([exception({ reviewBy: 'soon' })], TODAY).join()).toContain('must be a date');
    expect(checkExceptions([exception({ reviewBy: '2027-06-01' })], TODAY).join()).toContain('more than 180 days ahead');
    expect(checkExceptions([{ advisory: 'GHSA-x' }], TODAY).join()).toContain('"package" is required');
    expect(evaluate(HIGH, [exception({ reason: '' })], TODAY).ok).toBe(false);
    // An exception that matches nothing any more is pointed out.
    expect(evaluate(report({}), [exception()], TODAY).notes.join()).toContain('matches no finding any more');
  });

  it('fails loudly when the audit did not run', () => {
    const refused = evaluate({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405, error: {} }, [], TODAY);
    expect(refused.ok).toBe(false);
    expect(refused.failures[0]).toMatch(/did not run: 405 Method Not Allowed.*NOT checked/);
    // A registry without the advisory service is an outside limitation (exit 3, reported by .ci/run); anything else is a plain failure.
    expect(refused.unavailable).toBe(true);
    const unreachable = evaluate({ error: true, message: 'request to https://registry.npmjs.org/-/npm/v1/security/advisories/bulk failed, reason: getaddrinfo ENOTFOUND' }, [], TODAY);
    expect(unreachable).toMatchObject({ ok: false, unavailable: false });
    expect(evaluate({ error: true, message: 'npm audit answered no JSON (exit 1)' }, [], TODAY).ok).toBe(false);
    expect(evaluate({} as Parameters<typeof evaluate>[0], [], TODAY).ok).toBe(false);
  });

  it('the committed exceptions file is valid', () => {
    const file = JSON.parse(fs.readFileSync(new URL('../../../audit-exceptions.json', import.meta.url), 'utf8')) as { exceptions: unknown };
    expect(checkExceptions(file.exceptions, new Date().toISOString().slice(0, 10))).toEqual([]);
  });
});
