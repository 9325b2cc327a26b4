CREATE TABLE "event_dead_letters" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"subscription" text NOT NULL,
	"event_id" bigint NOT NULL,
	"event_type" text NOT NULL,
	"topic" text NOT NULL,
	"payload" jsonb NOT NULL,
	"event_created_at" timestamp with time zone NOT NULL,
	"attempts" integer NOT NULL,
	"last_error" text NOT NULL,
	"status" text DEFAULT 'dead' NOT NULL,
	"dead_at" timestamp with time zone NOT NULL,
	"replay_requested_at" timestamp with time zone,
	"replay_requested_by" uuid,
	"replayed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "event_dead_letters_subscription_event" UNIQUE("subscription","event_id")
);
--> statement-breakpoint
ALTER TABLE "event_dead_letters" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "event_receipts" (
	"subscription" text NOT NULL,
	"event_id" bigint NOT NULL,
	"org_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "event_receipts_subscription_event_id_pk" PRIMARY KEY("subscription","event_id")
);
--> statement-breakpoint
ALTER TABLE "event_receipts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "event_subscriptions" (
	"name" text PRIMARY KEY NOT NULL,
	"types" text[] NOT NULL,
	"snapshot" text NOT NULL,
	"target" text,
	"after_id" bigint DEFAULT 0 NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"head_event_id" bigint,
	"head_org_id" uuid,
	"retry_at" timestamp with time zone,
	"last_error" text,
	"handled" bigint DEFAULT 0 NOT NULL,
	"retries" bigint DEFAULT 0 NOT NULL,
	"dead_lettered" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Rows written before this migration get transaction id 0, which every snapshot sees as committed
-- long ago: a constant default adds the column without rewriting the table (a large outbox would be
-- locked for the whole rewrite otherwise). New rows get their writer's transaction id.
ALTER TABLE "events" ADD COLUMN "tx" "xid8" DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "tx" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
CREATE INDEX "event_dead_letters_org_status" ON "event_dead_letters" USING btree ("org_id","status","created_at");--> statement-breakpoint
CREATE INDEX "event_dead_letters_queued" ON "event_dead_letters" USING btree ("subscription") WHERE status = 'queued';--> statement-breakpoint
CREATE INDEX "event_receipts_created" ON "event_receipts" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "events_tx" ON "events" USING btree ("tx");--> statement-breakpoint
CREATE POLICY "org_isolation" ON "event_dead_letters" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "org_isolation" ON "event_receipts" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);--> statement-breakpoint
-- An event's id is taken after its transaction has an id of its own (an event-only transaction would
-- otherwise take its id first): every transaction that holds an event id which is not committed yet
-- is then listed as in progress by any snapshot taken after a later id committed. The live
-- dispatcher relies on that to tell a hole of a rolled-back insert from one still to be filled.
CREATE OR REPLACE FUNCTION imsop_next_event_id() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_current_xact_id();
  RETURN nextval('events_id_seq');
END
$$;--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "id" SET DEFAULT imsop_next_event_id();--> statement-breakpoint
-- Least privilege: positions are the platform's (owner only); receipts are written once and never
-- changed by the app role; dead letters are written by the runner, and an admin only asks for replays.
REVOKE ALL ON event_subscriptions FROM imsop_app;--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON event_receipts FROM imsop_app;--> statement-breakpoint
REVOKE INSERT, DELETE, TRUNCATE ON event_dead_letters FROM imsop_app;
