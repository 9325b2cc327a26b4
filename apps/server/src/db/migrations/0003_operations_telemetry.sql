CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"topic" text NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "operation_assignees" (
	"org_id" uuid NOT NULL,
	"operation_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	CONSTRAINT "operation_assignees_operation_id_user_id_pk" PRIMARY KEY("operation_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "operation_assignees" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "operation_tasks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"operation_id" uuid NOT NULL,
	"title" text NOT NULL,
	"assignee_id" uuid,
	"due_at" timestamp with time zone,
	"status" text DEFAULT 'todo' NOT NULL,
	"checklist" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "operation_tasks" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "operations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"priority" text DEFAULT 'medium' NOT NULL,
	"type" text,
	"location" text,
	"lat" double precision,
	"lng" double precision,
	"start_at" timestamp with time zone,
	"end_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"created_by" uuid,
	"owner_id" uuid,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(description, '') || ' ' || coalesce(location, '') || ' ' || coalesce(type, ''))) STORED,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "operations_lat" CHECK (lat is null or (lat between -90 and 90)),
	CONSTRAINT "operations_lng" CHECK (lng is null or (lng between -180 and 180)),
	CONSTRAINT "operations_dates" CHECK (start_at is null or end_at is null or end_at >= start_at)
);
--> statement-breakpoint
ALTER TABLE "operations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "resource_allocations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"resource_id" uuid NOT NULL,
	"operation_id" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"during" "tstzrange" GENERATED ALWAYS AS (tstzrange(starts_at, ends_at, '[)')) STORED,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "resource_allocations_window" CHECK (ends_at > starts_at)
);
--> statement-breakpoint
ALTER TABLE "resource_allocations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "resources" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "resources" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "alarms" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"rule_id" uuid,
	"series_id" bigint,
	"source" text NOT NULL,
	"metric" text NOT NULL,
	"severity" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"acknowledged" boolean DEFAULT false NOT NULL,
	"message" text NOT NULL,
	"value" double precision,
	"started_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"cleared_at" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "alarms" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"metric" text NOT NULL,
	"device_id" uuid,
	"operation_id" uuid,
	"kind" text NOT NULL,
	"direction" text,
	"threshold" double precision,
	"duration_seconds" integer DEFAULT 0 NOT NULL,
	"severity" text DEFAULT 'major' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "alert_rules" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "devices" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"type" text DEFAULT 'generic' NOT NULL,
	"operation_id" uuid,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"key_prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"last_seen_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "devices" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "telemetry_rollup_1h" (
	"series_id" bigint NOT NULL,
	"org_id" uuid NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"count" bigint NOT NULL,
	"sum" double precision NOT NULL,
	"min" double precision NOT NULL,
	"max" double precision NOT NULL,
	"sum_sq" double precision NOT NULL
);
--> statement-breakpoint
ALTER TABLE "telemetry_rollup_1h" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "telemetry_rollup_1m" (
	"series_id" bigint NOT NULL,
	"org_id" uuid NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"count" bigint NOT NULL,
	"sum" double precision NOT NULL,
	"min" double precision NOT NULL,
	"max" double precision NOT NULL,
	"sum_sq" double precision NOT NULL
);
--> statement-breakpoint
ALTER TABLE "telemetry_rollup_1m" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "telemetry_series" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "telemetry_series_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"org_id" uuid NOT NULL,
	"device_id" uuid,
	"operation_id" uuid,
	"metric" text NOT NULL,
	"unit" text,
	"last_ts" timestamp with time zone,
	"last_value" double precision,
	"anomaly_state" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "telemetry_series" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "operation_assignees" ADD CONSTRAINT "operation_assignees_operation_id_operations_id_fk" FOREIGN KEY ("operation_id") REFERENCES "public"."operations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operation_tasks" ADD CONSTRAINT "operation_tasks_operation_id_operations_id_fk" FOREIGN KEY ("operation_id") REFERENCES "public"."operations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resource_allocations" ADD CONSTRAINT "resource_allocations_resource_id_resources_id_fk" FOREIGN KEY ("resource_id") REFERENCES "public"."resources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resource_allocations" ADD CONSTRAINT "resource_allocations_operation_id_operations_id_fk" FOREIGN KEY ("operation_id") REFERENCES "public"."operations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alarms" ADD CONSTRAINT "alarms_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_org_topic_id" ON "events" USING btree ("org_id","topic","id");--> statement-breakpoint
CREATE INDEX "events_created" ON "events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "operation_assignees_user" ON "operation_assignees" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "operation_tasks_operation" ON "operation_tasks" USING btree ("operation_id","position");--> statement-breakpoint
CREATE INDEX "operations_org_status" ON "operations" USING btree ("org_id","status");--> statement-breakpoint
CREATE INDEX "operations_org_created" ON "operations" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "operations_search" ON "operations" USING gin ("search");--> statement-breakpoint
CREATE INDEX "operations_org_geo" ON "operations" USING btree ("org_id","lat","lng");--> statement-breakpoint
CREATE INDEX "resource_allocations_operation" ON "resource_allocations" USING btree ("operation_id");--> statement-breakpoint
CREATE INDEX "resources_org" ON "resources" USING btree ("org_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "alarms_one_active" ON "alarms" USING btree ("org_id","rule_id","source") WHERE active;--> statement-breakpoint
CREATE INDEX "alarms_org_state" ON "alarms" USING btree ("org_id","active","acknowledged");--> statement-breakpoint
CREATE INDEX "alert_rules_org_metric" ON "alert_rules" USING btree ("org_id","metric");--> statement-breakpoint
CREATE UNIQUE INDEX "devices_key_prefix" ON "devices" USING btree ("key_prefix");--> statement-breakpoint
CREATE INDEX "devices_org" ON "devices" USING btree ("org_id");--> statement-breakpoint
CREATE UNIQUE INDEX "telemetry_rollup_1h_key" ON "telemetry_rollup_1h" USING btree ("series_id","bucket");--> statement-breakpoint
CREATE INDEX "telemetry_rollup_1h_bucket" ON "telemetry_rollup_1h" USING btree ("bucket");--> statement-breakpoint
CREATE UNIQUE INDEX "telemetry_rollup_1m_key" ON "telemetry_rollup_1m" USING btree ("series_id","bucket");--> statement-breakpoint
CREATE INDEX "telemetry_rollup_1m_bucket" ON "telemetry_rollup_1m" USING btree ("bucket");--> statement-breakpoint
CREATE UNIQUE INDEX "telemetry_series_key" ON "telemetry_series" USING btree ("org_id",coalesce("device_id", '00000000-0000-0000-0000-000000000000'::uuid),coalesce("operation_id", '00000000-0000-0000-0000-000000000000'::uuid),"metric");--> statement-breakpoint
CREATE INDEX "telemetry_series_device" ON "telemetry_series" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "telemetry_series_operation" ON "telemetry_series" USING btree ("operation_id");--> statement-breakpoint
CREATE POLICY "org_isolation" ON "events" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "org_isolation" ON "operation_assignees" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "org_isolation" ON "operation_tasks" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "org_isolation" ON "operations" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "org_isolation" ON "resource_allocations" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "org_isolation" ON "resources" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "org_isolation" ON "alarms" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "org_isolation" ON "alert_rules" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "org_isolation" ON "devices" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "org_isolation" ON "telemetry_rollup_1h" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "org_isolation" ON "telemetry_rollup_1m" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "org_isolation" ON "telemetry_series" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);