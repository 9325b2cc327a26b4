import { sql } from 'drizzle-orm';
import { pgPolicy, pgRole, timestamp, uuid } from 'drizzle-orm/pg-core';
import { newId } from './ids.ts';

/** The non-superuser role every org-scoped transaction runs as, so row-level security applies. */
export const appRole = pgRole('imsop_app').existing();

export const currentOrgSql = sql`nullif(current_setting('app.org_id', true), '')::uuid`;

export const id = () => uuid('id').primaryKey().$defaultFn(newId);
export const orgId = () => uuid('org_id').notNull();
// Set from the app in millisecond precision so keyset cursors (ISO strings) compare exactly.
export const createdAt = () =>
  timestamp('created_at', { withTimezone: true })
    .notNull()
    .defaultNow()
    .$defaultFn(() => new Date());
export const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true })
    .notNull()
    .defaultNow()
    .$onUpdate(() => new Date());
export const ts = (name: string) => timestamp(name, { withTimezone: true });

/** Row-level security: a row is visible and writable only inside its own org's scope. */
export const orgIsolation = (column = sql`org_id`) =>
  pgPolicy('org_isolation', {
    as: 'permissive',
    for: 'all',
    to: appRole,
    using: sql`${column} = ${currentOrgSql}`,
    withCheck: sql`${column} = ${currentOrgSql}`,
  });
