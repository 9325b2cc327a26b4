import { and, eq, gt, isNull, sql, type SQL } from 'drizzle-orm';
import { can, reach } from '../../platform/access/ability.ts';
import type { Actor, RequestMeta } from '../../platform/access/actor.ts';
import { randomToken, sha256 } from '../../platform/auth/crypto.ts';
import type { Tx } from '../../platform/db/client.ts';
import { keyset, mapPage, type Page, type PageRequest } from '../../platform/db/pagination.ts';
import { newId } from '../../platform/db/ids.ts';
import { inSystem, readInOrg } from '../../platform/db/scope.ts';
import { conflict, forbidden, notFound } from '../../platform/errors/app-error.ts';
import { enqueueNotification } from '../../platform/notify/notify.ts';
import { systemAudit, type AuthService } from './auth.service.ts';
import type { IdentityContext } from './identity.context.ts';
import { emailTaken, invalidInvitation, invitationAccepted, invitationExpired, invitationOutdated, invitationPending } from './identity.errors.ts';
import { findOrg, findUser } from './identity.repository.ts';
import { invitations, organizations, users } from './identity.schema.ts';
import { isUniqueViolation, type UsersService } from './users.service.ts';

type InvitationRow = typeof invitations.$inferSelect;

export interface InvitationView {
  id: string;
  email: string;
  roles: string[];
  department: string | null;
  invitedBy: string | null;
  expiresAt: string;
  expired: boolean;
  createdAt: string;
}

/** Thrown inside acceptance when the link changed since it was read (answered after the rollback). */
const STALE = new Error('invitation changed while accepting');

/** The console page an invitation link opens. */
export const inviteLink = (publicUrl: string, token: string) => `${publicUrl.replace(/\/+$/, '')}/invite?token=${encodeURIComponent(token)}`;

/**
 * Invitations: an admin who may create users (`users:create`, at its condition: a department-scoped
 * creator invites into its department only) invites an address with roles and a department. The
 * mailed link carries a random token of which only the SHA-256 is kept; it is accepted once before it
 * expires (INVITATION_TTL), and a resend replaces it. Acceptance creates the user through the same
 * path as user creation, as the inviter (their rights today: role-escalation checks apply), then signs
 * the new user in. Acceptance is audited as the new user (`user.create`, then `invitation.accept`
 * naming the inviter). A link answers what became of it: unknown
 * (`invalid_invitation`), replaced by a resend or revoked (`invitation_outdated`), expired
 * (`invitation_expired`) or already accepted (`invitation_accepted`). An org has at most one pending
 * invitation per address (a unique index): inviting it again answers 409 `invitation_pending` with the
 * pending invitation's id, so the console offers to resend that one (its roles may differ). (Acceptance through SSO comes with OIDC: it will take the name and address from
 * the identity provider instead of a password.)
 */
