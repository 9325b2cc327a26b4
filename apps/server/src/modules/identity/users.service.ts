import { and, asc, desc, eq, ilike, inArray, isNotNull, isNull, or, sql, type SQL } from 'drizzle-orm';
import { buildAbility, can, firstNotHeld, holdsAtLeast, reach, type AbilityHolder } from '../../platform/access/ability.ts';
import type { Actor } from '../../platform/access/actor.ts';
import type { Condition, Permission } from '../../platform/access/catalogue.ts';
import { auditLogs } from '../../platform/audit/audit.schema.ts';
import { hashPassword, passwordProblem } from '../../platform/auth/password.ts';
import type { AuditEntry } from '../../platform/audit/audit.ts';
import type { Tx } from '../../platform/db/client.ts';
import { inOrg, readInOrg } from '../../platform/db/scope.ts';
import { badRequest, forbidden, notFound } from '../../platform/errors/app-error.ts';
import { decodeCursor, encodeCursor, pageOf, parseSort, type Page, type PageRequest } from '../../platform/db/pagination.ts';
import { toPublicUser, type PublicUser } from './auth.service.ts';
import { cannotGrant, emailTaken, outranked, weakPassword } from './identity.errors.ts';
import type { IdentityContext } from './identity.context.ts';
import {
  findUser,
  grantsOf,
  liveSessionsPage,
  publicUserColumns,
  revokeUserSessions,
  roleNamesOf,
  rolesColumn,
  type PublicUserRow,
  type UserRow,
} from './identity.repository.ts';
import {
  activityLogs,
  apiKeys,
  passkeys,
  rolePermissions,
  roles,
  ssoIdentities,
  userPermissions,
  userRoles,
  users,
  userSessions,
} from './identity.schema.ts';

export interface CreateUserInput {
  email: string;
  name: string;
  password: string;
  department?: string | null | undefined;
  phone?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
  roles?: string[] | undefined;
}

export interface UpdateUserInput {
  name?: string | undefined;
  email?: string | undefined;
  department?: string | null | undefined;
  phone?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
  isActive?: boolean | undefined;
}

export interface ListUsersQuery {
  limit: number;
  cursor?: string | undefined;
  sort?: string | undefined;
  q?: string | undefined;
  department?: string | undefined;
  isActive?: boolean | undefined;
  role?: string | undefined;
  deleted?: 'exclude' | 'include' | 'only' | undefined;
}

const SORTABLE = ['createdAt', 'name', 'email', 'lastLogin'] as const;
const sortColumn = { createdAt: users.createdAt, name: users.name, email: users.email, lastLogin: users.lastLogin };

const subjectOf = (u: { id: string; department: string | null }) => ({ ownerId: u.id, department: u.department });

/** The read rule for people (and what follows their scope, such as ratings of them). */
export const canReadUser = (actor: AbilityHolder, u: { id: string; department: string | null }) => can(actor, 'users:read', subjectOf(u));
export const isUniqueViolation = (err: unknown) =>
  typeof err === 'object' && err !== null && ((err as { code?: string }).code === '23505' || (err as { cause?: { code?: string } }).cause?.code === '23505');

export class EscalationDenied extends Error {
  readonly entityType: string;
  readonly entityId: string;
  readonly what: string;
  readonly reason: string;
  /** What the caller is told; by default that they cannot grant `what`. */
  readonly refusal: ReturnType<typeof cannotGrant>;
  constructor(entityType: string, entityId: string, what: string, reason: string, refusal = cannotGrant(what)) {
    super(`escalation denied: ${what}`);
    this.entityType = entityType;
    this.entityId = entityId;
    this.what = what;
    this.reason = reason;
    this.refusal = refusal;
  }
}

