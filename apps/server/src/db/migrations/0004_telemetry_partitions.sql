-- Sequences (bigserial event ids, identity series ids) are usable by the app role.
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO imsop_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO imsop_app;
--> statement-breakpoint
-- A resource cannot be booked twice for overlapping times, whatever the concurrency.
CREATE EXTENSION IF NOT EXISTS btree_gist;
--> statement-breakpoint
ALTER TABLE resource_allocations ADD CONSTRAINT resource_allocations_no_overlap EXCLUDE USING gist (resource_id WITH =, during WITH &&);
--> statement-breakpoint
-- Raw telemetry: range-partitioned by time (monthly partitions are created ahead by the server;
-- the default partition catches anything outside them, so no point is ever refused for lack of
-- a partition). Retention drops whole partitions.
CREATE TABLE telemetry_points (
  series_id bigint NOT NULL,
  org_id uuid NOT NULL,
  ts timestamptz NOT NULL,
  value double precision NOT NULL
) PARTITION BY RANGE (ts);
--> statement-breakpoint
CREATE TABLE telemetry_points_default PARTITION OF telemetry_points DEFAULT;
--> statement-breakpoint
CREATE INDEX telemetry_points_series_ts ON telemetry_points (series_id, ts);
--> statement-breakpoint
CREATE INDEX telemetry_points_ts_brin ON telemetry_points USING brin (ts);
--> statement-breakpoint
ALTER TABLE telemetry_points ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY org_isolation ON telemetry_points AS PERMISSIVE FOR ALL TO imsop_app
  USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
  WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON telemetry_points TO imsop_app;
--> statement-breakpoint
-- The outbox is append-only for the app role.
REVOKE UPDATE ON events FROM imsop_app;