export function createInvitationsService(ctx: IdentityContext, deps: { users: UsersService; auth: AuthService }) {
  const { db, config, useCase } = ctx.deps;
  const clock = ctx.deps.now ?? Date.now;

  const viewOf = (r: InvitationRow): InvitationView => ({
    id: r.id,
    email: r.email,
    roles: r.roles,
    department: r.department,
    invitedBy: r.invitedBy,
    expiresAt: r.expiresAt.toISOString(),
    expired: r.expiresAt.getTime() <= clock(),
    createdAt: r.createdAt.toISOString(),
  });

  const pending = and(isNull(invitations.acceptedAt), isNull(invitations.revokedAt));

  /** A pending invitation the actor may manage; another org's id, or one outside its reach, is 404. */
  async function manageable(tx: Tx, actor: Actor, id: string): Promise<InvitationRow> {
    const [row] = await tx.select().from(invitations).where(and(eq(invitations.orgId, actor.orgId), eq(invitations.id, id)));
    if (!row || !can(actor, 'users:create', { ownerId: null, department: row.department })) throw notFound('Invitation');
    if (row.acceptedAt || row.revokedAt) throw conflict('invitation_not_pending', 'This invitation was already accepted or revoked.');
    return row;
  }

  /** Queues the invitation email with a fresh link (in the use case's transaction). */
  async function mail(tx: Tx, actor: Actor, row: { orgId: string; email: string; expiresAt: Date }, token: string) {
    const org = await findOrg(tx, row.orgId);
    const inviter = actor.userId ? await findUser(tx, actor.orgId, actor.userId) : undefined;
    await enqueueNotification(tx, {
      orgId: row.orgId,
      channel: 'email',
      to: row.email,
      subject: `You are invited to ${org!.name} on IMSOP`,
      body: [
        `${inviter?.name ?? 'An administrator'} invited you to join ${org!.name}.`,
        'Open this link to choose your name and password:',
        inviteLink(ctx.deps.publicUrl, token),
        '',
        `The link works once and expires on ${row.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
      ].join('\n'),
      meta: { template: 'identity.invitation' },
    });
  }

  /**
   * A live invitation by its token (any org: the token is the credential); otherwise the error that
   * says what became of the link.
   */
  async function byToken(token: string) {
    const hash = sha256(token);
    const [row, replaced] = await inSystem(db, async (tx) => {
      const select = () =>
        tx
          .select({ invitation: invitations, orgName: organizations.name, orgSlug: organizations.slug })
          .from(invitations)
          .innerJoin(organizations, eq(organizations.id, invitations.orgId));
      const [current] = await select().where(eq(invitations.tokenHash, hash));
      if (current) return [current, false] as const;
      const [old] = await select().where(sql`${invitations.supersededTokenHashes} @> array[${hash}]::text[]`);
      return [old, true] as const;
    });
    if (!row) throw invalidInvitation();
    if (row.invitation.acceptedAt) throw invitationAccepted();
    if (replaced || row.invitation.revokedAt) throw invitationOutdated();
    if (row.invitation.expiresAt.getTime() <= clock()) throw invitationExpired();
    return row;
  }

  /** The pending invitation of an address, if any. */
  const pendingFor = async (tx: Tx, orgId: string, email: string) =>
    (
      await tx
        .select({ id: invitations.id })
        .from(invitations)
        .where(and(eq(invitations.orgId, orgId), sql`lower(${invitations.email}) = lower(${email})`, pending))
    )[0];

  return {
    async create(actor: Actor, input: { email: string; roles?: string[] | undefined; department?: string | null | undefined }): Promise<InvitationView> {
      const department = input.department ?? null;
      const roles = input.roles ?? [];
      if (!can(actor, 'users:create', { ownerId: null, department })) throw forbidden('You may not invite users into this department.');
      if (roles.length && !can(actor, 'roles:assign')) throw forbidden('You may not assign roles.');
      const token = randomToken(32);
      const created = deps.users.guarded(actor, () =>
        useCase(actor, async ({ tx, audit }) => {
          // Refused now rather than at acceptance: roles the inviter cannot grant (checked again then).
          const granted = (await deps.users.resolveRoles(tx, actor, roles)).map((r) => r.name);
          const [existing] = await tx
            .select({ id: users.id })
            .from(users)
            .where(and(eq(users.orgId, actor.orgId), sql`lower(${users.email}) = lower(${input.email})`));
          if (existing) throw emailTaken();
          const open = await pendingFor(tx, actor.orgId, input.email);
          if (open) throw invitationPending(open.id);
          const [row] = await tx
            .insert(invitations)
            .values({
              orgId: actor.orgId,
              email: input.email,
              roles: granted,
              department,
              invitedBy: actor.userId,
              tokenHash: sha256(token),
              expiresAt: new Date(clock() + config.INVITATION_TTL * 1000),
            })
            .returning();
          await mail(tx, actor, row!, token);
          await audit({ action: 'invitation.create', entityType: 'invitation', entityId: row!.id, after: { email: row!.email, roles: granted, department } });
          return viewOf(row!);
        }),
      );
      try {
        return await created;
      } catch (err) {
        // Two invitations of one address at once: the unique index lets one through; the other is told as above.
        if (!isUniqueViolation(err)) throw err;
        const open = await readInOrg(db, actor.orgId, (tx) => pendingFor(tx, actor.orgId, input.email));
        throw invitationPending(open?.id ?? '');
      }
    },

    async list(actor: Actor, q: PageRequest): Promise<Page<InvitationView>> {
      const scope = reach(actor, 'users:create');
      if (!scope) throw forbidden();
      const page = keyset(q, { column: invitations.createdAt, id: invitations.id, value: 'timestamp', desc: true, of: (r: InvitationRow) => r.createdAt });
      const conds: (SQL | undefined)[] = [eq(invitations.orgId, actor.orgId), pending, page.after];
      if (scope === 'department') conds.push(actor.department ? eq(invitations.department, actor.department) : sql`false`);
      else if (scope === 'own') conds.push(sql`false`);
      const rows = await readInOrg(db, actor.orgId, (tx) =>
        tx
          .select()
          .from(invitations)
          .where(and(...conds))
          .orderBy(...page.orderBy)
          .limit(page.limit),
      );
      return mapPage(page.page(rows), viewOf);
    },

    async resend(actor: Actor, id: string): Promise<InvitationView> {
      const token = randomToken(32);
      return deps.users.guarded(actor, () =>
        useCase(actor, async ({ tx, audit }) => {
          const current = await manageable(tx, actor, id);
          // A resend revives the invitation as the resender's: the roles it grants must be theirs to grant.
          if (current.roles.length && !can(actor, 'roles:assign')) throw forbidden('You may not assign roles.');
          await deps.users.resolveRoles(tx, actor, current.roles);
          const [row] = await tx
            .update(invitations)
            .set({
              tokenHash: sha256(token),
              // The replaced link stays known, so it answers "outdated" rather than "unknown".
              supersededTokenHashes: sql`array_append(${invitations.supersededTokenHashes}, ${current.tokenHash})`,
              expiresAt: new Date(clock() + config.INVITATION_TTL * 1000), invitedBy: actor.userId,
              updatedAt: new Date(clock()),
            })
            .where(eq(invitations.id, id))
            .returning();
          await mail(tx, actor, row!, token);
          await audit({ action: 'invitation.resend', entityType: 'invitation', entityId: id });
          return viewOf(row!);
        }),
      );
    },

    async revoke(actor: Actor, id: string): Promise<void> {
      await useCase(actor, async ({ tx, audit }) => {
        await manageable(tx, actor, id);
        await tx.update(invitations).set({ revokedAt: new Date(clock()), updatedAt: new Date(clock()) }).where(eq(invitations.id, id));
        await audit({ action: 'invitation.revoke', entityType: 'invitation', entityId: id });
      });
    },

    /** What the acceptance page shows: the org, the address, the roles and department it grants, and the expiry. */
    async preview(token: string) {
      const { invitation, orgName, orgSlug } = await byToken(token);
      return {
        orgName,
        orgSlug,
        email: invitation.email,
        roles: invitation.roles,
        department: invitation.department,
        expiresAt: invitation.expiresAt.toISOString(),
      };
    },

    async accept(input: { token: string; name: string; password: string }, meta: RequestMeta) {
      const { invitation: inv } = await byToken(input.token);
      // The user is created as the inviter, with their rights as they are now.
      const inviter = inv.invitedBy ? await ctx.actorForUser(inv.orgId, inv.invitedBy, meta) : null;
      if (!inviter) throw forbidden('Whoever invited you can no longer add people; ask an administrator to invite you again.');
      const createInput = { email: inv.email, name: input.name, password: input.password, department: inv.department, roles: inv.roles };
      const passwordHash = await deps.users.checkedNewUser(inviter, createInput);
      const userId = newId();
      const accepting = deps.users.creating(() =>
        deps.users.guarded(inviter, () =>
          // Audited as the new user (the account is theirs from its first record); the inviter's
          // rights decide what it may get, and its roles record the inviter as who assigned them.
          useCase({ audit: systemAudit(inv.orgId, userId, meta) }, async ({ tx, audit }) => {
            // Spent in the statement that checks it: one acceptance per link.
            const spent = await tx
              .update(invitations)
              .set({ acceptedAt: new Date(clock()), updatedAt: new Date(clock()) })
              .where(and(eq(invitations.id, inv.id), pending, gt(invitations.expiresAt, new Date(clock()))))
              .returning({ id: invitations.id });
            if (!spent.length) throw STALE;
            const user = await deps.users.insertUser(tx, audit, inviter, createInput, passwordHash, userId);
            await tx.update(invitations).set({ acceptedUserId: user.id }).where(eq(invitations.id, inv.id));
            await audit({ action: 'invitation.accept', entityType: 'invitation', entityId: inv.id, details: { userId: user.id, invitedBy: inv.invitedBy } });
            return (await findUser(tx, inv.orgId, user.id))!;
          }),
        ),
      );
      let created;
      try {
        created = await accepting;
      } catch (err) {
        if (err !== STALE) throw err;
        // Accepted, revoked or resent since it was read: the link's state says which.
        await byToken(input.token);
        throw invitationOutdated();
      }
      return deps.auth.signIn(created, meta);
    },
  };
}

export type InvitationsService = ReturnType<typeof createInvitationsService>;
