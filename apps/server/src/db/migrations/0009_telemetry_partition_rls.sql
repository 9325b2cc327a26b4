-- Row-level security is not inherited: a partition read directly (the app role may SELECT it, by the
-- default privileges) shows every org's rows unless it has RLS and policies of its own. This function
-- gives every partition of a table with row-level security the same: RLS on (and forced, if the
-- parent's is) and a copy of each of the parent's policies it lacks. It is idempotent; the server
-- calls it in the transaction that creates a partition (telemetry retention.ts), and here it fixes
-- the partitions that exist already.
CREATE OR REPLACE FUNCTION imsop_secure_partitions() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  part record;
  pol record;
  parent_rls boolean;
  parent_force boolean;
  child_rls boolean;
  child_force boolean;
BEGIN
  -- Parents before their children, so sub-partitions inherit what their parent has just received.
  FOR part IN
    WITH RECURSIVE tree AS (
      SELECT i.inhrelid AS rel, i.inhparent AS parent, 1 AS depth
      FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relkind = 'p' AND NOT p.relispartition
      UNION ALL
      SELECT i.inhrelid, i.inhparent, t.depth + 1 FROM pg_inherits i JOIN tree t ON i.inhparent = t.rel
    )
    SELECT rel, parent FROM tree ORDER BY depth, rel
  LOOP
    SELECT relrowsecurity, relforcerowsecurity INTO parent_rls, parent_force FROM pg_class WHERE oid = part.parent;
    CONTINUE WHEN NOT parent_rls;
    -- ALTER TABLE locks the partition exclusively: only where something is missing, so the
    -- routine passes (hourly, on every instance) take no lock on partitions already secured.
    SELECT relrowsecurity, relforcerowsecurity INTO child_rls, child_force FROM pg_class WHERE oid = part.rel;
    IF NOT child_rls THEN
      EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', part.rel::regclass);
    END IF;
    IF parent_force AND NOT child_force THEN
      EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', part.rel::regclass);
    END IF;
    FOR pol IN
      SELECT p.polname, p.polpermissive, p.polcmd, p.polroles,
        pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS chk
      FROM pg_policy p
      WHERE p.polrelid = part.parent
        AND NOT EXISTS (SELECT 1 FROM pg_policy q WHERE q.polrelid = part.rel AND q.polname = p.polname)
    LOOP
      EXECUTE format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s',
        pol.polname,
        part.rel::regclass,
        CASE WHEN pol.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
        CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
        (SELECT coalesce(string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END, ', '), 'PUBLIC') FROM unnest(pol.polroles) AS r),
        CASE WHEN pol.qual IS NULL THEN '' ELSE format(' USING (%s)', pol.qual) END,
        CASE WHEN pol.chk IS NULL THEN '' ELSE format(' WITH CHECK (%s)', pol.chk) END);
    END LOOP;
  END LOOP;
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION imsop_secure_partitions() FROM PUBLIC;
--> statement-breakpoint
SELECT imsop_secure_partitions();
