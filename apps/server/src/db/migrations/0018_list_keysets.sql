DROP INDEX "resources_org";--> statement-breakpoint
DROP INDEX "alarms_org_state";--> statement-breakpoint
DROP INDEX "devices_org";--> statement-breakpoint
DROP INDEX "api_keys_org";--> statement-breakpoint
DROP INDEX "user_sessions_user";--> statement-breakpoint
DROP INDEX "operation_tasks_operation";--> statement-breakpoint
DROP INDEX "sla_policies_org_position";--> statement-breakpoint
DROP INDEX "ticket_replies_ticket";--> statement-breakpoint
DROP INDEX "ticket_timeline_ticket";--> statement-breakpoint
CREATE INDEX "organizations_name" ON "organizations" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX "resources_org_name" ON "resources" USING btree ("org_id","name","id");--> statement-breakpoint
CREATE INDEX "resources_org_kind_name" ON "resources" USING btree ("org_id","kind","name","id");--> statement-breakpoint
CREATE INDEX "canned_responses_org_list" ON "canned_responses" USING btree ("org_id","title","id");--> statement-breakpoint
CREATE INDEX "sd_teams_org_list" ON "sd_teams" USING btree ("org_id","name","id");--> statement-breakpoint
CREATE INDEX "sla_calendars_org_list" ON "sla_calendars" USING btree ("org_id","name","id");--> statement-breakpoint
CREATE INDEX "alarms_org_started" ON "alarms" USING btree ("org_id","started_at","id");--> statement-breakpoint
CREATE INDEX "alarms_org_active_started" ON "alarms" USING btree ("org_id","active","started_at","id");--> statement-breakpoint
CREATE INDEX "alert_rules_org_name" ON "alert_rules" USING btree ("org_id","name","id");--> statement-breakpoint
CREATE INDEX "devices_org_name" ON "devices" USING btree ("org_id","name","id");--> statement-breakpoint
CREATE INDEX "api_keys_org" ON "api_keys" USING btree ("org_id","created_at","id");--> statement-breakpoint
CREATE INDEX "user_sessions_user" ON "user_sessions" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "operation_tasks_operation" ON "operation_tasks" USING btree ("operation_id","position","id");--> statement-breakpoint
CREATE INDEX "sla_policies_org_position" ON "sla_policies" USING btree ("org_id","position","id");--> statement-breakpoint
CREATE INDEX "ticket_replies_ticket" ON "ticket_replies" USING btree ("ticket_id","created_at","id");--> statement-breakpoint
CREATE INDEX "ticket_timeline_ticket" ON "ticket_timeline" USING btree ("ticket_id","at","id");