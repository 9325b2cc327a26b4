ALTER TABLE "tickets" ADD COLUMN "sla_wake_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "tickets_sla_wake" ON "tickets" USING btree ("sla_wake_at") WHERE sla_wake_at is not null;