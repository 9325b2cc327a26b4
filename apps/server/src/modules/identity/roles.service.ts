import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { can, firstNotHeld, holdsAtLeast } from '../../platform/access/ability.ts';
import type { Actor } from '../../platform/access/actor.ts';
import type { Catalogue, Condition, Permission } from '../../platform/access/catalogue.ts';
import type { Executor, Tx } from '../../platform/db/client.ts';
import { keyset, type Page, type PageRequest } from '../../platform/db/pagination.ts';
import { inOrg } from '../../platform/db/scope.ts';
import { badRequest, conflict, forbidden, notFound } from '../../platform/errors/app-error.ts';
import { cannotGrant, outranked, systemRoleImmutable } from './identity.errors.ts';
import type { IdentityContext } from './identity.context.ts';
import { permissions, rolePermissions, roles, userRoles } from './identity.schema.ts';

export interface RoleGrant {
  permission: string;
  condition: Condition;
}

export interface RoleInput {
  name: string;
  displayName: string;
  description?: string | undefined;
  permissions: RoleGrant[];
}

export interface RoleView {
  id: string;
  name: string;
  displayName: string;
  description: string;
  isSystem: boolean;
  permissions: RoleGrant[];
  userCount: number;
  createdAt: string;
  updatedAt: string;
}

/** Seeds the system roles of a new org with their documented permission sets. */
export async function seedSystemRoles(tx: Executor, orgId: string, catalogue: Catalogue) {
  const inserted = await tx
    .insert(roles)
    .values(catalogue.systemRoles.map((r) => ({ orgId, name: r.name, displayName: r.displayName, description: r.description, isSystem: true })))
    .returning();
  const rows = inserted.flatMap((role) =>
    catalogue.systemRoles.find((r) => r.name === role.name)!.grants.map(([permission, condition]) => ({
      orgId,
      roleId: role.id,
      permission,
      condition,
    })),
  );
  await tx.insert(rolePermissions).values(rows);
  return inserted;
}

class RemovalDenied extends Error {
  readonly grant: RoleGrant;
  /** Deleting the whole role, rather than taking the permission out of it. */
  readonly deleting: boolean;
  constructor(grant: RoleGrant, deleting = false) {
    super('removal denied');
    this.grant = grant;
    this.deleting = deleting;
  }
}

