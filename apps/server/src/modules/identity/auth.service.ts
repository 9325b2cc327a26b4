import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import * as OTPAuth from 'otpauth';
import type { Ability } from '../../platform/access/ability.ts';
import type { Actor, RequestMeta } from '../../platform/access/actor.ts';
import type { Condition } from '../../platform/access/catalogue.ts';
import type { AuditContext } from '../../platform/audit/audit.ts';
import { hmac, open, randomToken, seal, sha256 } from '../../platform/auth/crypto.ts';
import { hashPassword, passwordProblem, verifyPassword } from '../../platform/auth/password.ts';
import type { VerifiedMfaClaims } from '../../platform/auth/tokens.ts';
import { matchedStep, totpFor } from '../../platform/auth/totp.ts';
import type { Executor, Tx } from '../../platform/db/client.ts';
import type { PageRequest } from '../../platform/db/pagination.ts';
import { inOrg, inSystem } from '../../platform/db/scope.ts';
import { badRequest, forbidden, notFound, tooManyRequests } from '../../platform/errors/app-error.ts';
import { reusableBody } from '../../platform/cache/reusable.ts';
import {
  accountDisabled,
  invalidCredentials,
  invalidMfa,
  invalidRefresh,
  refreshReused,
  weakPassword,
} from './identity.errors.ts';
import { UNAUDITED, type IdentityContext } from './identity.context.ts';
import { findOrg, findUser, liveSessionsPage, revokeUserSessions, roleNamesOf, type PublicUserRow, type UserRow } from './identity.repository.ts';
import { activityLogs, mfaRecoveryCodes, mfaTokensSpent, organizations, passkeys, refreshTokens, users, userSessions } from './identity.schema.ts';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

export type LoginResult =
  | (TokenPair & { mfaRequired?: false; user: PublicUser })
  | { mfaRequired: true; mfaToken: string; methods: MfaMethod[] };

/** The second factors a sign-in's MFA step accepts for this user (a recovery code goes where a TOTP code does). */
export type MfaMethod = 'totp' | 'passkey';

export interface PublicUser {
  id: string;
  orgId: string;
  email: string;
  name: string;
  department: string | null;
  phone: string | null;
  isActive: boolean;
  twoFactorEnabled: boolean;
  lastLogin: string | null;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  metadata: Record<string, unknown>;
  roles: { id: string; name: string }[];
}

export function toPublicUser(u: PublicUserRow, roleList: { id: string; name: string }[] = []): PublicUser {
  return {
    id: u.id,
    orgId: u.orgId,
    email: u.email,
    name: u.name,
    department: u.department,
    phone: u.phone,
    isActive: u.isActive,
    twoFactorEnabled: u.twoFactorEnabled,
    lastLogin: u.lastLogin?.toISOString() ?? null,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    deletedAt: u.deletedAt?.toISOString() ?? null,
    metadata: u.metadata,
    roles: roleList,
  };
}

export const systemAudit = (orgId: string, userId: string | null, meta: RequestMeta): AuditContext => ({
  orgId,
  actorType: userId ? 'user' : 'anonymous',
  actorId: userId,
  ip: meta.ip,
  userAgent: meta.userAgent,
  requestId: meta.requestId,
});

export async function logActivity(
  tx: Executor,
  orgId: string,
  userId: string | null,
  action: string,
  meta: RequestMeta,
  details: Record<string, unknown> = {},
) {
  await tx.insert(activityLogs).values({ orgId, userId, action, ip: meta.ip, userAgent: meta.userAgent, details });
}

/** Growing back-off after repeated failures: 30 s, 60 s, 2 min … capped at 15 min; never permanent. */
export function lockoutSeconds(failures: number, threshold: number): number {
  if (failures < threshold) return 0;
  return Math.min(30 * 2 ** (failures - threshold), 900);
}

const RECOVERY_CODES = 10;
const recoveryCode = () => {
  const raw = randomToken(8).replace(/[^a-zA-Z0-9]/g, '').toLowerCase().padEnd(10, '0').slice(0, 10);
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
};
const normaliseRecovery = (code: string) => code.trim().toLowerCase().replace(/[^a-z0-9]/g, '');

