import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLineScorer, formatScore, parseTimestamp, scoreCsv, splitCsvLine } from './csv.ts';
import { createState, score } from './detector.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imsop-anomaly-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A NAB-style series: 5-minute steps, mild noise, a spike at row 400. */
function nabLikeCsv(rows: number, eol = '\n'): { text: string; timestamps: string[]; values: string[] } {
  const timestamps: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < rows; i++) {
    const d = new Date(Date.UTC(2014, 3, 1) + i * 300_000);
    timestamps.push(d.toISOString().slice(0, 19).replace('T', ' '));
    values.push(i === 400 ? '95.5' : (20 + Math.sin(i / 7) + ((i * 7919) % 13) / 13).toString());
  }
  const text = ['timestamp,value', ...timestamps.map((t, i) => `${t},${values[i]}`)].join(eol) + eol;
  return { text, timestamps, values };
}

describe('parseTimestamp', () => {
  it.each([
    ['2014-04-01 00:00:00', Date.UTC(2014, 3, 1)],
    ['2014-04-01 00:05:00', Date.UTC(2014, 3, 1, 0, 5)],
    ['2011-07-11 04:00:01.000000', Date.UTC(2011, 6, 11, 4, 0, 1)],
    ['2014-04-01T12:30:00', Date.UTC(2014, 3, 1, 12, 30)],
    ['2014-04-01', Date.UTC(2014, 3, 1)],
    ['2014-04-01T12:30:00Z', Date.UTC(2014, 3, 1, 12, 30)],
    ['2014-04-01T12:30:00+02:00', Date.UTC(2014, 3, 1, 10, 30)],
    ['1396310400', Date.UTC(2014, 3, 1)],
    ['1396310400000', Date.UTC(2014, 3, 1)],
  ])('%s', (text, expected) => {
    expect(parseTimestamp(text)).toBe(expected);
  });

  it('rejects garbage', () => {
    expect(() => parseTimestamp('yesterday-ish')).toThrow(/unparseable timestamp/);
  });
});

describe('line scorer', () => {
  it.each([
    ['2014-04-01 00:00:00,1.5', { timestamp: '2014-04-01 00:00:00', value: '1.5' }],
    ['"2014-04-01 00:00:00","1.5"\r', { timestamp: '2014-04-01 00:00:00', value: '1.5' }],
    ['2014-04-01 00:00:00,1.5,extra', { timestamp: '2014-04-01 00:00:00', value: '1.5' }],
    ['   ', null],
  ])('splits %j', (line, expected) => {
    expect(splitCsvLine(line)).toEqual(expected);
  });

  it('formats scores compactly', () => {
    expect(formatScore(0)).toBe('0');
    expect(formatScore(0.123456789)).toBe('0.123457');
  });

  it('turns the header into timestamp,value,anomaly_score and rejects non-numbers with the line number', () => {
    const next = createLineScorer();
    expect(next('timestamp,value')).toBe('timestamp,value,anomaly_score');
    expect(next('2014-04-01 00:00:00,3')).toBe('2014-04-01 00:00:00,3,0');
    expect(() => next('2014-04-01 00:05:00,abc')).toThrow(/line 3: value "abc" is not a finite number/);
  });

  it('writes the copied timestamp and value through the platform csvCell: a timestamp the date parser accepts cannot carry a formula', () => {
    const next = createLineScorer();
    // Date.parse ignores text in parentheses, so this is a valid timestamp: verbatim, it would split into a formula in a ; locale.
    const evil = "Jan 1 2020 (;=cmd|' /C calc'!A0)";
    expect(next(`${evil},3`)).toBe(`"${evil}",3,0`);
    expect(next('+002020-01-01T00:00:05Z,4')).toBe("'+002020-01-01T00:00:05Z,4,0");
    // Numbers, epoch timestamps and NAB timestamps come out as they came in.
    expect(next('1577836810,-2.5')).toBe('1577836810,-2.5,0');
    expect(next('2020-01-01 00:00:15,+7')).toMatch(/^2020-01-01 00:00:15,\+7,[\d.]+$/);
  });
});

describe('scoreCsv', () => {
  it('round-trips: timestamps and values verbatim, scores exactly those of the live detector', async () => {
    const { text, timestamps, values } = nabLikeCsv(600);
    const inPath = path.join(dir, 'in.csv');
    const outPath = path.join(dir, 'out.csv');
    await writeFile(inPath, text);
    await scoreCsv(inPath, outPath);

    const lines = (await readFile(outPath, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score');
    expect(lines).toHaveLength(timestamps.length + 1);
    const state = createState();
    const rows = lines.slice(1).map((l) => l.split(','));
    rows.forEach(([t, v, s], i) => {
      expect(t).toBe(timestamps[i]);
      expect(v).toBe(values[i]);
      expect(s).toBe(formatScore(score(state, parseTimestamp(timestamps[i]!), Number(values[i]))));
      expect(Number(s)).toBeGreaterThanOrEqual(0);
      expect(Number(s)).toBeLessThanOrEqual(1);
    });
    // The spike stands out.
    const scores = rows.map((r) => Number(r[2]));
    expect(scores[400]!).toBeGreaterThan(0.5);
    expect(scores[400]!).toBe(Math.max(...scores));
  });

  it('accepts CRLF, blank lines and a missing header, and writes to stdout without --out', async () => {
    const { text } = nabLikeCsv(20, '\r\n');
    const noHeader = text.split('\r\n').slice(1).join('\r\n\r\n');
    const inPath = path.join(dir, 'crlf.csv');
    await writeFile(inPath, noHeader);
    const chunks: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    });
    try {
      await scoreCsv(inPath);
    } finally {
      spy.mockRestore();
    }
    const lines = chunks.join('').trimEnd().split('\n');
    expect(lines[0]).toBe('timestamp,value,anomaly_score');
    expect(lines).toHaveLength(21);
    expect(lines[1]).toMatch(/^2014-04-01 00:00:00,[\d.]+,0$/);
  });

  it('fails with the line number on a bad row', async () => {
    const inPath = path.join(dir, 'bad.csv');
    await writeFile(inPath, 'timestamp,value\n2014-04-01 00:00:00,1\nnot a time,2\n');
    await expect(scoreCsv(inPath, path.join(dir, 'bad-out.csv'))).rejects.toThrow(/line 3: unparseable timestamp/);
  });
});
