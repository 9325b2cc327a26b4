import { and, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestMeta } from '../../platform/access/actor.ts';
import { randomToken, sha256 } from '../../platform/auth/crypto.ts';
import { hashPassword, passwordProblem } from '../../platform/auth/password.ts';
import { inSystem } from '../../platform/db/scope.ts';
import { defineJob, type Jobs } from '../../platform/jobs/jobs.ts';
import { enqueueNotification } from '../../platform/notify/notify.ts';
import { logActivity, systemAudit } from './auth.service.ts';
import { UNAUDITED, type IdentityContext } from './identity.context.ts';
import { invalidResetToken, weakPassword } from './identity.errors.ts';
import { revokeUserSessions } from './identity.repository.ts';
import { organizations, passwordResetTokens, users } from './identity.schema.ts';

/** The console page a reset link opens (the token in the query, read once by the page). */
export const resetLink = (publicUrl: string, token: string) => `${publicUrl.replace(/\/+$/, '')}/reset-password?token=${encodeURIComponent(token)}`;

/** The job that looks an address up and mails its reset links (the request only queues it). */
export const PASSWORD_RESET_JOB = 'identity.password-reset.send';

/**
 * Forgotten passwords. A request answers alike whether the address is known or not, in the same
 * time: the route answers 202 with a fixed body, and the request path only queues a job with the
 * address, the same write either way. The job (`identity.password-reset.send`) looks the address up
 * and gives each live, active account it has a link. A link is a random token of which only the
 * SHA-256 is kept; it resets once, before it expires (PASSWORD_RESET_TTL), and then ends every
 * session of the account.
 */
export function createPasswordResetService(ctx: IdentityContext, jobs: Pick<Jobs, 'enqueue' | 'register'>) {
  const { db, config, useCase } = ctx.deps;
  const clock = ctx.deps.now ?? Date.now;

  /** One link per account when the address belongs to several orgs (each link resets one account). */
  async function sendLinks(input: { email: string; org?: string | undefined; meta: RequestMeta }) {
    const accounts = await inSystem(db, (tx) =>
      tx
        .select({ id: users.id, orgId: users.orgId, email: users.email, name: users.name, orgName: organizations.name })
        .from(users)
        .innerJoin(organizations, eq(organizations.id, users.orgId))
        .where(
          and(
            sql`lower(${users.email}) = lower(${input.email})`,
            isNull(users.deletedAt),
            eq(users.isActive, true),
            input.org ? eq(organizations.slug, input.org) : undefined,
          ),
        )
        .limit(5),
    );
    for (const u of accounts) {
      const token = randomToken(32);
      const expiresAt = new Date(clock() + config.PASSWORD_RESET_TTL * 1000);
      await useCase({ orgId: u.orgId }, async ({ tx }) => {
        await tx.insert(passwordResetTokens).values({ orgId: u.orgId, userId: u.id, tokenHash: sha256(token), expiresAt });
        await enqueueNotification(tx, {
          orgId: u.orgId,
          channel: 'email',
          to: u.email,
          subject: `Reset your ${u.orgName} password`,
          body: [
            `Hello ${u.name},`,
            '',
            `Someone (hopefully you) asked to reset your password for ${u.orgName}. Open this link to choose a new one:`,
            resetLink(ctx.deps.publicUrl, token),
            '',
            `The link works once and expires in ${Math.round(config.PASSWORD_RESET_TTL / 60)} minutes. If you did not ask, ignore this message: your password stays as it is.`,
          ].join('\n'),
          meta: { template: 'identity.password_reset', userId: u.id },
        });
        await logActivity(tx, u.orgId, u.id, 'password_reset_requested', input.meta);
      }, { unaudited: UNAUDITED.resetRequest });
    }
  }

  const sendJob = defineJob({
    name: PASSWORD_RESET_JOB,
    payload: z.object({
      email: z.string(),
      org: z.string().optional(),
      meta: z.object({ ip: z.string().nullable(), userAgent: z.string().nullable(), requestId: z.string().nullable() }),
    }),
    // A retry after a crash past the commit could mail a second link; both work, and either resets.
    maxAttempts: 3,
    handler: (payload) => sendLinks(payload),
  });
  jobs.register(sendJob);

  return {
    async request(input: { email: string; org?: string | undefined }, meta: RequestMeta): Promise<void> {
      await jobs.enqueue(sendJob, { email: input.email, ...(input.org ? { org: input.org } : {}), meta });
    },

    async reset(input: { token: string; password: string }, meta: RequestMeta): Promise<void> {
      const tokenHash = sha256(input.token);
      const [row] = await inSystem(db, (tx) =>
        tx
          .select({ id: passwordResetTokens.id, expiresAt: passwordResetTokens.expiresAt, usedAt: passwordResetTokens.usedAt, user: users })
          .from(passwordResetTokens)
          .innerJoin(users, eq(users.id, passwordResetTokens.userId))
          .where(eq(passwordResetTokens.tokenHash, tokenHash)),
      );
      const now = clock();
      if (!row || row.usedAt || row.expiresAt.getTime() <= now || row.user.deletedAt || !row.user.isActive) throw invalidResetToken();
      const u = row.user;
      // The policy of a password change; a refused password leaves the link usable.
      const problem = passwordProblem(input.password, { email: u.email });
      if (problem) throw weakPassword(problem);
      const passwordHash = await hashPassword(input.password);
      await useCase({ audit: systemAudit(u.orgId, u.id, meta) }, async ({ tx, audit, afterCommit }) => {
        // Spent in the statement that checks it, so two requests with one link cannot both reset.
        const spent = await tx
          .update(passwordResetTokens)
          .set({ usedAt: new Date(now) })
          .where(and(eq(passwordResetTokens.id, row.id), isNull(passwordResetTokens.usedAt), gt(passwordResetTokens.expiresAt, new Date(now))))
          .returning({ id: passwordResetTokens.id });
        if (!spent.length) throw invalidResetToken();
        // The account's other outstanding links die with this one.
        await tx
          .update(passwordResetTokens)
          .set({ usedAt: new Date(now) })
          .where(and(eq(passwordResetTokens.userId, u.id), isNull(passwordResetTokens.usedAt), ne(passwordResetTokens.id, row.id)));
        await tx
          .update(users)
          .set({ passwordHash, passwordChangedAt: new Date(now), failedLogins: 0, lockedUntil: null })
          .where(eq(users.id, u.id));
        const ids = await revokeUserSessions(tx, u.orgId, u.id, 'password_reset');
        await audit({ action: 'user.password_reset', entityType: 'user', entityId: u.id, details: { sessionsRevoked: ids.length } });
        await logActivity(tx, u.orgId, u.id, 'password_reset', meta);
        afterCommit(() => {
          ctx.profileChanged(u.orgId, u.id);
          ctx.sessionsRevoked(ids);
        });
      });
    },
  };
}

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
