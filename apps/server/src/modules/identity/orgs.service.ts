import crypto from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { can } from '../../platform/access/ability.ts';
import type { Actor } from '../../platform/access/actor.ts';
import { recordAudit } from '../../platform/audit/audit.ts';
import { hashPassword, passwordProblem } from '../../platform/auth/password.ts';
import type { AppDb } from '../../platform/db/client.ts';
import { keyset, mapPage, type Page, type PageRequest } from '../../platform/db/pagination.ts';
import { inOrg, inSystem } from '../../platform/db/scope.ts';
import { conflict, forbidden, notFound } from '../../platform/errors/app-error.ts';
import { weakPassword } from './identity.errors.ts';
import type { IdentityContext } from './identity.context.ts';
import { findOrg, type OrgRow } from './identity.repository.ts';
import { seedSystemRoles } from './roles.service.ts';
import type { Catalogue } from '../../platform/access/catalogue.ts';
import { organizations, roles, userRoles, users } from './identity.schema.ts';

export interface OrgView {
  id: string;
  name: string;
  slug: string;
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

const toView = (o: OrgRow): OrgView => ({
  id: o.id,
  name: o.name,
  slug: o.slug,
  settings: o.settings,
  createdAt: o.createdAt.toISOString(),
  updatedAt: o.updatedAt.toISOString(),
});

export interface NewOrgInput {
  name: string;
  slug: string;
  settings?: Record<string, unknown> | undefined;
  admin: { email: string; name: string; password: string };
}

/**
 * Creates an org with its system roles and first admin, in one transaction. Used by the platform
 * admin route, by bootstrap and by `imsop create-admin`. Not a use case (it keeps `inSystem` and
 * `recordAudit`): the org has no scope before it exists, its slug is checked against every org, and
 * bootstrap runs before any module does.
 */
export async function createOrgWithAdmin(
  db: AppDb,
  catalogue: Catalogue,
  input: NewOrgInput & { platformAdmin?: boolean },
  actor: { type: 'user' | 'system'; id: string | null; requestId?: string | null; ip?: string | null } = { type: 'system', id: null },
) {
  const problem = passwordProblem(input.admin.password, { email: input.admin.email });
  if (problem) throw weakPassword(problem, 'admin.password');
  const passwordHash = await hashPassword(input.admin.password);
  return inSystem(db, async (tx) => {
    const [taken] = await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, input.slug));
    if (taken) throw conflict('slug_taken', `An organization with the slug "${input.slug}" already exists.`);
    const [org] = await tx
      .insert(organizations)
      .values({ name: input.name, slug: input.slug, settings: input.settings ?? {} })
      .returning();
    const seeded = await seedSystemRoles(tx, org!.id, catalogue);
    const [admin] = await tx
      .insert(users)
      .values({
        orgId: org!.id,
        email: input.admin.email,
        name: input.admin.name,
        passwordHash,
        isPlatformAdmin: input.platformAdmin ?? false,
      })
      .returning();
    const adminRole = seeded.find((r) => r.name === 'admin')!;
    await tx.insert(userRoles).values({ orgId: org!.id, userId: admin!.id, roleId: adminRole.id });
    const ctx = {
      orgId: org!.id,
      actorType: actor.type,
      actorId: actor.id,
      requestId: actor.requestId ?? null,
      ip: actor.ip ?? null,
    } as const;
    await recordAudit(tx, ctx, {
      action: 'organization.create',
      entityType: 'organization',
      entityId: org!.id,
      after: { name: org!.name, slug: org!.slug, settings: org!.settings },
    });
    await recordAudit(tx, ctx, {
      action: 'user.create',
      entityType: 'user',
      entityId: admin!.id,
      after: { email: admin!.email, name: admin!.name, roles: ['admin'] },
    });
    return { org: toView(org!), adminId: admin!.id };
  });
}

/** First start on an empty database: org `default` and its admin. Returns the generated password, if any. */
export async function ensureDefaultOrg(
  db: AppDb,
  catalogue: Catalogue,
  opts: { email?: string | undefined; password?: string | undefined },
): Promise<{ created: false } | { created: true; email: string; password: string; generated: boolean }> {
  const [{ n } = { n: 0 }] = await inSystem(db, (tx) =>
    tx.select({ n: sql<number>`count(*)::int` }).from(organizations),
  );
  if (n > 0) return { created: false };
  const email = opts.email ?? 'admin@imsop.local';
  const generated = !opts.password;
  const password = opts.password ?? crypto.randomBytes(18).toString('base64url');
  await createOrgWithAdmin(db, catalogue, {
    name: 'Default',
    slug: 'default',
    admin: { email, name: 'Administrator', password },
    platformAdmin: true,
  });
  return { created: true, email, password, generated };
}

