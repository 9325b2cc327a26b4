/**
 * CSV front end of the anomaly detector, used by `imsop anomaly score <in.csv> [--out out.csv]`.
 *
 * Reads `timestamp,value` (a header line is optional) and writes `timestamp,value,anomaly_score`, scoring
 * every row with exactly the detector the live pipeline uses (createState/score from detector.ts). The
 * timestamp and value text are copied as they came, through the platform's csvCell (a timestamp that would
 * start a spreadsheet formula is quoted or neutralised); the input is streamed, so memory does not grow with the file.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { csvRow } from '../../../platform/csv/csv.ts';
import { createState, score, type DetectorState } from './detector.ts';
import { parseTimestamp } from './timestamp.ts';

export { parseTimestamp };

const unquote = (s: string) => {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
};

export interface CsvRow {
  timestamp: string;
  value: string;
}

/** Split one `timestamp,value[,…]` line; null for blank lines. */
export function splitCsvLine(line: string): CsvRow | null {
  const l = line.replace(/\r$/, '');
  if (l.trim() === '') return null;
  const parts = l.split(',');
  if (parts.length < 2) throw new Error(`expected "timestamp,value", got ${JSON.stringify(l)}`);
  return { timestamp: unquote(parts[0]!), value: unquote(parts[1]!) };
}

/** Format a score compactly (6 decimals, no trailing zeros). */
export function formatScore(s: number): string {
  return String(Number(s.toFixed(6)));
}

/**
 * Stateful line scorer: feed input lines, get output lines (the header, if any, becomes
 * `timestamp,value,anomaly_score`). Shared by scoreCsv and the tests.
 */
export function createLineScorer(state: DetectorState = createState()) {
  let lineNo = 0;
  let headerDone = false;
  return (line: string): string | null => {
    lineNo++;
    const row = splitCsvLine(line);
    if (!row) return null;
    const value = Number(row.value);
    if (!headerDone) {
      headerDone = true;
      if (row.value === '' || Number.isNaN(value)) return 'timestamp,value,anomaly_score';
    }
    if (row.value === '' || !Number.isFinite(value)) throw new Error(`line ${lineNo}: value ${JSON.stringify(row.value)} is not a finite number`);
    let t: number;
    try {
      t = parseTimestamp(row.timestamp);
    } catch (err) {
      throw new Error(`line ${lineNo}: ${(err as Error).message}`);
    }
    // The timestamp text is any the date parser accepts (Date.parse skips text in parentheses), so it
    // goes through the platform's csvCell like every CSV cell the platform writes.
    return csvRow([row.timestamp, row.value, formatScore(score(state, t, value))]);
  };
}

async function writeLine(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** Score `inPath` and write `timestamp,value,anomaly_score` to `outPath`, or to stdout when it is absent. */
export async function scoreCsv(inPath: string, outPath?: string): Promise<void> {
  const input = createReadStream(inPath, { encoding: 'utf8' });
  const out: Writable = outPath ? createWriteStream(outPath) : process.stdout;
  const next = createLineScorer();
  let wroteHeader = false;
  try {
    const lines = createInterface({ input, crlfDelay: Infinity });
    for await (const line of lines) {
      const o = next(line);
      if (o === null) continue;
      if (!wroteHeader && !o.startsWith('timestamp,value,anomaly_score')) await writeLine(out, 'timestamp,value,anomaly_score\n');
      wroteHeader = true;
      await writeLine(out, `${o}\n`);
    }
    if (!wroteHeader) await writeLine(out, 'timestamp,value,anomaly_score\n');
  } finally {
    input.destroy();
    if (outPath) {
      out.end();
      await once(out, 'finish');
    }
  }
}
