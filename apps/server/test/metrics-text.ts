/** Reading the Prometheus text format that /metrics answers (tests only). */

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const labelsIn = (body: string | undefined) => {
  const out: Record<string, string> = {};
  for (const l of (body ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) out[l[1]!] = l[2]!;
  return out;
};

/** The value of one series: `name` with exactly these labels (none: `{}`), or undefined when it is not there. */
export function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = labelKey(labels);
  for (const line of text.split('\n')) {
    const m = SAMPLE.exec(line);
    if (m && m[1] === name && labelKey(labelsIn(m[2])) === want) return Number(m[3]);
  }
  return undefined;
}

/** The label names each series name carries in the text (a histogram's `_bucket` series carry `le`). */
export function seriesLabels(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m) continue;
    let set = out.get(m[1]!);
    if (!set) out.set(m[1]!, (set = new Set()));
    for (const l of Object.keys(labelsIn(m[2]))) set.add(l);
  }
  return out;
}

const labelKey = (labels: Record<string, string>) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');

/**
 * Every metric name the text declares (`# TYPE`), with the series names a histogram or summary
 * adds (`_bucket`, `_sum`, `_count`): what a PromQL query against this exposition may name.
 */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/gm)) {
    names.add(m[1]!);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1]! + s);
    if (m[2] === 'summary') for (const s of ['_sum', '_count']) names.add(m[1]! + s);
  }
  return names;
}
