/** Positions and framing of the map (pure: no DOM, no d3). */

export interface LatLng {
  lat: number;
  lng: number;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A valid WGS 84 position, or null. */
export function latLng(lat: unknown, lng: unknown): LatLng | null {
  return finite(lat) && finite(lng) && lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180 ? { lat, lng } : null;
}

/**
 * Where a device is: `lat`/`lng` (or `latitude`/`longitude`, the ThingsBoard attribute names) in
 * its metadata, else the position of the operation it is attached to, else nowhere.
 */
export function devicePosition(metadata: Record<string, unknown>, operation: { lat: number | null; lng: number | null } | null | undefined): LatLng | null {
  return latLng(metadata.lat, metadata.lng) ?? latLng(metadata.latitude, metadata.longitude) ?? (operation ? latLng(operation.lat, operation.lng) : null);
}

export interface View {
  k: number;
  x: number;
  y: number;
}

/**
 * The zoom transform (d3-zoom's k, x, y: screen = point × k + [x, y]) that frames projected points
 * in a width × height viewport with `padding` pixels around, between minK and maxK. One point (or
 * points on top of each other) is shown at `singleK`; no points gives the whole map.
 */
export function fitTransform(
  points: [number, number][],
  width: number,
  height: number,
  { padding = 48, minK = 1, maxK = 64, singleK = 8 }: { padding?: number; minK?: number; maxK?: number; singleK?: number } = {},
): View {
  if (points.length === 0 || width <= 0 || height <= 0) return { k: 1, x: 0, y: 0 };
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of points) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  const dx = x1 - x0;
  const dy = y1 - y0;
  const room = (n: number) => Math.max(1, n - 2 * padding);
  const fit = dx === 0 && dy === 0 ? singleK : Math.min(dx ? room(width) / dx : Infinity, dy ? room(height) / dy : Infinity);
  const k = Math.min(maxK, Math.max(minK, fit));
  return { k, x: width / 2 - k * ((x0 + x1) / 2), y: height / 2 - k * ((y0 + y1) / 2) };
}

/** Applies a view to a projected point. */
export const toScreen = (v: View, [x, y]: [number, number]): [number, number] => [x * v.k + v.x, y * v.k + v.y];

/**
 * Screen offsets that fan out markers sharing a position (a device at its operation's place,
 * several operations at one site), so each stays visible and clickable: the first of a group stays
 * put, the others sit on a circle of `radius` pixels around it.
 */
export function fanOut(positions: LatLng[], radius = 12): [number, number][] {
  const groups = new Map<string, number[]>();
  positions.forEach((p, i) => {
    const key = `${p.lat.toFixed(6)},${p.lng.toFixed(6)}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  const out: [number, number][] = positions.map(() => [0, 0]);
  for (const g of groups.values()) {
    const others = g.length - 1;
    g.slice(1).forEach((index, j) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * j) / others;
      out[index] = [Math.round(radius * Math.cos(angle) * 100) / 100, Math.round(radius * Math.sin(angle) * 100) / 100];
    });
  }
  return out;
}
