CREATE TABLE "job_schedules" (
	"name" text PRIMARY KEY NOT NULL,
	"job" text NOT NULL,
	"spec" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"next_run_at" timestamp with time zone NOT NULL,
	"last_run_at" timestamp with time zone,
	"fired" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"key" text,
	"run_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer NOT NULL,
	"locked_until" timestamp with time zone,
	"locked_by" text,
	"last_error" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_name_key" ON "jobs" USING btree ("name","key");--> statement-breakpoint
CREATE INDEX "jobs_due" ON "jobs" USING btree ("run_at") WHERE status = 'pending';--> statement-breakpoint
-- Background work is the platform's: an org-scoped transaction (the app role) may only add a job,
-- so that it commits with the use case (the dedupe key needs its columns readable), and never
-- reads, changes or removes one.
REVOKE ALL ON jobs FROM imsop_app;--> statement-breakpoint
GRANT INSERT ON jobs TO imsop_app;--> statement-breakpoint
GRANT SELECT (name, key) ON jobs TO imsop_app;--> statement-breakpoint
REVOKE ALL ON job_schedules FROM imsop_app;