export function createRolesService(ctx: IdentityContext) {
  const { db, catalogue, useCase } = ctx.deps;

  async function view(tx: Executor, orgId: string, list: (typeof roles.$inferSelect)[]): Promise<RoleView[]> {
    if (list.length === 0) return [];
    const ids = list.map((r) => r.id);
    const perms = await tx.select().from(rolePermissions).where(inArray(rolePermissions.roleId, ids));
    const counts = await tx
      .select({ roleId: userRoles.roleId, n: sql<number>`count(*)::int` })
      .from(userRoles)
      .where(and(eq(userRoles.orgId, orgId), inArray(userRoles.roleId, ids)))
      .groupBy(userRoles.roleId);
    const permsOf = new Map<string, typeof perms>();
    for (const p of perms) {
      const of = permsOf.get(p.roleId);
      if (of) of.push(p);
      else permsOf.set(p.roleId, [p]);
    }
    const countOf = new Map(counts.map((c) => [c.roleId, c.n]));
    return list.map((r) => ({
      id: r.id,
      name: r.name,
      displayName: r.displayName,
      description: r.description,
      isSystem: r.isSystem,
      permissions: (permsOf.get(r.id) ?? [])
        .map((p) => ({ permission: p.permission, condition: p.condition as Condition }))
        .sort((a, b) => a.permission.localeCompare(b.permission)),
      userCount: countOf.get(r.id) ?? 0,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    }));
  }

  function checkGrants(actor: Actor, grants: RoleGrant[]) {
    for (const g of grants) {
      if (!catalogue.isPermission(g.permission)) {
        throw badRequest('unknown_permission', `Unknown permission "${g.permission}".`, {
          errors: [{ path: 'permissions', message: `"${g.permission}" is not in the catalogue.` }],
        });
      }
    }
    return grants.find((g) => !holdsAtLeast(actor, g.permission, g.condition));
  }

  async function denied(actor: Actor, entityId: string | null, g: RoleGrant, deleting = false): Promise<never> {
    await useCase(actor, ({ audit }) =>
      audit({
        action: 'security.privilege_escalation_denied',
        entityType: 'role',
        entityId,
        details: { attempted: deleting ? `delete a role holding ${g.permission} (${g.condition})` : `${g.permission} (${g.condition})` },
      }),
    );
    const what = `"${g.permission}" (${g.condition})`;
    throw deleting ? outranked('delete this role', what) : cannotGrant(what);
  }

  async function mutableRole(tx: Tx, actor: Actor, id: string) {
    const [r] = await tx
      .select()
      .from(roles)
      .where(and(eq(roles.orgId, actor.orgId), eq(roles.id, id)));
    if (!r) throw notFound('Role');
    if (r.isSystem) throw systemRoleImmutable();
    return r;
  }

  const dedupe = (grants: RoleGrant[]) => [...new Map(grants.map((g) => [g.permission, g])).values()];

  return {
    /** Roles by name (unique in the org: the roles_org_name index serves), a page at a time. */
    async list(actor: Actor, q: PageRequest): Promise<Page<RoleView>> {
      if (!can(actor, 'roles:read')) throw forbidden();
      const page = keyset(q, { column: roles.name, id: roles.id, value: 'string', of: (r: typeof roles.$inferSelect) => r.name });
      return inOrg(db, actor.orgId, async (tx) => {
        const rows = page.page(await tx.select().from(roles).where(and(eq(roles.orgId, actor.orgId), page.after)).orderBy(...page.orderBy).limit(page.limit));
        return { data: await view(tx, actor.orgId, rows.data), nextCursor: rows.nextCursor };
      });
    },

    async get(actor: Actor, id: string) {
      if (!can(actor, 'roles:read')) throw forbidden();
      return inOrg(db, actor.orgId, async (tx) => {
        const [r] = await tx
          .select()
          .from(roles)
          .where(and(eq(roles.orgId, actor.orgId), eq(roles.id, id)));
        if (!r) throw notFound('Role');
        return (await view(tx, actor.orgId, [r]))[0]!;
      });
    },

    async create(actor: Actor, input: RoleInput) {
      if (!can(actor, 'roles:manage')) throw forbidden();
      const grants = dedupe(input.permissions);
      const bad = checkGrants(actor, grants);
      if (bad) await denied(actor, null, bad);
      return useCase(actor, async ({ tx, audit }) => {
        const [exists] = await tx
          .select({ id: roles.id })
          .from(roles)
          .where(and(eq(roles.orgId, actor.orgId), eq(roles.name, input.name)));
        if (exists) throw conflict('role_exists', `A role named "${input.name}" already exists.`);
        const [r] = await tx
          .insert(roles)
          .values({ orgId: actor.orgId, name: input.name, displayName: input.displayName, description: input.description ?? '' })
          .returning();
        if (grants.length) {
          await tx.insert(rolePermissions).values(grants.map((g) => ({ orgId: actor.orgId, roleId: r!.id, ...g })));
        }
        await audit({
          action: 'role.create',
          entityType: 'role',
          entityId: r!.id,
          after: { name: r!.name, displayName: r!.displayName, description: r!.description, permissions: grants },
        });
        return (await view(tx, actor.orgId, [r!]))[0]!;
      });
    },

    async update(actor: Actor, id: string, patch: Partial<Omit<RoleInput, 'name'>>) {
      if (!can(actor, 'roles:manage')) throw forbidden();
      const grants = patch.permissions ? dedupe(patch.permissions) : undefined;
      if (grants) {
        const bad = checkGrants(actor, grants);
        if (bad) await denied(actor, id, bad);
      }
      return useCase(actor, async ({ tx, audit, afterCommit }) => {
        const before = await mutableRole(tx, actor, id);
        const [beforeView] = await view(tx, actor.orgId, [before]);
        const fields: Partial<typeof roles.$inferInsert> = {};
        if (patch.displayName !== undefined) fields.displayName = patch.displayName;
        if (patch.description !== undefined) fields.description = patch.description;
        const [after] = Object.keys(fields).length
          ? await tx.update(roles).set(fields).where(eq(roles.id, id)).returning()
          : [before];
        if (grants) {
          // Removing a permission from a role needs it too: nobody strips what they could not give.
          const removed = beforeView!.permissions.filter((p) => !grants.some((g) => g.permission === p.permission));
          const cannotRemove = removed.find((p) => !holdsAtLeast(actor, p.permission, p.condition));
          if (cannotRemove) throw new RemovalDenied(cannotRemove);
          await tx.delete(rolePermissions).where(eq(rolePermissions.roleId, id));
          if (grants.length) await tx.insert(rolePermissions).values(grants.map((g) => ({ orgId: actor.orgId, roleId: id, ...g })));
        }
        const [afterView] = await view(tx, actor.orgId, [after!]);
        await audit({
          action: 'role.update',
          entityType: 'role',
          entityId: id,
          before: { displayName: beforeView!.displayName, description: beforeView!.description, permissions: beforeView!.permissions },
          after: { displayName: afterView!.displayName, description: afterView!.description, permissions: afterView!.permissions },
        });
        afterCommit(() => ctx.authzChanged(actor.orgId));
        return afterView!;
      }).catch(async (err: unknown) => {
        // The refused change rolled back; the security event is written on its own.
        if (err instanceof RemovalDenied) return denied(actor, id, err.grant);
        throw err;
      });
    },

    async remove(actor: Actor, id: string) {
      if (!can(actor, 'roles:manage')) throw forbidden();
      await useCase(actor, async ({ tx, audit, afterCommit }) => {
        const r = await mutableRole(tx, actor, id);
        const [before] = await view(tx, actor.orgId, [r]);
        // Deleting a role takes its permissions from its holders: nobody strips what they could not give.
        const above = firstNotHeld(actor, before!.permissions);
        if (above) throw new RemovalDenied(above, true);
        await tx.delete(roles).where(eq(roles.id, id));
        await audit({
          action: 'role.delete',
          entityType: 'role',
          entityId: id,
          before: { name: r.name, permissions: before!.permissions, users: before!.userCount },
        });
        afterCommit(() => ctx.authzChanged(actor.orgId));
      }).catch(async (err: unknown) => {
        if (err instanceof RemovalDenied) return denied(actor, id, err.grant, err.deleting);
        throw err;
      });
    },

    async catalogue(actor: Actor) {
      if (!can(actor, 'permissions:read')) throw forbidden();
      const rows = await inOrg(db, actor.orgId, (tx) => tx.select().from(permissions).orderBy(asc(permissions.key)));
      return rows.filter((r) => catalogue.isPermission(r.key)).map((r) => ({ ...r, scoped: catalogue.scoped.has(r.key as Permission) }));
    },
  };
}

export type RolesService = ReturnType<typeof createRolesService>;
