import type { AppDb, Executor } from '../../platform/db/client.ts';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { inOrg, inSystem } from '../../platform/db/scope.ts';
import { organizations, roles, userRoles, users } from './identity.schema.ts';
import type { Catalogue } from '../../platform/access/catalogue.ts';
import { defineModule } from '../../platform/module/module.ts';
import { identityErrors } from './identity.errors.ts';
import { identityPermissions } from './identity.permissions.ts';
import type { OrgBySlug, OrgName, OrgTelemetrySettings, RoleMembers, UserDirectory, UserProfiles } from './identity.ports.ts';
import { createApiKeysService } from './api-keys.service.ts';
import { apiKeysRoutes } from './api-keys.routes.ts';
import { createAuthService } from './auth.service.ts';
import { authRoutes } from './auth.routes.ts';
import { createIdentityContext } from './identity.context.ts';
import { syncPermissionCatalogue, syncSystemRoleGrants } from './identity.repository.ts';
import { createLogsService } from './logs.service.ts';
import { logsRoutes } from './logs.routes.ts';
import { createMessagesService } from './messages.service.ts';
import { messagesRoutes } from './messages.routes.ts';
import { createOrgsService } from './orgs.service.ts';
import { createInvitationsService } from './invitations.service.ts';
import { invitationsRoutes } from './invitations.routes.ts';
import { createPasswordResetService } from './password-reset.service.ts';
import { passwordResetRoutes } from './password-reset.routes.ts';
import { orgsRoutes } from './orgs.routes.ts';
import { createPasskeysService } from './passkeys.service.ts';
import { passkeysRoutes } from './passkeys.routes.ts';
import { createSsoService } from './sso.service.ts';
import { ssoRoutes } from './sso.routes.ts';
import { createRolesService } from './roles.service.ts';
import { rolesRoutes } from './roles.routes.ts';
import { createUsersService } from './users.service.ts';
import { usersRoutes } from './users.routes.ts';
import { canReadUser } from './users.service.ts';

export type * from './identity.ports.ts';

export { createAdminUser, createOrgWithAdmin, ensureDefaultOrg } from './orgs.service.ts';
export { organizations };

/**
 * Ports for other modules read users through these. Each runs in its own org-scoped transaction,
 * or in the caller's (`tx`, already scoped to the same org), so a use case never waits on itself.
 */
const scoped = <T>(db: AppDb, orgId: string, tx: Executor | undefined, fn: (tx: Executor) => Promise<T>) => (tx ? fn(tx) : inOrg(db, orgId, fn));

/** Which of these user ids are live users of the org (a port for other modules). */
function userDirectory(db: AppDb): UserDirectory {
  return async (orgId, ids, tx) => {
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
function userProfiles(db: AppDb): UserProfiles {
  return async (orgId, ids, tx) => {
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
function roleMembers(db: AppDb): RoleMembers {
  return async (orgId, roleName, tx) =>
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
function orgName(db: AppDb): OrgName {
  return async (orgId) => {
    const [row] = await inOrg(db, orgId, (tx) => tx.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, orgId)));
    return row?.name ?? '';
  };
}

/** The org behind a public slug, for routes used without an account (a port for other modules). */
function orgBySlug(db: AppDb): OrgBySlug {
  return async (slug) => {
    const [row] = await inSystem(db, (tx) =>
      tx.select({ id: organizations.id, name: organizations.name }).from(organizations).where(eq(organizations.slug, slug)),
    );
    return row ?? null;
  };
}

function orgTelemetrySettings(db: AppDb): OrgTelemetrySettings {
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

/** Identity & access: the authenticator every route uses, the admin API, and the people ports. */
export const identityModule = defineModule({
  name: 'identity',
  tags: [
    { name: 'auth', description: 'Sign-in, sessions, tokens, MFA, passkeys and the signed-in user' },
    { name: 'users', description: 'People of the organization, their roles and direct grants' },
    { name: 'roles', description: 'System and custom roles' },
    { name: 'permissions', description: 'The permission catalogue' },
    { name: 'organizations', description: 'Organizations and their settings' },
    { name: 'api-keys', description: 'Keys for integrations and devices' },
    { name: 'invitations', description: 'Inviting people to the organization by email' },
    { name: 'audit', description: 'The audit and activity logs' },
    { name: 'messages', description: 'The outgoing messages log (email, SMS, WhatsApp)' },
    { name: 'sso', description: 'Single sign-on: the organization’s OpenID Connect providers' },
  ],
  permissions: identityPermissions,
  errors: identityErrors,
  provides: ['authenticator', 'accessChanges', 'userDirectory', 'userProfiles', 'roleMembers', 'orgName', 'orgBySlug', 'canReadUser', 'orgTelemetrySettings'],
  proof: () => import('./identity.proof.ts'),
  create(p) {
    const ctx = createIdentityContext({
      db: p.db,
      useCase: p.useCase,
      config: p.config,
      tokens: p.tokens,
      bus: p.bus,
      mfaKey: p.keys.mfa,
      ssoKey: p.keys.sso,
      refreshKey: p.keys.refresh,
      log: p.log,
      catalogue: p.catalogue,
      now: p.clock,
      publicUrl: p.publicUrl,
    });
    const services = {
      auth: createAuthService(ctx),
      users: createUsersService(ctx),
      roles: createRolesService(ctx),
      orgs: createOrgsService(ctx),
      apiKeys: createApiKeysService(ctx),
      logs: createLogsService(ctx),
      messages: createMessagesService(p.db, p.notifier),
      /** Acting as a user from a trusted in-process command (`imsop demo`); see actorForUser. */
      actors: { forUser: ctx.actorForUser },
      passwordResets: createPasswordResetService(ctx, p.jobs),
    };
    const invitations = createInvitationsService(ctx, { users: services.users, auth: services.auth });
    const passkeys = createPasskeysService(ctx, services.auth);
    const sso = createSsoService(ctx, { users: services.users, auth: services.auth });
    return {
      provides: {
        authenticator: { fromAccessToken: ctx.fromAccessToken, fromApiKey: ctx.fromApiKey },
        /** Sessions revoked, roles, grants or a user changed, a key revoked: on every instance, after the caches dropped it. */
        accessChanges: ctx.onAccessChange,
        userDirectory: userDirectory(p.db),
        userProfiles: userProfiles(p.db),
        roleMembers: roleMembers(p.db),
        orgName: orgName(p.db),
        orgBySlug: orgBySlug(p.db),
        canReadUser,
        orgTelemetrySettings: orgTelemetrySettings(p.db),
      },
      services: { ...services, invitations, passkeys, sso },
      routes(api) {
        authRoutes(api, services.auth, p.config);
        passkeysRoutes(api, passkeys, p.config);
        passwordResetRoutes(api, services.passwordResets, p.config);
        invitationsRoutes(api, invitations, p.config);
        ssoRoutes(api, sso, p.config, p.publicUrl);
        usersRoutes(api, services.users);
        rolesRoutes(api, services.roles);
        orgsRoutes(api, services.orgs);
        apiKeysRoutes(api, services.apiKeys);
        logsRoutes(api, services.logs);
        messagesRoutes(api, services.messages);
      },
    };
  },
});

/** Keeps the permissions table equal to the catalogue in code (run at every start, after migrations). */
export const syncCatalogue = (db: AppDb, catalogue: Catalogue) =>
  inSystem(db, async (tx) => {
    await syncPermissionCatalogue(tx, catalogue.permissions);
    await syncSystemRoleGrants(tx, catalogue.systemRoles);
  });