type MeBody<P> = P & { permissions: Record<string, Condition>; isPlatformAdmin: boolean };
const meBodies = new WeakMap<object, { ability: Ability; isPlatformAdmin: boolean; body: object }>();
/**
 * The body of GET /api/auth/me for a cached profile and ability, built once per pair and marked
 * reusable (frozen; serialized once). A profile or ability that changes is a new object (the
 * caches replace entries, never mutate them), hence a new body.
 */
function meBody<P extends object>(profile: P, ability: Ability, isPlatformAdmin: boolean): MeBody<P> {
  const hit = meBodies.get(profile);
  if (hit && hit.ability === ability && hit.isPlatformAdmin === isPlatformAdmin) return hit.body as MeBody<P>;
  const body = reusableBody({ ...profile, permissions: Object.fromEntries(ability) as Record<string, Condition>, isPlatformAdmin });
  meBodies.set(profile, { ability, isPlatformAdmin, body });
  return body;
}

export function createAuthService(ctx: IdentityContext) {
  const { db, config, tokens, useCase } = ctx.deps;
  const clock = ctx.deps.now ?? Date.now;

  async function recordFailure(u: UserRow, meta: RequestMeta, action: string) {
    await useCase({ orgId: u.orgId }, async ({ tx, afterCommit }) => {
      const [row] = await tx
        .update(users)
        .set({ failedLogins: sql`${users.failedLogins} + 1` })
        .where(eq(users.id, u.id))
        .returning({ failedLogins: users.failedLogins });
      const wait = lockoutSeconds(row!.failedLogins, config.LOCKOUT_THRESHOLD);
      if (wait > 0) {
        await tx
          .update(users)
          .set({ lockedUntil: new Date(clock() + wait * 1000) })
          .where(eq(users.id, u.id));
      }
      await logActivity(tx, u.orgId, u.id, action, meta, { failures: row!.failedLogins, lockedSeconds: wait });
      afterCommit(() => ctx.profileChanged(u.orgId, u.id));
    }, { unaudited: UNAUDITED.failedCheck });
  }

  function assertNotLocked(u: UserRow) {
    const until = u.lockedUntil?.getTime() ?? 0;
    const at = clock();
    if (until > at) {
      throw tooManyRequests(
        Math.ceil((until - at) / 1000),
        'Too many failed attempts on this account; try again later.',
        'account_locked',
      );
    }
  }

  /**
   * Every check of a password or a second factor goes through here, so they all count alike: a
   * locked account answers 429 whatever it sends, and a failure counts toward the lockout (logged
   * as `action`). The caller answers every wrong secret the same way.
   */
  async function checked(u: UserRow, meta: RequestMeta, action: string, check: () => Promise<boolean>): Promise<boolean> {
    assertNotLocked(u);
    if (await check()) return true;
    await recordFailure(u, meta, action);
    return false;
  }

  /** A secret proved right clears the count of failures, as a sign-in does. */
  const clearFailures = (tx: Executor, userId: string) =>
    tx.update(users).set({ failedLogins: 0, lockedUntil: null }).where(eq(users.id, userId));

  /**
   * Accepts a TOTP code once: its time-step must be later than the last one accepted for the user,
   * and is recorded in the same statement (so two requests, on any instances, cannot both use it).
   */
  async function acceptTotp(u: UserRow, code: string): Promise<boolean> {
    if (!u.mfaSecret) return false;
    const step = matchedStep(open(ctx.deps.mfaKey, u.mfaSecret), code, clock());
    if (step === null) return false;
    const rows = await useCase(
      { orgId: u.orgId },
      ({ tx }) =>
        tx
          .update(users)
          .set({ mfaLastStep: step })
          .where(and(eq(users.id, u.id), or(isNull(users.mfaLastStep), lt(users.mfaLastStep, step))))
          .returning({ id: users.id }),
      { unaudited: UNAUDITED.totpStep },
    );
    return rows.length > 0;
  }

  /** A TOTP code (±1 step, each step once) or an unused recovery code, which is spent. */
  async function checkSecondFactor(u: UserRow, code: string, meta: RequestMeta): Promise<boolean> {
    if (/^\d{6}$/.test(code.replace(/\s/g, ''))) return acceptTotp(u, code);
    const hash = sha256(normaliseRecovery(code));
    return useCase({ orgId: u.orgId }, async ({ tx }) => {
      const spent = await tx
        .update(mfaRecoveryCodes)
        .set({ usedAt: new Date(clock()) })
        .where(and(eq(mfaRecoveryCodes.userId, u.id), eq(mfaRecoveryCodes.codeHash, hash), isNull(mfaRecoveryCodes.usedAt)))
        .returning({ id: mfaRecoveryCodes.id });
      if (spent.length) await logActivity(tx, u.orgId, u.id, 'mfa_recovery_code_used', meta);
      return spent.length > 0;
    }, { unaudited: UNAUDITED.recoveryCode });
  }

  async function startSession(tx: Tx, u: UserRow, meta: RequestMeta): Promise<TokenPair> {
    const now = Date.now();
    const [session] = await tx
      .insert(userSessions)
      .values({
        orgId: u.orgId,
        userId: u.id,
        ip: meta.ip,
        userAgent: meta.userAgent?.slice(0, 512) ?? null,
        expiresAt: new Date(now + config.REFRESH_TOKEN_TTL * 1000),
      })
      .returning();
    const refreshToken = randomToken(32);
    await tx.insert(refreshTokens).values({
      orgId: u.orgId,
      sessionId: session!.id,
      tokenHash: sha256(refreshToken),
      expiresAt: new Date(now + config.REFRESH_TOKEN_TTL * 1000),
    });
    await tx
      .update(users)
      .set({ lastLogin: new Date(now), failedLogins: 0, lockedUntil: null })
      .where(eq(users.id, u.id));
    await logActivity(tx, u.orgId, u.id, 'login', meta, { sessionId: session!.id });
    const accessToken = await tokens.signAccess({ sub: u.id, org: u.orgId, sid: session!.id });
    return { accessToken, refreshToken, expiresIn: tokens.accessTtlSeconds, tokenType: 'Bearer' };
  }

  async function userWithRoles(tx: Executor, u: UserRow): Promise<PublicUser> {
    const roleMap = await roleNamesOf(tx, u.orgId, [u.id]);
    return toPublicUser(u, roleMap.get(u.id) ?? []);
  }

  /**
   * Starts the session; an MFA-step token is spent in the same transaction, so it completes one
   * sign-in. A sign-in `via` another proof than a password (single sign-on) is audited as the user.
   */
  async function completeLogin(
    u: UserRow,
    meta: RequestMeta,
    mfa?: VerifiedMfaClaims,
    via?: { action: string; details: Record<string, unknown> },
  ): Promise<TokenPair & { user: PublicUser }> {
    const author = via ? { audit: systemAudit(u.orgId, u.id, meta) } : { orgId: u.orgId };
    return useCase(author, async ({ tx, afterCommit, audit }) => {
      if (mfa) {
        await tx.delete(mfaTokensSpent).where(and(eq(mfaTokensSpent.userId, u.id), lt(mfaTokensSpent.expiresAt, new Date(clock()))));
        const spent = await tx
          .insert(mfaTokensSpent)
          .values({ jti: mfa.jti, orgId: u.orgId, userId: u.id, expiresAt: mfa.expiresAt })
          .onConflictDoNothing()
          .returning({ jti: mfaTokensSpent.jti });
        if (!spent.length) throw invalidMfa();
      }
      const pair = await startSession(tx, u, meta);
      if (via) await audit({ action: via.action, entityType: 'user', entityId: u.id, details: via.details });
      const fresh = (await findUser(tx, u.orgId, u.id))!;
      afterCommit(() => ctx.profileChanged(u.orgId, u.id)); // lastLogin
      return { ...pair, user: await userWithRoles(tx, fresh) };
    }, via ? {} : { unaudited: UNAUDITED.signIn });
  }

  /** The MFA step of a sign-in: the step's token (once), then `check` of a second factor; `refuse` answers a failed check. */
  async function completeMfa(mfaToken: string, meta: RequestMeta, check: (u: UserRow) => Promise<boolean>, refuse = invalidMfa) {
    const claims = await tokens.verifyMfa(mfaToken);
    if (!claims) throw invalidMfa();
    const { u, used } = await inOrg(db, claims.org, async (tx) => ({
      u: await findUser(tx, claims.org, claims.sub),
      used: (await tx.select({ jti: mfaTokensSpent.jti }).from(mfaTokensSpent).where(eq(mfaTokensSpent.jti, claims.jti))).length > 0,
    }));
    if (!u || u.deletedAt || !u.twoFactorEnabled || !u.mfaSecret) throw invalidMfa();
    assertNotLocked(u);
    // A spent token is refused before the code is looked at, so a replay spends no recovery code.
    if (used) {
      await recordFailure(u, meta, 'mfa_token_reused');
      throw invalidMfa();
    }
    if (!u.isActive) throw accountDisabled();
    if (!(await checked(u, meta, 'mfa_failed', () => check(u)))) throw refuse();
    return completeLogin(u, meta, claims);
  }

  return {
    /** Signs a user in without a password check (a just-accepted invitation): the same session and token pair as a login. */
    signIn: (u: UserRow, meta: RequestMeta) => completeLogin(u, meta),
    /** Signs a user in on another proof (an identity provider's), audited as `action` with `details`. */
    signInVia: (u: UserRow, meta: RequestMeta, via: { action: string; details: Record<string, unknown> }) => completeLogin(u, meta, undefined, via),

    async login(input: { email: string; password: string; org?: string | undefined }, meta: RequestMeta): Promise<LoginResult> {
      const candidates = await inSystem(db, (tx) =>
        tx
          .select({ user: users })
          .from(users)
          .innerJoin(organizations, eq(organizations.id, users.orgId))
          .where(
            and(
              sql`lower(${users.email}) = lower(${input.email})`,
              isNull(users.deletedAt),
              input.org ? eq(organizations.slug, input.org) : undefined,
            ),
          )
          .limit(5),
      );
      if (candidates.length === 0) {
        await verifyPassword(null, input.password);
        throw invalidCredentials();
      }
      for (const { user } of candidates) assertNotLocked(user);
      const matches: UserRow[] = [];
      for (const { user } of candidates) {
        if (await verifyPassword(user.passwordHash, input.password)) matches.push(user);
      }
      if (matches.length === 0) {
        for (const { user } of candidates) await recordFailure(user, meta, 'login_failed');
        throw invalidCredentials();
      }
      if (matches.length > 1) {
        throw badRequest('org_required', 'This email belongs to several organizations; say which one with "org".', {
          errors: [{ path: 'org', message: 'Required: the organization slug.' }],
        });
      }
      const u = matches[0]!;
      if (!u.isActive) throw accountDisabled();
      if (u.twoFactorEnabled) {
        const withPasskey = await inOrg(db, u.orgId, (tx) => tx.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.userId, u.id)).limit(1));
        const methods: MfaMethod[] = withPasskey.length ? ['totp', 'passkey'] : ['totp'];
        return { mfaRequired: true, mfaToken: await tokens.signMfa({ sub: u.id, org: u.orgId }), methods };
      }
      return completeLogin(u, meta);
    },

    verifyMfa: (input: { mfaToken: string; code: string }, meta: RequestMeta) =>
      completeMfa(input.mfaToken, meta, (u) => checkSecondFactor(u, input.code, meta)),

    /**
     * Completes a sign-in's MFA step with another second factor (a passkey): `check` proves it for
     * the step's user, counted toward the lockout like a wrong code.
     */
    completeMfa,

    /** A check of a secret (a password, a passkey assertion) that counts toward the lockout; see `checked`. */
    checked,

    async refresh(token: string, meta: RequestMeta): Promise<TokenPair> {
      const hash = sha256(token);
      const [row] = await inSystem(db, (tx) =>
        tx
          .select({ rt: refreshTokens, session: userSessions })
          .from(refreshTokens)
          .innerJoin(userSessions, eq(userSessions.id, refreshTokens.sessionId))
          .where(eq(refreshTokens.tokenHash, hash)),
      );
      if (!row) throw invalidRefresh();
      const { rt, session } = row;
      const now = Date.now();
      if (session.revokedAt || rt.expiresAt.getTime() <= now || session.expiresAt.getTime() <= now) throw invalidRefresh();
      if (now - session.lastActivityAt.getTime() > config.SESSION_IDLE_TIMEOUT * 1000) {
        await useCase({ orgId: session.orgId }, async ({ tx, afterCommit }) => {
          await tx.update(userSessions).set({ revokedAt: new Date(), revokedReason: 'idle_timeout' }).where(eq(userSessions.id, session.id));
          afterCommit(() => ctx.sessionsRevoked([session.id]));
        }, { unaudited: UNAUDITED.idleTimeout });
        throw invalidRefresh();
      }
      const successor = hmac(ctx.deps.refreshKey, token);
      // A reuse is audited as the session's user (anonymous without one), from the presenting request.
      const author = { audit: systemAudit(session.orgId, session.userId, meta) };
      const result = await useCase(author, async ({ tx, audit, afterCommit }) => {
        const spent = await tx
          .update(refreshTokens)
          .set({ usedAt: new Date(now) })
          .where(and(eq(refreshTokens.id, rt.id), isNull(refreshTokens.usedAt)))
          .returning({ id: refreshTokens.id });
        if (spent.length === 1) {
          await tx.insert(refreshTokens).values({
            orgId: session.orgId,
            sessionId: session.id,
            tokenHash: sha256(successor),
            expiresAt: new Date(now + config.REFRESH_TOKEN_TTL * 1000),
          });
          await tx
            .update(userSessions)
            .set({ lastActivityAt: new Date(now), expiresAt: new Date(now + config.REFRESH_TOKEN_TTL * 1000) })
            .where(eq(userSessions.id, session.id));
          return 'rotated' as const;
        }
        // Already spent: the same successor inside the grace window (parallel tabs), otherwise theft.
        const [used] = await tx.select({ usedAt: refreshTokens.usedAt }).from(refreshTokens).where(eq(refreshTokens.id, rt.id));
        const usedAt = used?.usedAt?.getTime() ?? 0;
        if (now - usedAt <= config.REFRESH_GRACE_SECONDS * 1000) return 'grace' as const;
        await tx
          .update(userSessions)
          .set({ revokedAt: new Date(now), revokedReason: 'refresh_token_reuse' })
          .where(eq(userSessions.id, session.id));
        await audit({
          action: 'security.refresh_token_reuse',
          entityType: 'session',
          entityId: session.id,
          details: { reason: 'A rotated refresh token was presented again; the session was revoked.' },
        });
        await logActivity(tx, session.orgId, session.userId, 'refresh_token_reuse', meta, { sessionId: session.id });
        afterCommit(() => ctx.sessionsRevoked([session.id]));
        return 'reused' as const;
      }, { unaudited: UNAUDITED.refreshRotation });
      if (result === 'reused') throw refreshReused();
      const accessToken = await tokens.signAccess({ sub: session.userId, org: session.orgId, sid: session.id });
      return { accessToken, refreshToken: successor, expiresIn: tokens.accessTtlSeconds, tokenType: 'Bearer' };
    },

    async logout(actor: Actor) {
      if (!actor.sessionId) return;
      const sid = actor.sessionId;
      await useCase(actor, async ({ tx, afterCommit }) => {
        await tx
          .update(userSessions)
          .set({ revokedAt: new Date(), revokedReason: 'logout' })
          .where(and(eq(userSessions.id, sid), isNull(userSessions.revokedAt)));
        await logActivity(tx, actor.orgId, actor.userId, 'logout', actor.meta, { sessionId: sid });
        afterCommit(() => ctx.sessionsRevoked([sid]));
      }, { unaudited: UNAUDITED.logout });
    },

    async me(actor: Actor) {
      if (!actor.userId) {
        return { type: 'api_key' as const, id: actor.id, orgId: actor.orgId, permissions: [...actor.ability.keys()] };
      }
      const userId = actor.userId;
      // Served from memory in the common case: every change to the user's row, roles or org
      // publishes an invalidation (profileChanged / authzChanged) after it commits.
      const profile = await ctx.profile(actor.orgId, userId, () =>
        inOrg(db, actor.orgId, async (tx) => {
          const u = await findUser(tx, actor.orgId, userId);
          if (!u) throw notFound('User');
          const org = await findOrg(tx, actor.orgId);
          return { ...(await userWithRoles(tx, u)), org: { id: org!.id, name: org!.name, slug: org!.slug } };
        }),
      );
      return meBody(profile, actor.ability, actor.isPlatformAdmin);
    },

    /** The actor's live sessions, newest sign-in first, a page at a time. */
    async listSessions(actor: Actor, q: PageRequest) {
      const userId = requireUser(actor);
      return inOrg(db, actor.orgId, (tx) => liveSessionsPage(tx, actor.orgId, userId, q, actor.sessionId));
    },

    async revokeSession(actor: Actor, sessionId: string) {
      const userId = requireUser(actor);
      const revoked = await useCase(actor, async ({ tx, audit, afterCommit }) => {
        const rows = await tx
          .update(userSessions)
          .set({ revokedAt: new Date(), revokedReason: 'revoked_by_user' })
          .where(and(eq(userSessions.id, sessionId), eq(userSessions.userId, userId), isNull(userSessions.revokedAt)))
          .returning({ id: userSessions.id });
        if (rows.length) {
          await audit({ action: 'session.revoke', entityType: 'session', entityId: sessionId });
          afterCommit(() => ctx.sessionsRevoked([sessionId]));
        }
        return rows.length > 0;
      });
      if (!revoked) throw notFound('Session');
    },

    async revokeOtherSessions(actor: Actor) {
      const userId = requireUser(actor);
      const ids = await useCase(actor, async ({ tx, audit, afterCommit }) => {
        const ids = await revokeUserSessions(tx, actor.orgId, userId, 'revoked_by_user', actor.sessionId);
        if (ids.length) {
          await audit({
            action: 'session.revoke_others',
            entityType: 'user',
            entityId: userId,
            details: { sessions: ids.length },
          });
        }
        afterCommit(() => ctx.sessionsRevoked(ids));
        return ids;
      });
      return { revoked: ids.length };
    },

    async changePassword(actor: Actor, input: { currentPassword: string; newPassword: string }) {
      const userId = requireUser(actor);
      const u = await inOrg(db, actor.orgId, (tx) => findUser(tx, actor.orgId, userId));
      if (!u) throw notFound('User');
      if (!(await checked(u, actor.meta, 'password_change_failed', () => verifyPassword(u.passwordHash, input.currentPassword)))) {
        throw badRequest('invalid_current_password', 'The current password is incorrect.', {
          errors: [{ path: 'currentPassword', message: 'Incorrect password.' }],
        });
      }
      const problem = passwordProblem(input.newPassword, { email: u.email });
      if (problem) throw weakPassword(problem, 'newPassword');
      const passwordHash = await hashPassword(input.newPassword);
      const ids = await useCase(actor, async ({ tx, audit, afterCommit }) => {
        await tx.update(users).set({ passwordHash, passwordChangedAt: new Date() }).where(eq(users.id, userId));
        await clearFailures(tx, userId);
        const ids = await revokeUserSessions(tx, actor.orgId, userId, 'password_changed', actor.sessionId);
        await audit({
          action: 'user.password_change',
          entityType: 'user',
          entityId: userId,
          details: { otherSessionsRevoked: ids.length },
        });
        afterCommit(() => {
          ctx.profileChanged(actor.orgId, userId);
          ctx.sessionsRevoked(ids);
        });
        return ids;
      });
      return { otherSessionsRevoked: ids.length };
    },

    async mfaSetup(actor: Actor) {
      const userId = requireUser(actor);
      const u = await inOrg(db, actor.orgId, (tx) => findUser(tx, actor.orgId, userId));
      if (!u) throw notFound('User');
      if (u.twoFactorEnabled) throw badRequest('mfa_already_enabled', 'Two-factor authentication is already on; disable it first.');
      const secret = new OTPAuth.Secret({ size: 20 }).base32;
      await useCase(actor, async ({ tx, afterCommit }) => {
        await tx.update(users).set({ mfaPendingSecret: seal(ctx.deps.mfaKey, secret) }).where(eq(users.id, userId));
        afterCommit(() => ctx.profileChanged(actor.orgId, userId));
      }, { unaudited: UNAUDITED.mfaSetup });
      return { secret, otpauthUri: totpFor(secret, u.email).toString() };
    },

    async mfaEnable(actor: Actor, code: string) {
      const userId = requireUser(actor);
      const u = await inOrg(db, actor.orgId, (tx) => findUser(tx, actor.orgId, userId));
      if (!u?.mfaPendingSecret) throw badRequest('mfa_not_started', 'Start enrolment first: POST /api/auth/mfa/setup.');
      const pending = u.mfaPendingSecret;
      const step = matchedStep(open(ctx.deps.mfaKey, pending), code, clock());
      if (!(await checked(u, actor.meta, 'mfa_enable_failed', async () => step !== null)) || step === null) throw invalidMfa();
      return useCase(actor, async ({ tx, audit, afterCommit }) => {
        const codes = Array.from({ length: RECOVERY_CODES }, recoveryCode);
        // Only the secret the code was checked against is enabled (a setup in between starts over), and its code is spent.
        const enabled = await tx
          .update(users)
          .set({ twoFactorEnabled: true, mfaSecret: pending, mfaPendingSecret: null, mfaLastStep: step })
          .where(and(eq(users.id, userId), eq(users.mfaPendingSecret, pending)))
          .returning({ id: users.id });
        if (!enabled.length) throw invalidMfa();
        await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId));
        await tx
          .insert(mfaRecoveryCodes)
          .values(codes.map((c) => ({ orgId: actor.orgId, userId, codeHash: sha256(normaliseRecovery(c)) })));
        await audit({
          action: 'user.mfa_enable',
          entityType: 'user',
          entityId: userId,
          before: { twoFactorEnabled: false },
          after: { twoFactorEnabled: true },
        });
        afterCommit(() => ctx.profileChanged(actor.orgId, userId));
        return { enabled: true as const, recoveryCodes: codes };
      });
    },

    async mfaDisable(actor: Actor, input: { password: string; code: string }) {
      const userId = requireUser(actor);
      const u = await inOrg(db, actor.orgId, (tx) => findUser(tx, actor.orgId, userId));
      if (!u?.twoFactorEnabled) throw badRequest('mfa_not_enabled', 'Two-factor authentication is not on.');
      // A wrong password and a wrong code answer alike, and count alike.
      const ok = await checked(
        u,
        actor.meta,
        'mfa_disable_failed',
        async () => (await verifyPassword(u.passwordHash, input.password)) && checkSecondFactor(u, input.code, actor.meta),
      );
      if (!ok) throw invalidMfa();
      await useCase(actor, async ({ tx, audit, afterCommit }) => {
        await tx.update(users).set({ twoFactorEnabled: false, mfaSecret: null, mfaLastStep: null }).where(eq(users.id, userId));
        await clearFailures(tx, userId);
        await tx.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.userId, userId));
        await audit({
          action: 'user.mfa_disable',
          entityType: 'user',
          entityId: userId,
          before: { twoFactorEnabled: true },
          after: { twoFactorEnabled: false },
        });
        afterCommit(() => ctx.profileChanged(actor.orgId, userId));
      });
      return { enabled: false as const };
    },
  };
}

export function requireUser(actor: Actor): string {
  if (!actor.userId) throw forbidden('This action needs a signed-in user, not an API key.', 'user_required');
  return actor.userId;
}

export type AuthService = ReturnType<typeof createAuthService>;
