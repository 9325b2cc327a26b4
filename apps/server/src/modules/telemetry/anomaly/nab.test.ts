import { describe, expect, it } from 'vitest';
import {
  normalise,
  probationaryLength,
  rowWeights,
  scaledSigmoid,
  scoreFile,
  scoreSubset,
  sweepCorpus,
  windowsToIndices,
  type CostMatrix,
  type NabFile,
  type WindowRange,
} from './nab.ts';
import { parseTimestamp } from './timestamp.ts';

const standard: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };
const lowFp: CostMatrix = { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 };
const lowFn: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 };

/**
 * A 20-row file: rows 0–2 are probationary (floor(0.15·20) = 3), one window over rows 10–14 (length 5).
 * `at` lists the rows that fire (score 1); every other row scores 0.
 */
const N = 20;
const WINDOW: WindowRange[] = [[10, 14]];
const fire = (at: number[], n = N) => Array.from({ length: n }, (_, i) => (at.includes(i) ? 1 : 0));

describe('scaledSigmoid', () => {
  it.each([
    [-1, 0.98661],
    [-0.5, 0.84828],
    [0, 0],
    [1, -0.98661],
    [3, -1],
    [10, -1],
  ])('A(%d) = %d', (x, expected) => {
    expect(scaledSigmoid(x)).toBeCloseTo(expected, 5);
  });
});

describe('probationaryLength', () => {
  it.each([
    [20, 3],
    [1624, 243],
    [4032, 604],
    [5000, 750],
    [22695, 750],
  ])('%d rows → %d probationary', (rows, expected) => {
    expect(probationaryLength(rows)).toBe(expected);
  });
});

describe('scoreFile (hand-computed raw scores, threshold 0.5)', () => {
  // Worked by hand from A(x) = 2/(1+e^{5x}) − 1:
  //   in window, row i: x = −(14 − i + 1)/5; weight = A(x)/A(−1)
  //     row 10: x = −1   → 1
  //     row 12: x = −0.6 → A = 2/(1+e^{−3}) − 1 = 0.905148; /0.986614 = 0.917429
  //     row 14: x = −0.2 → A = 2/(1+e^{−1}) − 1 = 0.462117; /0.986614 = 0.468387
  //   after the window, row i: x = (i − 14)/(5 − 1); cost = A(x)·fp
  //     row 15: x = 0.25 → A = 2/(1+e^{1.25}) − 1 = −0.554599 → −0.061006 (standard)
  //     row 19: x = 1.25 → A = 2/(1+e^{6.25}) − 1 = −0.996146 → −0.109576 (standard)
  it.each([
    ['detection at the window start', [10], WINDOW, standard, 1],
    ['missed window', [], WINDOW, standard, -1],
    ['missed window, reward_low_FN', [], WINDOW, lowFn, -2],
    ['detection in the middle of the window', [12], WINDOW, standard, 0.917429],
    ['detection at the right edge of the window', [14], WINDOW, standard, 0.468387],
    ['only the best detection per window counts', [12, 10, 13, 14], WINDOW, standard, 1],
    ['later detections do not add to an earlier one', [12, 14], WINDOW, standard, 0.917429],
    ['FP before the first window costs −fp', [5], [], standard, -0.11],
    ['FP before the first window, reward_low_FP', [5], [], lowFp, -0.22],
    ['FP before a window plus the detected window', [5, 10], WINDOW, standard, 1 - 0.11],
    ['FP right after the window', [15], WINDOW, standard, -1 - 0.061006],
    ['FP far after the window', [19], WINDOW, standard, -1 - 0.109576],
    ['every FP row counts', [5, 6, 7], [], standard, -0.33],
    ['probationary rows are ignored (no windows)', [0, 1, 2], [], standard, 0],
    ['probationary rows are ignored (window missed)', [0, 1, 2], WINDOW, standard, -1],
    ['no detections, no windows', [], [], standard, 0],
  ] as const)('%s', (_name, at, windows, cost, expected) => {
    expect(scoreFile(fire([...at]), windows, cost, 0.5)).toBeCloseTo(expected, 5);
  });

  it('an FP right after a window costs less than one far after it', () => {
    const near = scoreFile(fire([15]), WINDOW, standard, 0.5);
    const far = scoreFile(fire([19]), WINDOW, standard, 0.5);
    expect(near).toBeGreaterThan(far);
  });

  it('a detection is a score at or above the threshold', () => {
    const scores = fire([]).map((_, i) => (i === 10 ? 0.7 : 0));
    expect(scoreFile(scores, WINDOW, standard, 0.7)).toBeCloseTo(1, 10);
    expect(scoreFile(scores, WINDOW, standard, 0.70001)).toBeCloseTo(-1, 10);
  });
});

