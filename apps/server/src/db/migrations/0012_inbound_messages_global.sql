ALTER TABLE "inbound_messages" DROP CONSTRAINT "inbound_messages_org_id_provider_message_id_pk";--> statement-breakpoint
-- A message id recorded by two orgs (a delivery replayed to another org's webhook URL) keeps its first record.
DELETE FROM "inbound_messages" a USING "inbound_messages" b WHERE a."provider" = b."provider" AND a."message_id" = b."message_id" AND (a."created_at", a."org_id") > (b."created_at", b."org_id");--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_provider_message_id_pk" PRIMARY KEY("provider","message_id");
