import { describe, expect, it } from 'vitest';
import { chooseInterval, effectiveInterval, mergeTail, resolveRange, scaleRange, tailStart, trimBefore, zoomTo, type Point } from './telemetry-range';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('interval choice', () => {
  it.each([
    [15 * MIN, '1m'],
    [6 * HOUR, '1m'],
    [13 * HOUR, '1m'],
    [24 * HOUR, '5m'],
    [2 * DAY, '5m'],
    [7 * DAY, '1h'],
    [30 * DAY, '1h'],
    [90 * DAY, '1d'],
    [2 * 365 * DAY, '1d'],
    [10 * 365 * DAY, '1w'],
    [100 * 365 * DAY, '1mo'],
  ])('a range of %i ms is drawn at %s', (span, interval) => expect(chooseInterval(span)).toBe(interval));

  it('zooming into a range picks a finer interval, zooming out a coarser one', () => {
    const week = chooseInterval(7 * DAY);
    const zoomed = chooseInterval(6 * HOUR);
    expect(['1m', '5m', '1h', '1d', '1w', '1mo'].indexOf(zoomed)).toBeLessThan(['1m', '5m', '1h', '1d', '1w', '1mo'].indexOf(week));
  });

  it('keeps the user’s interval unless it would return too many buckets', () => {
    expect(effectiveInterval(DAY, '1m')).toEqual({ interval: '1m', raised: false });
    expect(effectiveInterval(90 * DAY, '1h')).toEqual({ interval: '1h', raised: false }); // 2,160 buckets
    expect(effectiveInterval(365 * DAY, '1m')).toEqual({ interval: '1d', raised: true });
    expect(effectiveInterval(7 * DAY, 'auto')).toEqual({ interval: '1h', raised: false });
  });
});

describe('ranges', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  it('a preset ends now and is live; a custom range is fixed', () => {
    expect(resolveRange({ range: '1h' }, now)).toEqual({ from: now - HOUR, to: now, live: true });
    expect(resolveRange({}, now)).toEqual({ from: now - DAY, to: now, live: true });
    expect(resolveRange({ range: 'custom', from: '2026-05-01T00:00:00Z', to: '2026-05-02T00:00:00Z' }, now)).toEqual({
      from: Date.parse('2026-05-01T00:00:00Z'),
      to: Date.parse('2026-05-02T00:00:00Z'),
      live: false,
    });
  });

  it('an inverted or unreadable custom range falls back to the default', () => {
    expect(resolveRange({ range: 'custom', from: '2026-05-02T00:00:00Z', to: '2026-05-01T00:00:00Z' }, now).live).toBe(true);
    expect(resolveRange({ range: 'custom', from: 'yesterday' }, now)).toEqual({ from: now - DAY, to: now, live: true });
  });

  it('a zoom selection is at least two minutes wide and never ends in the future', () => {
    expect(zoomTo(now - 10 * MIN, now - 5 * MIN, now)).toEqual({ from: now - 10 * MIN, to: now - 5 * MIN });
    expect(zoomTo(now - 5 * MIN, now - 10 * MIN, now)).toEqual({ from: now - 10 * MIN, to: now - 5 * MIN });
    expect(zoomTo(now - 60 * MIN, now - 60 * MIN + 1000, now)).toEqual({ from: now - 61 * MIN + 500, to: now - 59 * MIN + 500 });
    expect(zoomTo(now - MIN, now + 5 * MIN, now)).toEqual({ from: now - 6 * MIN, to: now });
  });

  it('zoom buttons halve and double the range around its centre', () => {
    expect(scaleRange(now - 4 * HOUR, now - 2 * HOUR, 0.5, now)).toEqual({ from: now - 3.5 * HOUR, to: now - 2.5 * HOUR });
    expect(scaleRange(now - 4 * HOUR, now - 2 * HOUR, 2, now)).toEqual({ from: now - 5 * HOUR, to: now - HOUR });
  });
});

describe('live tail', () => {
  const pts: Point[] = [
    [0, 1],
    [60, 2],
    [120, 3],
  ];
  it('replaces the buckets the tail covers and appends the new ones', () => {
    expect(mergeTail(pts, [[120, 3.5], [180, 4]], 120)).toEqual([[0, 1], [60, 2], [120, 3.5], [180, 4]]);
    expect(mergeTail(pts, [], 120)).toEqual([[0, 1], [60, 2]]);
    expect(mergeTail([], [[5, 1]], 0)).toEqual([[5, 1]]);
  });

  it('ignores tail points older than where the tail starts', () => {
    expect(mergeTail(pts, [[60, 9], [120, 3.5]], 120)).toEqual([[0, 1], [60, 2], [120, 3.5]]);
  });

  it('the tail starts at the last bucket (it may still grow), or at the range start', () => {
    expect(tailStart(pts, -5)).toBe(120);
    expect(tailStart([], 42)).toBe(42);
  });

  it('a sliding range drops what fell out of it, keeping a bucket that still overlaps', () => {
    expect(trimBefore(pts, 90, null)).toEqual([[120, 3]]);
    expect(trimBefore([[0, 1], [60_000, 2], [120_000, 3]], 90_000, '1m')).toEqual([[60_000, 2], [120_000, 3]]);
    expect(trimBefore(pts, 1_000, null)).toEqual([]);
    expect(trimBefore(pts, -1, null)).toEqual(pts);
  });
});
