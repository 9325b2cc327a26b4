CREATE TABLE "ticket_sla" (
	"ticket_id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"policy_id" uuid NOT NULL,
	"state" jsonb NOT NULL,
	"next_due_at" timestamp with time zone,
	"wake_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "ticket_sla" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP INDEX "tickets_sla_due";--> statement-breakpoint
DROP INDEX "tickets_sla_wake";--> statement-breakpoint
ALTER TABLE "ticket_sla" ADD CONSTRAINT "ticket_sla_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ticket_sla_org_due" ON "ticket_sla" USING btree ("org_id","next_due_at") WHERE next_due_at is not null;--> statement-breakpoint
CREATE INDEX "ticket_sla_wake" ON "ticket_sla" USING btree ("wake_at") WHERE wake_at is not null;--> statement-breakpoint
-- Clocks computed so far move with their tickets.
INSERT INTO "ticket_sla" ("ticket_id", "org_id", "policy_id", "state", "next_due_at", "wake_at")
SELECT "id", "org_id", "sla_policy_id", "sla", "sla_next_due_at", "sla_wake_at" FROM "tickets" WHERE "sla" IS NOT NULL AND "sla_policy_id" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" DROP COLUMN "sla_policy_id";--> statement-breakpoint
ALTER TABLE "tickets" DROP COLUMN "sla";--> statement-breakpoint
ALTER TABLE "tickets" DROP COLUMN "sla_next_due_at";--> statement-breakpoint
ALTER TABLE "tickets" DROP COLUMN "sla_wake_at";--> statement-breakpoint
CREATE POLICY "org_isolation" ON "ticket_sla" AS PERMISSIVE FOR ALL TO "imsop_app" USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid) WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);