import { bigint, doublePrecision, pgTable } from 'drizzle-orm/pg-core';
import { orgId, ts } from '../../platform/db/columns.ts';

/**
 * Raw points. Declared here for typed queries only: the table is range-partitioned by time, which
 * drizzle-kit cannot express, so it is created by a hand-written migration (see db/migrations) and
 * this file is deliberately not named *.schema.ts.
 */
export const telemetryPoints = pgTable('telemetry_points', {
  seriesId: bigint('series_id', { mode: 'number' }).notNull(),
  orgId: orgId(),
  ts: ts('ts').notNull(),
  value: doublePrecision('value').notNull(),
});
