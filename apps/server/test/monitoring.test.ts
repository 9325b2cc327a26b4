/**
 * deploy/monitoring against the app: the Grafana dashboard is well formed, and every query of the
 * dashboard and of the alerting rules names only metrics (and labels) that a running app's /metrics
 * exposes, so a renamed metric breaks this test rather than a panel nobody looks at until an
 * incident. promtool checks the rules' syntax and behaviour (deploy/monitoring/check.sh, .ci/run).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createTestApp, until, type TestApp } from './helpers.ts';
import { exposedNames, seriesLabels } from './metrics-text.ts';

const DIR = new URL('../../../deploy/monitoring/', import.meta.url);
const read = (file: string) => fs.readFileSync(new URL(file, DIR), 'utf8');

/** Series Prometheus adds itself for every target. */
const SYNTHETIC = new Set(['up']);
/** Labels Prometheus adds to every scraped series (the scrape job and target). */
const TARGET_LABELS = new Set(['job', 'instance']);
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** What a PromQL expression names: metrics, and labels (in matchers, by/without/on/ignoring clauses). */
function promqlRefs(expr: string): { metrics: Set<string>; labels: Set<string> } {
  const metrics = new Set<string>();
  const labels = new Set<string>();
  let rest = expr;
  // Grafana's label_values(selector, label): a selector and a label.
  rest = rest.replace(/label_values\(([^,]*),\s*(\w+)\)/g, (_m, selector: string, label: string) => {
    labels.add(label);
    return selector;
  });
  // Matchers: {a="x", b=~"y"} (the strings may hold anything, Grafana variables included).
  rest = rest.replace(/\{([^}]*)\}/g, (_m, body: string) => {
    for (const m of body.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"/g)) labels.add(m[1]!);
    return ' ';
  });
  rest = rest.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_m, _kw: string, list: string) => {
    for (const l of list.split(',').map((s) => s.trim()).filter(Boolean)) labels.add(l);
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ').replace(/"(?:[^"\\]|\\.)*"/g, ' ');
  for (const m of rest.matchAll(/(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1]!.toLowerCase())) continue; // a function, or a keyword
    metrics.add(m[1]!);
  }
  return { metrics, labels };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; legendFormat?: string; datasource?: { uid: string } }[];
}
interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | { query: string }; datasource?: { uid: string } }[] };
}
interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[];
}

const dashboard = JSON.parse(read('grafana/imsop.json')) as Dashboard;
const ruleFiles = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.rules.yml'))
  .map((f) => ({ file: f, rules: parseYaml(read(f)) as RuleFile }));

