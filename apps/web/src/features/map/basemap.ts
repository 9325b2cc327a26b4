import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import type { Feature, FeatureCollection, MultiLineString } from 'geojson';
// Natural Earth (public domain) as TopoJSON, from the world-atlas package (ISC): bundled as static
// assets of the console and fetched from our own origin, so the map needs no internet access.
import lowUrl from 'world-atlas/countries-110m.json?url';
import mediumUrl from 'world-atlas/countries-50m.json?url';

export interface Basemap {
  countries: FeatureCollection;
  borders: MultiLineString;
}

type Countries = Topology<{ countries: GeometryCollection; land: GeometryCollection }>;

async function load(url: string): Promise<Basemap> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`The basemap could not be loaded (${res.status}).`);
  const topo = (await res.json()) as Countries;
  const countries = feature(topo, topo.objects.countries) as FeatureCollection;
  // Inner borders only: coastlines come from the country fills.
  const borders = mesh(topo, topo.objects.countries, (a, b) => a !== b);
  return { countries, borders };
}

/** 1:110m for the world and regions; 1:50m once zoomed in to a country (about 230 kB gzip, loaded on demand). */
export const BASEMAPS = {
  low: () => load(lowUrl),
  medium: () => load(mediumUrl),
};
/** Zoom factor from which the medium-scale basemap is drawn. */
export const MEDIUM_FROM_K = 6;

export type { Feature };
