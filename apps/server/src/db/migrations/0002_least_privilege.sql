-- Least privilege for the app role: the audit log is append-only, the permission catalogue is
-- read-only, and the platform's own secrets are not visible at all.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_logs FROM imsop_app;
--> statement-breakpoint
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON permissions FROM imsop_app;
--> statement-breakpoint
REVOKE ALL ON platform_secrets FROM imsop_app;
--> statement-breakpoint
-- ip and user agent sit outside the hash chain; erasure (GDPR) may clear them and nothing else.
GRANT UPDATE (ip, user_agent) ON audit_logs TO imsop_app;
