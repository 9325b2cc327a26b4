ALTER TABLE "events" ADD COLUMN "visibility" jsonb;--> statement-breakpoint
-- Events written before the column get the facts their record's read rule needs, so a replay
-- (since=0) shows them only to subscribers who could read the record, like every new event.
UPDATE "events" SET "visibility" = jsonb_build_object(
  'kind', 'operation',
  'ownerId', "payload"->'operation'->'ownerId',
  'createdBy', "payload"->'operation'->'createdBy',
  'assignees', coalesce("payload"->'operation'->'assignees', '[]'::jsonb))
WHERE "visibility" IS NULL AND "payload" ? 'operation';--> statement-breakpoint
UPDATE "events" e SET "visibility" = jsonb_build_object(
  'kind', 'ticket',
  'teamId', e."payload"->'ticket'->'teamId',
  'assigneeId', e."payload"->'ticket'->'assigneeId',
  'createdBy', (SELECT to_jsonb(t."created_by") FROM "tickets" t WHERE t."id" = (e."payload"->'ticket'->>'id')::uuid))
WHERE e."visibility" IS NULL AND e."payload" ? 'ticket';--> statement-breakpoint
UPDATE "events" e SET "visibility" = jsonb_build_object(
  'kind', 'rating',
  'agentId', e."payload"->'agentId',
  'department', (SELECT to_jsonb(u."department") FROM "users" u WHERE u."id" = (e."payload"->>'agentId')::uuid),
  'teamIds', (SELECT coalesce(jsonb_agg(m."team_id"), '[]'::jsonb) FROM "sd_team_members" m WHERE m."user_id" = (e."payload"->>'agentId')::uuid))
WHERE e."visibility" IS NULL AND e."type" = 'agent.rated';
