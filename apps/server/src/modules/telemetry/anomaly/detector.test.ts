import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createState, restoreState, score, type DetectorState } from './detector.ts';

/** Deterministic PRNG (mulberry32) and a standard normal from it. */
function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

const T0 = Date.UTC(2024, 0, 1);
const STEP = 5 * 60_000;

function run(values: number[], state: DetectorState = createState(), start = 0): number[] {
  return values.map((v, i) => score(state, T0 + (start + i) * STEP, v));
}

const noise = (n: number, seed: number, mean = 50, sd = 2) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => mean + sd * r.normal());
};

/** Leaf values of a JSON-able object: a growing buffer would show up here. */
function leafCount(v: unknown): number {
  if (Array.isArray(v)) return v.reduce((s: number, x) => s + leafCount(x), 0);
  if (v !== null && typeof v === 'object') return Object.values(v).reduce((s: number, x) => s + leafCount(x), 0);
  return 1;
}

describe('detector', () => {
  it('scores are in [0, 1] for arbitrary finite input', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e12, max: 1e12, noNaN: true }), { minLength: 1, maxLength: 400 }), (values) => {
        for (const s of run(values)) {
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 60 },
    );
  });

  it.each([
    ['flat', Array.from({ length: 3000 }, () => 42)],
    ['gaussian noise', noise(3000, 1)],
    ['uniform noise', (() => { const r = rng(2); return Array.from({ length: 3000 }, () => 10 + 10 * r.uniform()); })()],
    ['short-period (non-daily) pattern', Array.from({ length: 3000 }, (_, i) => 20 + Math.sin(i / 7) + ((i * 7919) % 13) / 13)],
    ['daily sine with noise', (() => { const r = rng(3); return Array.from({ length: 4000 }, (_, i) => 50 + 20 * Math.sin((2 * Math.PI * i) / 288) + r.normal()); })()],
  ])('stays near 0 on a stationary %s series after warm-up', (_name, values) => {
    const scores = run(values).slice(600);
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const sorted = [...scores].sort((a, b) => a - b);
    expect(mean).toBeLessThan(0.1);
    expect(sorted[Math.floor(sorted.length * 0.99)]!).toBeLessThan(0.35);
  });

  it('emits low scores during the warm-up', () => {
    const values = noise(150, 4);
    values[100] = 500;
    expect(Math.max(...run(values))).toBe(0);
  });

  it('scores a spike high', () => {
    const values = noise(2000, 5);
    values[1500] = 50 + 2 * 15;
    const scores = run(values);
    const background = Math.max(...scores.slice(600, 1500));
    expect(scores[1500]!).toBeGreaterThan(0.6);
    expect(scores[1500]!).toBeGreaterThan(background);
  });

  it('scores a level shift high within a few points', () => {
    const values = [...noise(1500, 6), ...noise(500, 7, 70)];
    const scores = run(values);
    const background = Math.max(...scores.slice(600, 1500));
    const onset = Math.max(...scores.slice(1500, 1505));
    expect(onset).toBeGreaterThan(0.6);
    expect(onset).toBeGreaterThan(background);
  });

  it('reports once, then stays quiet for a while after a detection (suppression)', () => {
    const values = noise(2000, 8);
    values[1500] = 100;
    values[1510] = 100;
    const scores = run(values);
    expect(scores[1500]!).toBeGreaterThan(0.6);
    expect(scores[1510]!).toBeLessThan(scores[1500]!);
  });

  it('state round-trips through JSON with identical subsequent scores', () => {
    const values = noise(3000, 9);
    values[2200] = 80;
    const a = createState();
    run(values.slice(0, 1000), a);
    const b = JSON.parse(JSON.stringify(a)) as DetectorState;
    expect(b).toEqual(a);
    const rest = values.slice(1000);
    expect(run(rest, b, 1000)).toEqual(run(rest, a, 1000));
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it.each([
    ['null', null],
    ['a string', 'state'],
    ['another version', { ...createState(), v: 2 }],
    ['a missing field', (() => { const { level: _level, ...rest } = createState(); return rest; })()],
    ['a wrong-length array', { ...createState(), dayMean: [1, 2, 3] }],
    ['a non-finite number (JSON null)', { ...createState(), err: null }],
  ])('restoreState falls back to a fresh state for %s', (_name, persisted) => {
    expect(restoreState(persisted)).toEqual(createState());
  });

  it('restoreState keeps a valid persisted state', () => {
    const state = createState();
    run(noise(500, 11), state);
    const restored = restoreState(JSON.parse(JSON.stringify(state)));
    expect(restored).toEqual(state);
    expect(run([60, 50, 51], restored, 500)).toEqual(run([60, 50, 51], state, 500));
  });

  it('state stays finite and JSON-safe on degenerate input', () => {
    const state = createState();
    const values = [0, 0, 0, 1e300, -1e300, 0, Number.NaN, Number.POSITIVE_INFINITY, 5, 5, 5, ...new Array(300).fill(7)];
    for (const s of run(values, state)) expect(Number.isFinite(s)).toBe(true);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('O(1) memory: the state does not grow with the number of points', () => {
    const state = createState();
    const r = rng(10);
    const sizes: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      score(state, T0 + i * STEP, 100 * Math.sin(i / 50) + 5 * r.normal() + (i % 997 === 0 ? 300 : 0));
      if (i === 999 || i === 49_999) sizes.push(leafCount(state));
    }
    expect(sizes[1]).toBe(sizes[0]);
    expect(leafCount(createState())).toBe(sizes[0]);
  });
});