let t: TestApp;
let exposed: Set<string>;
let labelsOf: Map<string, Set<string>>;
beforeAll(async () => {
  t = await createTestApp();
  // A durable subscription, so that the subscription metrics have series (and labels) to compare.
  t.app.platform.subscriptions.register({ name: 'test.monitoring', types: ['operation.created'], handler: async () => undefined });
  await t.app.platform.subscriptions.flush();
  await t.inject({ method: 'GET', url: '/api/health' });
  // The database readings arrive on a scrape after the first.
  const text = await until(async () => {
    const body = (await t.inject({ method: 'GET', url: '/metrics' })).body;
    return /^imsop_event_subscription_lag_events\{/m.test(body) && /^imsop_tickets_open\{/m.test(body) ? body : null;
  });
  exposed = exposedNames(text);
  labelsOf = seriesLabels(text);
});
afterAll(async () => t?.close());

/** Problems of one query: metrics the app does not expose, labels none of its metrics carry. */
function problemsOf(where: string, expr: string, extraLabels: Iterable<string> = []) {
  const { metrics, labels } = promqlRefs(expr);
  const out: string[] = [];
  if (metrics.size === 0) out.push(`${where}: names no metric: ${expr}`);
  const known = new Set([...TARGET_LABELS]);
  for (const m of metrics) {
    if (!exposed.has(m) && !SYNTHETIC.has(m)) out.push(`${where}: ${m} is not exposed by /metrics`);
    for (const l of labelsOf.get(m) ?? []) known.add(l);
  }
  for (const l of [...labels, ...extraLabels]) if (!known.has(l)) out.push(`${where}: label ${l} is on none of ${[...metrics].join(', ')}`);
  return out;
}

describe('the PromQL reader of this test', () => {
  it('finds the metrics and labels of an expression, and nothing else', () => {
    const refs = promqlRefs(
      'histogram_quantile(0.95, sum by (route, le) (rate(http_request_duration_seconds_bucket{job="$job", route!="/api/x"}[$__rate_interval]))) / on(instance) group_left max without (pod) (up) > bool 1',
    );
    expect([...refs.metrics].sort()).toEqual(['http_request_duration_seconds_bucket', 'up']);
    expect([...refs.labels].sort()).toEqual(['instance', 'job', 'le', 'pod', 'route']);
    expect(promqlRefs('label_values(up{job="$job"}, instance)')).toEqual({ metrics: new Set(['up']), labels: new Set(['job', 'instance']) });
  });
});

describe('the Grafana dashboard (deploy/monitoring/grafana/imsop.json)', () => {
  it('is an importable dashboard: title, uid, a Prometheus datasource variable, panels with unique ids inside the 24-column grid', () => {
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.title, `panel ${p.id}`).toBeTruthy();
      const { x, y, w, h } = p.gridPos;
      expect([x, y, w, h].every(Number.isInteger) && x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 24, `panel "${p.title}" gridPos`).toBe(true);
    }
    // No two panels overlap.
    const cells = new Map<string, string>();
    for (const p of dashboard.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.get(`${x},${y}`), `"${p.title}" overlaps`).toBeUndefined();
          cells.set(`${x},${y}`, p.title);
        }
      }
    }
  });

  it('queries the chosen Prometheus datasource in every panel, each target with an expression', () => {
    const queried = dashboard.panels.filter((p) => p.type !== 'row');
    expect(queried.length).toBeGreaterThan(20);
    for (const p of queried) {
      expect(p.datasource?.uid, `"${p.title}"`).toBe('${datasource}');
      expect(p.targets?.length, `"${p.title}" has no query`).toBeGreaterThan(0);
      for (const target of p.targets!) expect(target.expr.trim(), `"${p.title}" ${target.refId}`).not.toBe('');
    }
  });

  it('names only metrics and labels the app exposes, in panels, legends and variables', () => {
    const problems: string[] = [];
    for (const p of dashboard.panels) {
      for (const target of p.targets ?? []) {
        const legend = [...(target.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!);
        problems.push(...problemsOf(`"${p.title}" ${target.refId}`, target.expr, legend));
      }
    }
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      problems.push(...problemsOf(`variable ${v.name}`, typeof v.query === 'string' ? v.query : v.query!.query));
    }
    expect(problems).toEqual([]);
  });

  it('shows every imsop_ metric the app exposes', () => {
    const shown = new Set(dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((x) => [...promqlRefs(x.expr).metrics])));
    const missing = [...exposed].filter((m) => m.startsWith('imsop_') && !shown.has(m));
    expect(missing, 'add a panel for each').toEqual([]);
  });
});

describe('the alerting rules (deploy/monitoring/*.rules.yml)', () => {
  it('name only metrics and labels the app exposes, in expressions and in annotation templates', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const { file, rules } of ruleFiles) {
      for (const r of rules.groups.flatMap((g) => g.rules)) {
        const name = `${file} ${r.alert ?? r.record}`;
        const templated = Object.values(r.annotations ?? {}).flatMap((text) => [...text.matchAll(/\$labels\.(\w+)/g)].map((m) => m[1]!));
        problems.push(...problemsOf(name, r.expr, templated));
        if (r.alert) {
          expect(['critical', 'warning'], `${name} severity`).toContain(r.labels?.severity);
          expect(r.annotations?.summary, `${name} summary`).toBeTruthy();
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
