DROP INDEX "notifications_due";--> statement-breakpoint
-- Messages queued before notifications were sent by the jobs facility: one send job each, due when
-- the old sender would have tried them next (8 attempts at most, as the notifier allows).
INSERT INTO "jobs" ("id", "name", "payload", "run_at", "attempts", "max_attempts", "created_at")
SELECT gen_random_uuid(), 'platform.notify.send', jsonb_build_object('id', "id"), "next_attempt_at", LEAST("attempts", 7), 8, now()
  FROM "notifications" WHERE "status" = 'pending';
