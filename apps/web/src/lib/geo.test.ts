import { geoMercator } from 'd3-geo';
import { describe, expect, it } from 'vitest';
import { devicePosition, fanOut, fitTransform, latLng, toScreen } from './geo';

describe('positions', () => {
  it('accepts only valid WGS 84 coordinates', () => {
    expect(latLng(45.76, 4.83)).toEqual({ lat: 45.76, lng: 4.83 });
    expect(latLng(91, 0)).toBeNull();
    expect(latLng(0, -181)).toBeNull();
    expect(latLng('45', 4)).toBeNull();
    expect(latLng(Number.NaN, 4)).toBeNull();
    expect(latLng(null, null)).toBeNull();
  });

  it('a device is where its metadata says, else where its operation is', () => {
    const op = { lat: 48.85, lng: 2.35 };
    expect(devicePosition({ lat: 45.76, lng: 4.83 }, op)).toEqual({ lat: 45.76, lng: 4.83 });
    expect(devicePosition({ latitude: 43.3, longitude: 5.37 }, op)).toEqual({ lat: 43.3, lng: 5.37 });
    expect(devicePosition({ lat: 'north' }, op)).toEqual(op);
    expect(devicePosition({}, { lat: null, lng: null })).toBeNull();
    expect(devicePosition({}, null)).toBeNull();
  });
});

describe('fitTransform', () => {
  const W = 800;
  const H = 500;

  it('frames every point inside the padding, centred', () => {
    const pts: [number, number][] = [
      [100, 100],
      [300, 180],
      [220, 400],
    ];
    const v = fitTransform(pts, W, H, { padding: 40 });
    for (const p of pts) {
      const [x, y] = toScreen(v, p);
      expect(x).toBeGreaterThanOrEqual(40 - 1e-9);
      expect(x).toBeLessThanOrEqual(W - 40 + 1e-9);
      expect(y).toBeGreaterThanOrEqual(40 - 1e-9);
      expect(y).toBeLessThanOrEqual(H - 40 + 1e-9);
    }
    // The tighter dimension touches the padding: the view is as close as it can be.
    const ys = pts.map((p) => toScreen(v, p)[1]);
    expect(Math.min(...ys)).toBeCloseTo(40);
    expect(Math.max(...ys)).toBeCloseTo(H - 40);
  });

  it('one point is centred at the single-point zoom; none shows the whole map', () => {
    const v = fitTransform([[10, 20]], W, H, { singleK: 6 });
    expect(v.k).toBe(6);
    expect(toScreen(v, [10, 20])).toEqual([W / 2, H / 2]);
    expect(fitTransform([], W, H)).toEqual({ k: 1, x: 0, y: 0 });
  });

  it('stays between minK and maxK', () => {
    expect(fitTransform([[0, 0], [0.001, 0.001]], W, H, { maxK: 32 }).k).toBe(32);
    expect(fitTransform([[0, 0], [10_000, 10_000]], W, H, { minK: 1 }).k).toBe(1);
  });

  it('with the map’s projection, two sites in France frame France, not the world', () => {
    const projection = geoMercator().fitSize([W, H], { type: 'Sphere' });
    const sites = [
      [2.35, 48.85],
      [4.83, 45.76],
    ].map((c) => projection(c as [number, number])!);
    const v = fitTransform(sites, W, H);
    expect(v.k).toBeGreaterThan(8);
    const [px, py] = toScreen(v, projection([2.35, 48.85])!);
    expect(px).toBeGreaterThan(0);
    expect(py).toBeGreaterThan(0);
    expect(px).toBeLessThan(W);
    expect(py).toBeLessThan(H);
  });
});

describe('fanOut', () => {
  it('leaves lone markers in place and spreads those sharing a position around the first', () => {
    const lyon = { lat: 45.76, lng: 4.83 };
    const offsets = fanOut([lyon, { lat: 43.3, lng: 5.37 }, { ...lyon }, { ...lyon }], 10);
    expect(offsets[0]).toEqual([0, 0]);
    expect(offsets[1]).toEqual([0, 0]);
    expect(offsets[2]).toEqual([0, -10]); // straight above
    expect(offsets[3]![1]).toBeCloseTo(10); // then around the circle
    for (const [dx, dy] of offsets.slice(2)) expect(Math.hypot(dx, dy)).toBeCloseTo(10);
  });
});
