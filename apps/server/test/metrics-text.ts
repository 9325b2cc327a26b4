/** Reading the Prometheus text format that /metrics answers (tests only). */

/** The value of one series: `name` with exactly these labels (none: `{}`), or undefined when it is not there. */
export function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = labelKey(labels);
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have[l[1]!] = l[2]!;
    if (labelKey(have) === want) return Number(m[3]);
  }
  return undefined;
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