export function createOrgsService(ctx: IdentityContext) {
  const { db, catalogue, useCase } = ctx.deps;
  return {
    async current(actor: Actor): Promise<OrgView> {
      if (!can(actor, 'org:read')) throw forbidden();
      const o = await inOrg(db, actor.orgId, (tx) => findOrg(tx, actor.orgId));
      if (!o) throw notFound('Organization');
      return toView(o);
    },

    async update(actor: Actor, patch: { name?: string | undefined; settings?: Record<string, unknown> | undefined }) {
      if (!can(actor, 'org:update')) throw forbidden();
      return useCase(actor, async ({ tx, audit, afterCommit }) => {
        const before = await findOrg(tx, actor.orgId);
        if (!before) throw notFound('Organization');
        // Top-level keys are merged; a key set to null is removed (as in a JSON merge patch).
        const settings = patch.settings
          ? Object.fromEntries(Object.entries({ ...before.settings, ...patch.settings }).filter(([, v]) => v !== null))
          : before.settings;
        const [after] = await tx
          .update(organizations)
          .set({ ...(patch.name ? { name: patch.name } : {}), settings })
          .where(eq(organizations.id, actor.orgId))
          .returning();
        await audit({
          action: 'organization.update',
          entityType: 'organization',
          entityId: actor.orgId,
          before: { name: before.name, settings: before.settings },
          after: { name: after!.name, settings: after!.settings },
        });
        afterCommit(() => ctx.profileChanged(actor.orgId)); // the org's name is part of every member's profile
        return toView(after!);
      });
    },

    /** Every organization by name, a page at a time (platform administrators: the one list across orgs). */
    async list(actor: Actor, q: PageRequest): Promise<Page<OrgView>> {
      if (!actor.isPlatformAdmin) throw forbidden('Only platform administrators can list organizations.');
      const page = keyset(q, { column: organizations.name, id: organizations.id, value: 'string', of: (o: OrgRow) => o.name });
      const rows = await inSystem(db, (tx) => tx.select().from(organizations).where(page.after).orderBy(...page.orderBy).limit(page.limit));
      return mapPage(page.page(rows), toView);
    },

    async create(actor: Actor, input: NewOrgInput) {
      if (!actor.isPlatformAdmin) throw forbidden('Only platform administrators can create organizations.');
      const out = await createOrgWithAdmin(db, catalogue, input, {
        type: 'user',
        id: actor.id,
        requestId: actor.meta.requestId,
        ip: actor.meta.ip,
      });
      // The creating admin's own org records the act too (a second transaction: it is another org).
      await useCase(actor, ({ audit }) =>
        audit({
          action: 'organization.create',
          entityType: 'organization',
          entityId: out.org.id,
          after: { name: out.org.name, slug: out.org.slug },
        }),
      );
      return out;
    },
  };
}

export type OrgsService = ReturnType<typeof createOrgsService>;

/**
 * `imsop create-admin`: a new user holding the admin role in an existing org. Not a use case (it
 * keeps `inSystem` and `recordAudit`): it finds the org by slug across orgs, and the CLI runs it on a
 * database no app has opened when no server is running.
 */
export async function createAdminUser(
  db: AppDb,
  input: { orgSlug: string; email: string; name: string; password: string },
): Promise<{ orgSlug: string; userId: string }> {
  const problem = passwordProblem(input.password, { email: input.email });
  if (problem) throw weakPassword(problem);
  const passwordHash = await hashPassword(input.password);
  return inSystem(db, async (tx) => {
    const [org] = await tx.select().from(organizations).where(eq(organizations.slug, input.orgSlug));
    if (!org) throw notFound(`Organization "${input.orgSlug}"`);
    const [dupe] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.orgId, org.id), sql`lower(${users.email}) = lower(${input.email})`));
    if (dupe) throw conflict('email_taken', `${input.email} already exists in "${input.orgSlug}".`);
    const [u] = await tx.insert(users).values({ orgId: org.id, email: input.email, name: input.name, passwordHash }).returning();
    const [adminRole] = await tx.select().from(roles).where(and(eq(roles.orgId, org.id), eq(roles.name, 'admin')));
    await tx.insert(userRoles).values({ orgId: org.id, userId: u!.id, roleId: adminRole!.id });
    await recordAudit(tx, { orgId: org.id, actorType: 'system', actorId: null }, {
      action: 'user.create',
      entityType: 'user',
      entityId: u!.id,
      after: { email: u!.email, name: u!.name, roles: ['admin'] },
      details: { via: 'cli create-admin' },
    });
    return { orgSlug: org.slug, userId: u!.id };
  });
}
