import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/client.ts';
import { keyset, mapPage, type PageRequest } from '../../platform/db/pagination.ts';
import {
  organizations,
  permissions,
  rolePermissions,
  roles,
  userPermissions,
  userRoles,
  users,
  userSessions,
} from './identity.schema.ts';

export type UserRow = typeof users.$inferSelect;

/**
 * The columns a user is shown with: lists read only these, never the password hash or the MFA
 * secrets (least privilege, and less to move and parse per row).
 */
export const publicUserColumns = {
  id: users.id,
  orgId: users.orgId,
  email: users.email,
  name: users.name,
  department: users.department,
  phone: users.phone,
  isActive: users.isActive,
  twoFactorEnabled: users.twoFactorEnabled,
  lastLogin: users.lastLogin,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
  deletedAt: users.deletedAt,
  metadata: users.metadata,
};
export type PublicUserRow = Pick<UserRow, keyof typeof publicUserColumns>;
export type OrgRow = typeof organizations.$inferSelect;
export type RoleRow = typeof roles.$inferSelect;
export type SessionRow = typeof userSessions.$inferSelect;

export async function findUser(tx: Executor, orgId: string, id: string): Promise<UserRow | undefined> {
  const [u] = await tx
    .select()
    .from(users)
    .where(and(eq(users.orgId, orgId), eq(users.id, id)));
  return u;
}

export async function findOrg(tx: Executor, id: string): Promise<OrgRow | undefined> {
  const [o] = await tx.select().from(organizations).where(eq(organizations.id, id));
  return o;
}

/** Permissions from all roles plus direct grants. */
export async function grantsOf(tx: Executor, orgId: string, userId: string) {
  const viaRoles = await tx
    .select({ permission: rolePermissions.permission, condition: rolePermissions.condition, role: roles.name })
    .from(userRoles)
    .innerJoin(rolePermissions, eq(rolePermissions.roleId, userRoles.roleId))
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(and(eq(userRoles.orgId, orgId), eq(userRoles.userId, userId)));
  const direct = await tx
    .select({ permission: userPermissions.permission, condition: userPermissions.condition })
    .from(userPermissions)
    .where(and(eq(userPermissions.orgId, orgId), eq(userPermissions.userId, userId)));
  return [...viaRoles, ...direct];
}

/**
 * A user's roles as a column of the user's own row: a JSON array of `{ id, name }` in name order,
 * read in the same statement (a list page is then one statement; see `readInOrg`). For a select
 * from `users` (not aliased): Drizzle writes the select list's columns unqualified.
 */
export const rolesColumn = sql<{ id: string; name: string }[]>`coalesce((
  select json_agg(json_build_object('id', r.id, 'name', r.name) order by r.name, r.id)
    from ${userRoles} ur join ${roles} r on r.id = ur.role_id
   where ur.user_id = users.id and ur.org_id = users.org_id), '[]')`;

export async function roleNamesOf(tx: Executor, orgId: string, userIds: string[]) {
  if (userIds.length === 0) return new Map<string, { id: string; name: string }[]>();
  const rows = await tx
    .select({ userId: userRoles.userId, id: roles.id, name: roles.name })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(and(eq(userRoles.orgId, orgId), sql`${userRoles.userId} in ${userIds}`));
  const out = new Map<string, { id: string; name: string }[]>();
  for (const r of rows) {
    const list = out.get(r.userId) ?? [];
    list.push({ id: r.id, name: r.name });
    out.set(r.userId, list);
  }
  return out;
}

/**
 * A user's live sessions, newest sign-in first (a stable order, unlike the last activity), a page
 * at a time, as they are shown: without tokens; `current` marks the session `currentId`.
 */
export async function liveSessionsPage(tx: Executor, orgId: string, userId: string, q: PageRequest, currentId: string | null | undefined) {
  const page = keyset(q, { column: userSessions.createdAt, id: userSessions.id, value: 'timestamp', desc: true, of: (s: SessionRow) => s.createdAt });
  const rows = await tx
    .select()
    .from(userSessions)
    .where(and(eq(userSessions.orgId, orgId), eq(userSessions.userId, userId), isNull(userSessions.revokedAt), gt(userSessions.expiresAt, new Date()), page.after))
    .orderBy(...page.orderBy)
    .limit(page.limit);
  return mapPage(page.page(rows), (s) => ({
    id: s.id,
    ip: s.ip,
    userAgent: s.userAgent,
    createdAt: s.createdAt.toISOString(),
    lastActivityAt: s.lastActivityAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    current: s.id === currentId,
  }));
}

export async function revokeUserSessions(
  tx: Executor,
  orgId: string,
  userId: string,
  reason: string,
  exceptSessionId?: string | null,
): Promise<string[]> {
  const rows = await tx
    .update(userSessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(
      and(
        eq(userSessions.orgId, orgId),
        eq(userSessions.userId, userId),
        isNull(userSessions.revokedAt),
        exceptSessionId ? sql`${userSessions.id} <> ${exceptSessionId}` : undefined,
      ),
    )
    .returning({ id: userSessions.id });
  return rows.map((r) => r.id);
}

export async function syncPermissionCatalogue(tx: Executor, catalogue: Record<string, string>) {
  const rows = Object.entries(catalogue).map(([key, description]) => {
    const [resource, action] = key.split(':') as [string, string];
    return { key, resource, action, description };
  });
  await tx
    .insert(permissions)
    .values(rows)
    .onConflictDoUpdate({ target: permissions.key, set: { description: sql`excluded.description` } });
}

/** System roles are defined in code: every org's copy is brought in line with the catalogue at start. */
export async function syncSystemRoleGrants(
  tx: Executor,
  systemRoles: readonly { name: string; displayName: string; description: string; grants: readonly (readonly [string, string])[] }[],
) {
  // A system role added in a later release reaches existing orgs (unless they already use the name).
  const orgs = await tx.select({ id: organizations.id }).from(organizations);
  if (orgs.length) {
    await tx
      .insert(roles)
      .values(orgs.flatMap((o) => systemRoles.map((r) => ({ orgId: o.id, name: r.name, displayName: r.displayName, description: r.description, isSystem: true }))))
      .onConflictDoNothing();
  }
  const rows = await tx.select({ id: roles.id, orgId: roles.orgId, name: roles.name }).from(roles).where(eq(roles.isSystem, true));
  for (const role of rows) {
    const def = systemRoles.find((r) => r.name === role.name);
    if (!def) continue;
    await tx.delete(rolePermissions).where(eq(rolePermissions.roleId, role.id));
    await tx
      .insert(rolePermissions)
      .values(def.grants.map(([permission, condition]) => ({ orgId: role.orgId, roleId: role.id, permission, condition })));
  }
}