describe('rowWeights', () => {
  it('marks probationary rows, window rows and the rest', () => {
    const { window, weight } = rowWeights(N, WINDOW, standard);
    expect([...window.slice(0, 4)]).toEqual([-2, -2, -2, -1]);
    expect([...window.slice(10, 16)]).toEqual([0, 0, 0, 0, 0, -1]);
    expect(weight[10]).toBeCloseTo(1, 10);
    expect(weight[3]).toBeCloseTo(-0.11, 10);
  });
});

describe('sweepCorpus', () => {
  const file = (name: string, scores: number[], windows: WindowRange[] = WINDOW): NabFile => ({ name, scores, windows });

  it('normalises: perfect detector = 100', () => {
    const r = sweepCorpus([file('a', fire([10])), file('b', fire([10]))], standard);
    expect(r.perfect).toBe(2);
    expect(r.null).toBe(-2);
    expect(r.raw).toBeCloseTo(2, 10);
    expect(r.normalised).toBeCloseTo(100, 10);
  });

  it('normalises: a detector that never helps scores 0 (null)', () => {
    // Constant score: firing everywhere would earn +1 in the window but pay 70 FPs before it.
    const n = 200;
    const r = sweepCorpus([file('a', new Array<number>(n).fill(0.5), [[100, 119]])], standard);
    expect(r.threshold).toBe(Number.POSITIVE_INFINITY);
    expect(r.raw).toBe(-1);
    expect(r.normalised).toBe(0);
  });

  it('normalise() maps null to 0 and perfect to 100', () => {
    expect(normalise(-39, -39, 39)).toBe(0);
    expect(normalise(39, -39, 39)).toBe(100);
    expect(normalise(0, -39, 39)).toBe(50);
    expect(normalise(-78, -78, 78)).toBe(0);
  });

  it('sweeps every distinct score over the whole corpus and keeps the best threshold', () => {
    // file a: 0.9 at the window start, 0.6 on an FP before it; file b: 0.7 at its window start.
    //   threshold 0.9 → +1 − 1 = 0;  0.7 → +1 + 1 = 2;  0.6 → 2 − 0.11 = 1.89;  0 → many FPs.
    const a = fire([]).map((_, i) => (i === 10 ? 0.9 : i === 5 ? 0.6 : 0));
    const b = fire([]).map((_, i) => (i === 10 ? 0.7 : 0));
    const r = sweepCorpus([file('a', a), file('b', b)], standard);
    expect(r.threshold).toBe(0.7);
    expect(r.raw).toBeCloseTo(2, 10);
    expect(r.normalised).toBeCloseTo(100, 10);
    // The same thresholds per file agree with scoreFile.
    expect(scoreFile(a, WINDOW, standard, 0.6) + scoreFile(b, WINDOW, standard, 0.6)).toBeCloseTo(1.89, 10);
  });

  it('agrees with scoreFile at the chosen threshold (per-category breakdown)', () => {
    const files = [file('a', fire([12, 16])), file('b', fire([4])), file('c', fire([]), [])];
    const r = sweepCorpus(files, lowFn);
    const sub = scoreSubset(files, lowFn, r.threshold);
    expect(sub.raw).toBeCloseTo(r.raw, 10);
    expect(sub.windows).toBe(2);
  });
});

describe('windowsToIndices', () => {
  it('maps NAB window timestamps (with microseconds) to inclusive rows', () => {
    const times = ['2014-04-01 00:00:00', '2014-04-01 00:05:00', '2014-04-01 00:10:00', '2014-04-01 00:15:00'].map(parseTimestamp);
    expect(windowsToIndices(times, [['2014-04-01 00:05:00.000000', '2014-04-01 00:10:00.000000']])).toEqual([[1, 2]]);
  });
});
