/**
 * The baseline for `GET /api/users?limit=50`: a bare `fastify()` route that runs the list's SQL
 * (the first page of an org's users, newest first, each with its roles) straight through the driver
 * — node-postgres (its own pool of 10, as the app's) or the app's PGlite — and answers the same
 * JSON: no authentication, no org-scoped transaction, no query builder, no validation. It runs in
 * the app's process (bench/server.ts), beside the idle app, on the same database, so the bench can
 * check that both answer the same body.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import type { Database } from '../apps/server/src/platform/db/client.ts';

/**
 * The page's SQL, as the app sends it (users.service.ts `list` with identity.repository.ts
 * `rolesColumn`): one statement, each user's roles as a JSON array in name order.
 */
export const USERS_PAGE_SQL = `
select id, org_id, email, name, department, phone, is_active, two_factor_enabled,
       last_login, created_at, updated_at, deleted_at, metadata,
       coalesce((select json_agg(json_build_object('id', r.id, 'name', r.name) order by r.name, r.id)
                   from user_roles ur join roles r on r.id = ur.role_id
                  where ur.user_id = users.id and ur.org_id = users.org_id), '[]') as roles
  from users
 where users.org_id = $1 and users.deleted_at is null
 order by users.created_at desc, users.id desc
 limit 51`;

interface Row {
  id: string;
  org_id: string;
  email: string;
  name: string;
  department: string | null;
  phone: string | null;
  is_active: boolean;
  two_factor_enabled: boolean;
  last_login: Date | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  metadata: Record<string, unknown>;
  roles: { id: string; name: string }[];
}

type Query = (text: string, params: unknown[]) => Promise<{ rows: unknown[] }>;

export async function startUsersBaseline(database: Database, orgId: string, url?: string): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  let query: Query;
  let end = async () => undefined as void;
  if (url) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    query = (text, params) => pool.query(text, params);
    end = () => pool.end();
  } else {
    const client = (database.db as unknown as { $client: { query: Query } }).$client;
    query = (text, params) => client.query(text, params);
  }
  const app = Fastify({ logger: false });
  app.get('/users', async (_req, reply) => {
    const { rows } = (await query(USERS_PAGE_SQL, [orgId])) as { rows: Row[] };
    const page = rows.slice(0, 50);
    const last = page.at(-1);
    const nextCursor = rows.length > 50 && last ? Buffer.from(JSON.stringify([last.created_at.toISOString(), last.id])).toString('base64url') : null;
    const data = page.map((u) => ({
      id: u.id,
      orgId: u.org_id,
      email: u.email,
      name: u.name,
      department: u.department,
      phone: u.phone,
      isActive: u.is_active,
      twoFactorEnabled: u.two_factor_enabled,
      lastLogin: u.last_login?.toISOString() ?? null,
      createdAt: u.created_at.toISOString(),
      updatedAt: u.updated_at.toISOString(),
      deletedAt: u.deleted_at?.toISOString() ?? null,
      metadata: u.metadata,
      roles: u.roles,
    }));
    reply.type('application/json; charset=utf-8').send(JSON.stringify({ data, nextCursor }));
  });
  return {
    app,
    close: async () => {
      await app.close();
      await end();
    },
  };
}
