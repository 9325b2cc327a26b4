DROP INDEX "invitations_org_email";--> statement-breakpoint
ALTER TABLE "invitations" ADD COLUMN "superseded_token_hashes" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
-- Hand-written: before the unique index, revoke all but the newest of any pending duplicates (a race the old check allowed).
UPDATE "invitations" SET "revoked_at" = now(), "updated_at" = now()
WHERE "accepted_at" IS NULL AND "revoked_at" IS NULL AND EXISTS (
  SELECT 1 FROM "invitations" newer
  WHERE newer."org_id" = "invitations"."org_id" AND lower(newer."email") = lower("invitations"."email")
    AND newer."accepted_at" IS NULL AND newer."revoked_at" IS NULL
    AND (newer."created_at", newer."id") > ("invitations"."created_at", "invitations"."id")
);--> statement-breakpoint
CREATE UNIQUE INDEX "invitations_pending_email" ON "invitations" USING btree ("org_id",lower("email")) WHERE "invitations"."accepted_at" is null and "invitations"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX "invitations_superseded" ON "invitations" USING gin ("superseded_token_hashes");