ALTER TABLE "events" ADD COLUMN "version" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "copy" boolean DEFAULT false NOT NULL;