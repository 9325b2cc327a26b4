import type { ApiInstance } from '../../platform/http/api.ts';
import type { AppDb, Executor } from '../../platform/db/client.ts';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { inOrg, inSystem } from '../../platform/db/scope.ts';
import { organizations, roles, userRoles, users } from './identity.schema.ts';
import { PERMISSIONS, SYSTEM_ROLES } from '../../platform/access/catalogue.ts';
import { createApiKeysService } from './api-keys.service.ts';
import { apiKeysRoutes } from './api-keys.routes.ts';
import { createAuthService } from './auth.service.ts';
import { authRoutes } from './auth.routes.ts';
import { createIdentityContext, type IdentityDeps } from './identity.context.ts';
import { syncPermissionCatalogue, syncSystemRoleGrants } from './identity.repository.ts';
import { createLogsService } from './logs.service.ts';
import { logsRoutes } from './logs.routes.ts';
import { createOrgsService } from './orgs.service.ts';
import { orgsRoutes } from './orgs.routes.ts';
import { createRolesService } from './roles.service.ts';
import { rolesRoutes } from './roles.routes.ts';
import { createUsersService } from './users.service.ts';
import { usersRoutes } from './users.routes.ts';

export { createAdminUser, createOrgWithAdmin, ensureDefaultOrg } from './orgs.service.ts';
export { canReadUser } from './users.service.ts';
export { organizations };
export type { IdentityDeps } from './identity.context.ts';

/**
 * Ports for other modules read users through these. Each runs in its own org-scoped transaction,
 * or in the caller's (`tx`, already scoped to the same org), so a use case never waits on itself.
 */
const scoped = <T>(db: AppDb, orgId: string, tx: Executor | undefined, fn: (tx: Executor) => Promise<T>) => (tx ? fn(tx) : inOrg(db, orgId, fn));

/** Which of these user ids are live users of the org (a port for other modules). */
export function userDirectory(db: AppDb) {
  return async (orgId: string, ids: string[], tx?: Executor): Promise<Set<string>> => {
    if (ids.length === 0) return new Set();
    const rows = await scoped(db, orgId, tx, (tx) =>
      tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.orgId, orgId), inArray(users.id, ids), isNull(users.deletedAt))),
    );
    return new Set(rows.map((r) => r.id));
  };
}

/** Names, emails and departments of live users of the org, for messages, placeholders and scopes (a port for other modules). */
export function userProfiles(db: AppDb) {
  return async (orgId: string, ids: string[], tx?: Executor): Promise<Map<string, { name: string; email: string; department: string | null }>> => {
    if (ids.length === 0) return new Map();
    const rows = await scoped(db, orgId, tx, (tx) =>
      tx
        .select({ id: users.id, name: users.name, email: users.email, department: users.department })
        .from(users)
        .where(and(eq(users.orgId, orgId), inArray(users.id, ids), isNull(users.deletedAt))),
    );
    return new Map(rows.map((r) => [r.id, { name: r.name, email: r.email, department: r.department }]));
  };
}

/** Live, active users holding a role (by name), for escalations that notify "the executives" (a port). */
export function roleMembers(db: AppDb) {
  return async (orgId: string, roleName: string, tx?: Executor): Promise<{ id: string; name: string; email: string }[]> =>
    scoped(db, orgId, tx, (tx) =>
      tx
        .select({ id: users.id, name: users.name, email: users.email })
        .from(users)
        .innerJoin(userRoles, eq(userRoles.userId, users.id))
        .innerJoin(roles, and(eq(roles.id, userRoles.roleId), eq(roles.name, roleName)))
        .where(and(eq(users.orgId, orgId), isNull(users.deletedAt), eq(users.isActive, true))),
    );
}

/** An org's display name (a port for other modules: reports, messages). */
export function orgName(db: AppDb) {
  return async (orgId: string): Promise<string> => {
    const [row] = await inOrg(db, orgId, (tx) => tx.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, orgId)));
    return row?.name ?? '';
  };
}

/** The org behind a public slug, for routes used without an account (a port for other modules). */
export function orgBySlug(db: AppDb) {
  return async (slug: string): Promise<{ id: string; name: string } | null> => {
    const [row] = await inSystem(db, (tx) =>
      tx.select({ id: organizations.id, name: organizations.name }).from(organizations).where(eq(organizations.slug, slug)),
    );
    return row ?? null;
  };
}

/**
 * Orgs' telemetry settings as stored (`organizations.settings.telemetry`, unchecked: the telemetry
 * module reads its retention from them and applies its own defaults). A port for the telemetry module.
 */
export interface OrgTelemetrySettings {
  /** One org's (null when it set none), read in its own scope or in the caller's `tx` (scoped to the same org). */
  of(orgId: string, tx?: Executor): Promise<unknown>;
  /** Every org's, read across orgs for scheduled work: in a system transaction, or in the caller's `tx` (a system one). */
  all(tx?: Executor): Promise<{ orgId: string; telemetry: unknown }[]>;
}

export function orgTelemetrySettings(db: AppDb): OrgTelemetrySettings {
  const telemetry = sql<unknown>`${organizations.settings} -> 'telemetry'`;
  return {
    async of(orgId, tx) {
      const [row] = await scoped(db, orgId, tx, (tx) => tx.select({ telemetry }).from(organizations).where(eq(organizations.id, orgId)));
      return row?.telemetry ?? null;
    },
    async all(tx) {
      const read = (tx: Executor) => tx.select({ orgId: organizations.id, telemetry }).from(organizations);
      return tx ? read(tx) : inSystem(db, read);
    },
  };
}

/** Identity & access: the authenticator every route uses, and the admin API. */
export function createIdentityModule(deps: IdentityDeps) {
  const ctx = createIdentityContext(deps);
  const services = {
    auth: createAuthService(ctx),
    users: createUsersService(ctx),
    roles: createRolesService(ctx),
    orgs: createOrgsService(ctx),
    apiKeys: createApiKeysService(ctx),
    logs: createLogsService(ctx),
  };
  return {
    authenticator: { fromAccessToken: ctx.fromAccessToken, fromApiKey: ctx.fromApiKey },
    /** Sessions revoked, roles, grants or a user changed, a key revoked: on every instance, after the caches dropped it. */
    onAccessChange: ctx.onAccessChange,
    services,
    routes(api: ApiInstance) {
      authRoutes(api, services.auth, deps.config);
      usersRoutes(api, services.users);
      rolesRoutes(api, services.roles);
      orgsRoutes(api, services.orgs);
      apiKeysRoutes(api, services.apiKeys);
      logsRoutes(api, services.logs);
    },
  };
}

export type IdentityModule = ReturnType<typeof createIdentityModule>;

/** Keeps the permissions table equal to the catalogue in code (run at every start, after migrations). */
export const syncCatalogue = (db: AppDb) =>
  inSystem(db, async (tx) => {
    await syncPermissionCatalogue(tx, PERMISSIONS);
    await syncSystemRoleGrants(tx, SYSTEM_ROLES);
  });
