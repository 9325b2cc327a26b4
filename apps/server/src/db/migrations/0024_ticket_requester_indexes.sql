CREATE INDEX "tickets_org_requester_user" ON "tickets" USING btree ("org_id","requester_user_id","created_at");--> statement-breakpoint
CREATE INDEX "tickets_org_requester_email" ON "tickets" USING btree ("org_id","requester_email","created_at");--> statement-breakpoint
CREATE INDEX "tickets_org_requester_mobile" ON "tickets" USING btree ("org_id","requester_mobile","created_at");