export function createUsersService(ctx: IdentityContext) {
  const { db, catalogue, useCase } = ctx.deps;

  /** Loads a visible user or answers 404 (another org's id, or out of the actor's reach). */
  async function visibleUser(tx: Tx, actor: Actor, id: string, permission: Permission = 'users:read'): Promise<UserRow> {
    const u = await findUser(tx, actor.orgId, id);
    if (!u || !canReadUser(actor, u)) throw notFound('User');
    if (!can(actor, permission, subjectOf(u))) throw forbidden();
    return u;
  }

  /**
   * A visible user the actor may change: besides `permission` on them, the actor must hold every
   * permission the user holds, at least as widely. Otherwise a holder of users:update could take
   * over an administrator (change their email, deactivate them).
   */
  async function changeableUser(tx: Tx, actor: Actor, id: string, permission: Permission): Promise<UserRow> {
    const u = await visibleUser(tx, actor, id, permission);
    const above = firstNotHeld(actor, Array.from(buildAbility(await grantsOf(tx, actor.orgId, id)), ([p, c]) => ({ permission: p, condition: c })));
    if (above) {
      const what = `"${above.permission}" (${above.condition})`;
      throw new EscalationDenied('user', id, what, 'held by the user, not by the actor', outranked('change this user', what));
    }
    return u;
  }

  /** Resolves role names or ids in this org; every role's permissions must be held by the actor. */
  async function resolveRoles(tx: Tx, actor: Actor, refs: string[]) {
    if (refs.length === 0) return [];
    const uuidRefs = refs.filter((r) => /^[0-9a-f-]{36}$/i.test(r));
    const found = await tx
      .select()
      .from(roles)
      .where(
        and(
          eq(roles.orgId, actor.orgId),
          or(inArray(roles.name, refs), uuidRefs.length ? inArray(roles.id, uuidRefs) : undefined),
        ),
      );
    const missing = refs.filter((r) => !found.some((f) => f.name === r || f.id === r));
    if (missing.length) {
      throw badRequest('unknown_role', `Unknown role: ${missing.join(', ')}.`, {
        errors: missing.map((m) => ({ path: 'roles', message: `Unknown role "${m}"` })),
      });
    }
    const perms = await tx
      .select()
      .from(rolePermissions)
      .where(inArray(rolePermissions.roleId, found.map((f) => f.id)));
    for (const p of perms) {
      if (!holdsAtLeast(actor, p.permission, p.condition as Condition)) {
        const role = found.find((f) => f.id === p.roleId)!;
        throw new EscalationDenied('role', role.id, `the role "${role.name}"`, `needs ${p.permission} (${p.condition})`);
      }
    }
    return found;
  }

  /**
   * Runs a use case; a refused grant rolls it back, then records a security event in a transaction
   * of its own (so the event survives the refusal) and answers 403.
   */
  async function guarded<T>(actor: Actor, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof EscalationDenied)) throw err;
      await useCase(actor, ({ audit }) =>
        audit({
          action: 'security.privilege_escalation_denied',
          entityType: err.entityType,
          entityId: err.entityId,
          details: { attempted: err.what, reason: err.reason },
        }),
      );
      throw err.refusal;
    }
  }

  async function withRoles(tx: Tx, orgId: string, list: PublicUserRow[]): Promise<PublicUser[]> {
    const map = await roleNamesOf(tx, orgId, list.map((u) => u.id));
    return list.map((u) => toPublicUser(u, map.get(u.id) ?? []));
  }

  const auditable = (u: UserRow) => ({
    email: u.email,
    name: u.name,
    department: u.department,
    phone: u.phone,
    isActive: u.isActive,
    metadata: u.metadata,
    deletedAt: u.deletedAt,
  });

  /** After the commit: caches drop the user's abilities and profile, and the sessions that ended. */
  const accessChanged = (orgId: string, userId: string, revokedSessions: string[] = []) => () => {
    ctx.authzChanged(orgId, userId);
    ctx.sessionsRevoked(revokedSessions);
  };

  /** The checks of a new user before any write; answers the password's hash. */
  async function checkedNewUser(actor: Actor, input: CreateUserInput): Promise<string> {
    if (!can(actor, 'users:create', { ownerId: null, department: input.department ?? null })) {
      throw forbidden('You may not create users in this department.');
    }
    const problem = passwordProblem(input.password, { email: input.email });
    if (problem) throw weakPassword(problem);
    if (input.roles?.length && !can(actor, 'roles:assign')) throw forbidden('You may not assign roles.');
    return hashPassword(input.password);
  }

  /** Inserts the user with their roles (each grantable by the actor) and audits `user.create`, in the caller's use case. */
  /** `id`: the new user's id when the caller needs it before the insert (an accepted invitation audits as the new user). */
  async function insertUser(tx: Tx, audit: (entry: AuditEntry) => Promise<void>, actor: Actor, input: CreateUserInput, passwordHash: string, id?: string) {
    const roleRows = await resolveRoles(tx, actor, input.roles ?? []);
    const [u] = await tx
      .insert(users)
      .values({
        ...(id ? { id } : {}),
        orgId: actor.orgId,
        email: input.email,
        name: input.name,
        passwordHash,
        department: input.department ?? null,
        phone: input.phone ?? null,
        metadata: input.metadata ?? {},
      })
      .returning();
    if (roleRows.length) {
      await tx
        .insert(userRoles)
        .values(roleRows.map((r) => ({ orgId: actor.orgId, userId: u!.id, roleId: r.id, assignedBy: actor.userId })));
    }
    await audit({
      action: 'user.create',
      entityType: 'user',
      entityId: u!.id,
      after: { ...auditable(u!), roles: roleRows.map((r) => r.name) },
    });
    return (await withRoles(tx, actor.orgId, [u!]))[0]!;
  }

  /** A second user with the same email in the org answers 409. */
  async function creating<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw emailTaken();
      throw err;
    }
  }

  return {
    async list(actor: Actor, q: ListUsersQuery): Promise<Page<PublicUser>> {
      const scope = reach(actor, 'users:read');
      if (!scope) throw forbidden();
      const { field, desc: descending } = parseSort(q.sort, SORTABLE, 'createdAt');
      const timestamp = field === 'createdAt' || field === 'lastLogin';
      const nullable = field === 'lastLogin';
      const cursor = decodeCursor(q.cursor, { value: timestamp ? 'timestamp' : 'string', nullable });
      const col = sortColumn[field];
      const conds: (SQL | undefined)[] = [eq(users.orgId, actor.orgId)];
      if (scope === 'own') conds.push(eq(users.id, actor.userId ?? '00000000-0000-0000-0000-000000000000'));
      if (scope === 'department') {
        conds.push(
          or(
            actor.department ? eq(users.department, actor.department) : undefined,
            actor.userId ? eq(users.id, actor.userId) : undefined,
          ) ?? sql`false`,
        );
      }
      if (q.deleted === 'only') conds.push(isNotNull(users.deletedAt));
      else if (q.deleted !== 'include') conds.push(isNull(users.deletedAt));
      if (q.q) {
        const like = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        conds.push(or(ilike(users.name, like), ilike(users.email, like), ilike(users.department, like)));
      }
      if (q.department) conds.push(eq(users.department, q.department));
      if (q.isActive !== undefined) conds.push(eq(users.isActive, q.isActive));
      if (q.role) {
        conds.push(
          sql`exists (select 1 from ${userRoles} ur join ${roles} r on r.id = ur.role_id where ur.user_id = ${users.id} and r.name = ${q.role})`,
        );
      }
      if (cursor) {
        const v = cursor.value;
        const cmp = descending ? sql`<` : sql`>`;
        const value = timestamp ? sql`${v}::timestamptz` : sql`${v}`;
        // NULLs sort last in both directions: rows after a NULL value are only NULLs with a later id.
        conds.push(
          v === null
            ? sql`(${col} is null and ${users.id} ${cmp} ${cursor.id})`
            : nullable
              ? sql`((${col}, ${users.id}) ${cmp} (${value}, ${cursor.id}::uuid) or ${col} is null)`
              : sql`(${col}, ${users.id}) ${cmp} (${value}, ${cursor.id}::uuid)`,
        );
      }
      // One statement (the page and each user's roles), so one round trip on PostgreSQL.
      return readInOrg(db, actor.orgId, async (tx) => {
        const rows = await tx
          .select({ ...publicUserColumns, roles: rolesColumn })
          .from(users)
          .where(and(...conds))
          // "nulls last" only for the nullable column: on a NOT NULL one it keeps PostgreSQL from
          // reading the (org, created_at, id) index backwards, and it sorts every user of the org.
          .orderBy(
            nullable ? (descending ? sql`${col} desc nulls last` : sql`${col} asc nulls last`) : descending ? sql`${col} desc` : sql`${col} asc`,
            descending ? desc(users.id) : asc(users.id),
          )
          .limit(q.limit + 1);
        const page = pageOf(rows, q.limit, (u) => {
          const v = u[field];
          return encodeCursor(v instanceof Date ? v.toISOString() : (v ?? null), u.id);
        });
        return { data: page.data.map((u) => toPublicUser(u, u.roles)), nextCursor: page.nextCursor };
      });
    },

    async get(actor: Actor, id: string): Promise<PublicUser> {
      return inOrg(db, actor.orgId, async (tx) => (await withRoles(tx, actor.orgId, [await visibleUser(tx, actor, id)]))[0]!);
    },

    async create(actor: Actor, input: CreateUserInput): Promise<PublicUser> {
      const passwordHash = await checkedNewUser(actor, input);
      return creating(() => guarded(actor, () => useCase(actor, ({ tx, audit }) => insertUser(tx, audit, actor, input, passwordHash))));
    },

    /**
     * User creation inside another use case (an invitation's acceptance), as `actor`: the same
     * checks (department, password policy, roles the actor may grant) and the same audit record.
     * The caller wraps its use case in `creating(() => guarded(actor, …))`, as `create` does.
     */
    checkedNewUser,
    insertUser,
    creating,
    guarded,
    /** Roles by name or id, each one the actor may grant (an invitation checks them when it is made). */
    resolveRoles,

    async update(actor: Actor, id: string, patch: UpdateUserInput): Promise<PublicUser> {
      try {
        return await guarded(actor, () => useCase(actor, async ({ tx, audit, afterCommit }) => {
          const before = await changeableUser(tx, actor, id, 'users:update');
          if (patch.department !== undefined && !can(actor, 'users:update', { department: patch.department })) {
            throw forbidden('You may not move users into that department.');
          }
          if (patch.isActive === false && id === actor.userId) {
            throw badRequest('cannot_deactivate_self', 'You cannot deactivate your own account.');
          }
          const [after] = await tx.update(users).set(patch).where(eq(users.id, id)).returning();
          let revoked: string[] = [];
          if (patch.isActive === false && before.isActive) {
            revoked = await revokeUserSessions(tx, actor.orgId, id, 'deactivated');
          }
          await audit({
            action: patch.isActive === false ? 'user.deactivate' : patch.isActive === true && !before.isActive ? 'user.activate' : 'user.update',
            entityType: 'user',
            entityId: id,
            before: auditable(before),
            after: auditable(after!),
          });
          afterCommit(accessChanged(actor.orgId, id, revoked));
          return (await withRoles(tx, actor.orgId, [after!]))[0]!;
        }));
      } catch (err) {
        if (isUniqueViolation(err)) throw emailTaken();
        throw err;
      }
    },

    async softDelete(actor: Actor, id: string) {
      if (id === actor.userId) throw badRequest('cannot_delete_self', 'You cannot delete your own account.');
      await guarded(actor, () => useCase(actor, async ({ tx, audit, afterCommit }) => {
        const before = await changeableUser(tx, actor, id, 'users:delete');
        if (before.deletedAt) {
          afterCommit(accessChanged(actor.orgId, id));
          return;
        }
        const [after] = await tx.update(users).set({ deletedAt: new Date() }).where(eq(users.id, id)).returning();
        const ids = await revokeUserSessions(tx, actor.orgId, id, 'deleted');
        await audit({
          action: 'user.delete',
          entityType: 'user',
          entityId: id,
          before: auditable(before),
          after: auditable(after!),
        });
        afterCommit(accessChanged(actor.orgId, id, ids));
      }));
    },

    async restore(actor: Actor, id: string): Promise<PublicUser> {
      const u = await guarded(actor, () => useCase(actor, async ({ tx, audit, afterCommit }) => {
        const before = await changeableUser(tx, actor, id, 'users:delete');
        afterCommit(accessChanged(actor.orgId, id));
        if (!before.deletedAt) return before;
        const [after] = await tx.update(users).set({ deletedAt: null }).where(eq(users.id, id)).returning();
        await audit({
          action: 'user.restore',
          entityType: 'user',
          entityId: id,
          before: auditable(before),
          after: auditable(after!),
        });
        return after!;
      }));
      return this.get(actor, u.id);
    },

    async getRoles(actor: Actor, id: string) {
      return inOrg(db, actor.orgId, async (tx) => {
        await visibleUser(tx, actor, id);
        return (await roleNamesOf(tx, actor.orgId, [id])).get(id) ?? [];
      });
    },

    /** Replaces the user's roles with the given set. */
    async setRoles(actor: Actor, id: string, refs: string[]) {
      if (!can(actor, 'roles:assign')) throw forbidden();
      return guarded(actor, () => useCase(actor, async ({ tx, audit, afterCommit }) => {
        await changeableUser(tx, actor, id, 'users:update');
        const before = (await roleNamesOf(tx, actor.orgId, [id])).get(id) ?? [];
        const next = await resolveRoles(tx, actor, refs);
        // Taking a role away also needs its permissions: nobody strips what they could not give.
        const removed = before.filter((b) => !next.some((n) => n.id === b.id));
        if (removed.length) await resolveRoles(tx, actor, removed.map((r) => r.id));
        await tx.delete(userRoles).where(and(eq(userRoles.orgId, actor.orgId), eq(userRoles.userId, id)));
        if (next.length) {
          await tx
            .insert(userRoles)
            .values(next.map((r) => ({ orgId: actor.orgId, userId: id, roleId: r.id, assignedBy: actor.userId })));
        }
        await audit({
          action: 'user.roles_set',
          entityType: 'user',
          entityId: id,
          before: { roles: before.map((r) => r.name).sort() },
          after: { roles: next.map((r) => r.name).sort() },
        });
        afterCommit(accessChanged(actor.orgId, id));
        return next.map((r) => ({ id: r.id, name: r.name }));
      }));
    },

    async getPermissions(actor: Actor, id: string) {
      return inOrg(db, actor.orgId, async (tx) => {
        await visibleUser(tx, actor, id);
        const direct = await tx
          .select()
          .from(userPermissions)
          .where(and(eq(userPermissions.orgId, actor.orgId), eq(userPermissions.userId, id)));
        const viaRoles = await tx
          .select({ permission: rolePermissions.permission, condition: rolePermissions.condition, role: roles.name })
          .from(userRoles)
          .innerJoin(rolePermissions, eq(rolePermissions.roleId, userRoles.roleId))
          .innerJoin(roles, eq(roles.id, userRoles.roleId))
          .where(eq(userRoles.userId, id));
        return {
          direct: direct.map((d) => ({
            permission: d.permission,
            condition: d.condition as Condition,
            grantedBy: d.grantedBy,
            grantedAt: d.grantedAt.toISOString(),
          })),
          viaRoles: viaRoles.map((r) => ({ ...r, condition: r.condition as Condition })),
        };
      });
    },

    async grantPermission(actor: Actor, id: string, permission: string, condition: Condition) {
      if (!can(actor, 'permissions:grant')) throw forbidden();
      if (!catalogue.isPermission(permission)) {
        throw badRequest('unknown_permission', `Unknown permission "${permission}".`, {
          errors: [{ path: 'permission', message: 'Not in the catalogue (GET /api/permissions).' }],
        });
      }
      await guarded(actor, () => useCase(actor, async ({ tx, audit, afterCommit }) => {
        await changeableUser(tx, actor, id, 'users:update');
        if (!holdsAtLeast(actor, permission, condition)) {
          throw new EscalationDenied('user', id, `"${permission}" (${condition})`, 'not held by the granter');
        }
        await tx
          .insert(userPermissions)
          .values({ orgId: actor.orgId, userId: id, permission, condition, grantedBy: actor.userId })
          .onConflictDoUpdate({
            target: [userPermissions.userId, userPermissions.permission],
            set: { condition, grantedBy: actor.userId, grantedAt: new Date() },
          });
        await audit({
          action: 'user.permission_grant',
          entityType: 'user',
          entityId: id,
          after: { permission, condition },
        });
        afterCommit(accessChanged(actor.orgId, id));
      }));
      return this.getPermissions(actor, id);
    },

    async revokePermission(actor: Actor, id: string, permission: string) {
      if (!can(actor, 'permissions:grant')) throw forbidden();
      await guarded(actor, () => useCase(actor, async ({ tx, audit, afterCommit }) => {
        await changeableUser(tx, actor, id, 'users:update');
        const rows = await tx
          .delete(userPermissions)
          .where(and(eq(userPermissions.orgId, actor.orgId), eq(userPermissions.userId, id), eq(userPermissions.permission, permission)))
          .returning();
        if (!rows.length) throw notFound('Permission grant');
        // Taking a grant away needs it too: nobody strips what they could not give.
        const condition = rows[0]!.condition as Condition;
        if (!holdsAtLeast(actor, permission, condition)) {
          throw new EscalationDenied('user', id, `"${permission}" (${condition})`, 'not held by the revoker');
        }
        await audit({
          action: 'user.permission_revoke',
          entityType: 'user',
          entityId: id,
          before: { permission, condition },
        });
        afterCommit(accessChanged(actor.orgId, id));
      }));
    },

    /**
     * Another user's live sessions (where they are signed in), for those who may change the user:
     * the same rule as deactivating them, which ends every session at once.
     */
    async listSessions(actor: Actor, id: string, q: PageRequest) {
      return inOrg(db, actor.orgId, async (tx) => {
        await visibleUser(tx, actor, id, 'users:update');
        return liveSessionsPage(tx, actor.orgId, id, q, actor.sessionId);
      });
    },

    /** Ends one of a user's sessions (another user's session id, or an ended one, answers 404). */
    async revokeSession(actor: Actor, id: string, sessionId: string) {
      await guarded(actor, () => useCase(actor, async ({ tx, audit, afterCommit }) => {
        await changeableUser(tx, actor, id, 'users:update');
        const rows = await tx
          .update(userSessions)
          .set({ revokedAt: new Date(), revokedReason: 'revoked_by_admin' })
          .where(and(eq(userSessions.orgId, actor.orgId), eq(userSessions.userId, id), eq(userSessions.id, sessionId), isNull(userSessions.revokedAt)))
          .returning({ id: userSessions.id });
        if (!rows.length) throw notFound('Session');
        await audit({ action: 'user.sessions_revoke', entityType: 'user', entityId: id, details: { sessions: 1, sessionId } });
        afterCommit(() => ctx.sessionsRevoked([sessionId]));
      }));
    },

    /** Signs a user out everywhere (their account stays active). */
    async revokeAllSessions(actor: Actor, id: string) {
      const ids = await guarded(actor, () => useCase(actor, async ({ tx, audit, afterCommit }) => {
        await changeableUser(tx, actor, id, 'users:update');
        const ids = await revokeUserSessions(tx, actor.orgId, id, 'revoked_by_admin');
        if (ids.length) await audit({ action: 'user.sessions_revoke', entityType: 'user', entityId: id, details: { sessions: ids.length } });
        afterCommit(() => ctx.sessionsRevoked(ids));
        return ids;
      }));
      return { revoked: ids.length };
    },

    /** GDPR access: everything we hold about the person, as JSON. */
    async exportData(actor: Actor, id: string) {
      // A read, but an audited one (the export itself is recorded): a use case.
      return useCase(actor, async ({ tx, audit }) => {
        const u = await visibleUser(tx, actor, id, 'users:export');
        const sessions = await tx.select().from(userSessions).where(eq(userSessions.userId, id));
        const activity = await tx.select().from(activityLogs).where(eq(activityLogs.userId, id)).orderBy(desc(activityLogs.createdAt)).limit(10_000);
        const keys = await tx.select().from(apiKeys).where(eq(apiKeys.createdBy, id));
        const trail = await tx
          .select({ action: auditLogs.action, entityType: auditLogs.entityType, entityId: auditLogs.entityId, createdAt: auditLogs.createdAt })
          .from(auditLogs)
          .where(or(eq(auditLogs.actorId, id), and(eq(auditLogs.entityType, 'user'), eq(auditLogs.entityId, id))))
          // Newest first, as the activity: without an order the rows came in heap order, which moves.
          .orderBy(desc(auditLogs.seq))
          .limit(10_000);
        await audit({ action: 'user.export', entityType: 'user', entityId: id });
        const { passwordHash: _p, mfaSecret: _m, mfaPendingSecret: _mp, ...profile } = u;
        return {
          exportedAt: new Date().toISOString(),
          profile,
          roles: (await roleNamesOf(tx, actor.orgId, [id])).get(id) ?? [],
          sessions: sessions.map(({ ...s }) => s),
          activity,
          apiKeys: keys.map(({ keyHash: _k, ...k }) => k),
          auditTrail: trail,
        };
      });
    },

    /**
     * GDPR erasure: personal fields are anonymised, sessions and keys end, activity is cleared.
     * The audit chain never held personal data in the clear, so it stays verifiable.
     */
    async erase(actor: Actor, id: string) {
      if (id === actor.userId) throw badRequest('cannot_erase_self', 'Ask another administrator to erase your account.');
      await guarded(actor, () => useCase(actor, async ({ tx, audit, afterCommit }) => {
        const before = await changeableUser(tx, actor, id, 'users:erase');
        await tx
          .update(users)
          .set({
            email: `erased-${id}@erased.invalid`,
            name: 'Erased user',
            phone: null,
            department: null,
            passwordHash: null,
            mfaSecret: null,
            mfaPendingSecret: null,
            twoFactorEnabled: false,
            isActive: false,
            metadata: {},
            deletedAt: before.deletedAt ?? new Date(),
          })
          .where(eq(users.id, id));
        const ids = await revokeUserSessions(tx, actor.orgId, id, 'erased');
        await tx.update(userSessions).set({ ip: null, userAgent: null }).where(eq(userSessions.userId, id));
        await tx.delete(activityLogs).where(eq(activityLogs.userId, id));
        // The identities at SSO providers (subject and address) go: an erased user never signs in again.
        await tx.delete(ssoIdentities).where(eq(ssoIdentities.userId, id));
        // Outside the hash, so clearing them keeps the chain verifiable (column-level grant).
        await tx.update(auditLogs).set({ ip: null, userAgent: null }).where(eq(auditLogs.actorId, id));
        await tx.update(apiKeys).set({ revokedAt: new Date() }).where(and(eq(apiKeys.createdBy, id), isNull(apiKeys.revokedAt)));
        // Passkeys are credentials, and their names are often personal ("Pia's phone").
        await tx.delete(passkeys).where(eq(passkeys.userId, id));
        await audit({
          action: 'user.erase',
          entityType: 'user',
          entityId: id,
          before: auditable(before),
        });
        afterCommit(accessChanged(actor.orgId, id, ids));
      }));
      return { erased: true as const };
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
