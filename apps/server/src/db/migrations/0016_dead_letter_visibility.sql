ALTER TABLE "event_dead_letters" ADD COLUMN "visibility" jsonb;--> statement-breakpoint
-- Dead letters written before this column: their event's read facts, where the event is still kept.
UPDATE "event_dead_letters" d SET "visibility" = e."visibility" FROM "events" e WHERE e."id" = d."event_id";
