-- The non-superuser role that every org-scoped transaction switches to (SET LOCAL ROLE), so that
-- row-level security applies even though the process connects as the owner. Roles are cluster-wide
-- on PostgreSQL, hence the existence check.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'imsop_app') THEN
    CREATE ROLE imsop_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO imsop_app;
--> statement-breakpoint
-- Future tables created by the migrating role are readable and writable by the app role;
-- append-only tables take their UPDATE/DELETE back in a later migration.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO imsop_app;
--> statement-breakpoint
-- The connecting role must be able to SET ROLE imsop_app (needed when it is not a superuser).
GRANT imsop_app TO CURRENT_USER;
