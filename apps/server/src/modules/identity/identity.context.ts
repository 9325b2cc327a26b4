import { and, eq, isNull } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Config } from '../../config.ts';
import { buildAbility, type Ability } from '../../platform/access/ability.ts';
import type { AccessChange, Actor, RequestMeta } from '../../platform/access/actor.ts';
import type { Catalogue } from '../../platform/access/catalogue.ts';
import { sha256, safeEqual } from '../../platform/auth/crypto.ts';
import type { AccessClaims, TokenService } from '../../platform/auth/tokens.ts';
import { CHANNEL_RESYNC, type Bus } from '../../platform/bus/bus.ts';
import type { AppDb, Tx } from '../../platform/db/client.ts';
import { inOrg, inSystem } from '../../platform/db/scope.ts';
import type { EventCatalogue } from '../../platform/events/catalogue.ts';
import type { UseCase } from '../../platform/module/use-case.ts';
import { grantsOf } from './identity.repository.ts';
import { apiKeys, users, userSessions } from './identity.schema.ts';

/** Identity's use cases: it declares no events (access changes travel on the bus, after the commit). */
export type IdentityUseCase = UseCase<EventCatalogue>;

export interface IdentityDeps {
  db: AppDb;
  /** The platform's use-case helper: every change of identity runs through it (org transaction, audit, after-commit work). */
  useCase: IdentityUseCase;
  config: Config;
  tokens: TokenService;
  bus: Bus;
  /** Encrypts TOTP seeds at rest. */
  mfaKey: Buffer;
  /** Seals SSO client secrets and the SSO state cookie. */
  ssoKey: Buffer;
  /** Derives a refresh token's successor, so a retry inside the grace window gets the same one. */
  refreshKey: Buffer;
  log: { warn(obj: unknown, msg?: string): void };
  /** The app's permissions (every module's), which roles, grants and keys are checked against. */
  catalogue: Catalogue;
  /** The clock sign-in checks and link expiries read (TOTP steps, lockouts, reset and invitation links); the platform's. */
  now?: () => number;
  /** The console's public address, for links sent by email (password reset, invitations). */
  publicUrl: string;
}

interface CachedSession {
  userId: string;
  orgId: string;
  expiresAt: number;
  lastActivityAt: number;
  lastPersistedAt: number;
}

interface CachedUser {
  id: string;
  orgId: string;
  department: string | null;
  isActive: boolean;
  isPlatformAdmin: boolean;
  ability: Ability;
}

interface CachedKey {
  id: string;
  orgId: string;
  createdBy: string | null;
  keyHash: string;
  permissions: string[];
  expiresAt: number | null;
  lastPersistedAt: number;
}

const TOUCH_EVERY_MS = 60_000;

/**
 * Identity's writes that deliberately leave no audit record, each with why (`{ unaudited }` of its
 * use case). Sign-ins, sign-outs and failures go to the activity log instead; the rest is
 * bookkeeping of use. Every other change of identity records an audit entry (strict checks fail
 * one that does not).
 */
export const UNAUDITED = {
  signIn: 'a sign-in (its session, refresh token, last-login stamp, spent MFA-step token) is recorded in the activity log',
  failedCheck: 'a failed password or second-factor check counts toward the lockout; the attempt is in the activity log',
  totpStep: 'spending a TOTP time-step, so that a code is accepted once, is bookkeeping of a check',
  recoveryCode: 'spending a recovery code is a sign-in step; the activity log records it',
  refreshRotation: 'rotating a refresh token (and sliding its session) renews a sign-in; only a reuse, a theft signal, is audited',
  idleTimeout: 'a session that idled out ends by expiry, not by anyone’s act',
  logout: 'signing out ends one’s own session; the activity log records it',
  mfaSetup: 'a pending MFA secret changes nothing until it is enabled, which is audited (user.mfa_enable)',
  resetRequest: 'a password-reset request (its link and email) changes no account; the activity log records it, and the reset itself is audited',
  sessionActivity: 'the last-activity stamp of a session (at most once a minute) is bookkeeping of use',
  ssoIdentityUse: 'the last-sign-in stamp (and current address) of a linked SSO identity is bookkeeping; the sign-in itself is audited (sso.sign_in)',
  apiKeyUse: 'the last-used stamp of an API key (at most once a minute) is bookkeeping of use',
} as const;
export const CHANNEL_SESSIONS = 'identity.sessions.revoked';
export const CHANNEL_AUTHZ = 'identity.authz.changed';
export const CHANNEL_KEYS = 'identity.api_keys.revoked';
/** A user's row (or, without userId, the org's row) changed: cached profiles are dropped. */
export const CHANNEL_PROFILE = 'identity.profile.changed';

/**
 * Resolves credentials to an Actor. Sessions, users' abilities and API keys are cached in memory;
 * every change that matters (revoke, role change, deactivation) publishes an invalidation on the
 * bus, which reaches every instance when Redis is configured. Signed-in users' profiles (the body
 * of GET /api/auth/me, less the permissions) are cached the same way and dropped on every change
 * to the user's row, roles or org.
 */
export function createIdentityContext(deps: IdentityDeps) {
  const sessions = new LRUCache<string, CachedSession>({ max: 50_000, ttl: 60_000 });
  const abilities = new LRUCache<string, CachedUser>({ max: 50_000, ttl: 300_000 });
  const keys = new LRUCache<string, CachedKey>({ max: 10_000, ttl: 60_000 });
  const profiles = new LRUCache<string, object>({ max: 50_000, ttl: 60_000 });
  const idleMs = deps.config.SESSION_IDLE_TIMEOUT * 1000;
  /**
   * Bumped by every invalidation. A load that started before an invalidation may have read the
   * rows as they were before the change, so it is returned but not cached.
   */
  let generation = 0;
  /** Told after the caches dropped what changed (open sockets re-check their actor and subscriptions). */
  const accessListeners = new Set<(change: AccessChange) => void>();
  const accessChanged = (change: AccessChange) => {
    for (const l of accessListeners) l(change);
  };

  const dropOrgEntries = (cache: LRUCache<string, object>, orgId: string) => {
    for (const k of cache.keys()) if (k.startsWith(`${orgId}:`)) cache.delete(k);
  };
  deps.bus.subscribe(CHANNEL_SESSIONS, (m) => {
    generation++;
    const sessionIds = (m.sessionIds as string[] | undefined) ?? [];
    for (const sid of sessionIds) sessions.delete(sid);
    accessChanged({ kind: 'sessions', sessionIds });
  });
  deps.bus.subscribe(CHANNEL_AUTHZ, (m) => {
    generation++;
    const orgId = m.orgId as string;
    const userId = m.userId as string | undefined;
    // Profiles list the user's roles, so they go with the abilities.
    for (const cache of [abilities, profiles] as LRUCache<string, object>[]) {
      if (userId) cache.delete(`${orgId}:${userId}`);
      else dropOrgEntries(cache, orgId);
    }
    accessChanged(userId ? { kind: 'user', orgId, userId } : { kind: 'user', orgId });
  });
  deps.bus.subscribe(CHANNEL_PROFILE, (m) => {
    generation++;
    const orgId = m.orgId as string;
    const userId = m.userId as string | undefined;
    if (userId) profiles.delete(`${orgId}:${userId}`);
    else dropOrgEntries(profiles, orgId);
  });
  // Redis is back after an outage: invalidations from other instances may have been missed.
  deps.bus.subscribe(CHANNEL_RESYNC, () => {
    generation++;
    for (const cache of [sessions, abilities, keys, profiles] as LRUCache<string, object>[]) cache.clear();
    accessChanged({ kind: 'all' });
  });
  deps.bus.subscribe(CHANNEL_KEYS, (m) => {
    generation++;
    const id = m.id as string;
    for (const [k, v] of keys.entries()) if (v.id === id) keys.delete(k);
    accessChanged({ kind: 'key', keyId: id });
  });

  async function loadUser(orgId: string, userId: string): Promise<CachedUser | null> {
    const key = `${orgId}:${userId}`;
    const hit = abilities.get(key);
    if (hit) return hit;
    const startedAt = generation;
    const loaded = await inOrg(deps.db, orgId, async (tx) => {
      const [u] = await tx
        .select()
        .from(users)
        .where(and(eq(users.id, userId), isNull(users.deletedAt)));
      if (!u) return null;
      const grants = await grantsOf(tx, orgId, userId);
      return {
        id: u.id,
        orgId: u.orgId,
        department: u.department,
        isActive: u.isActive,
        isPlatformAdmin: u.isPlatformAdmin,
        ability: buildAbility(grants),
      } satisfies CachedUser;
    });
    if (loaded && generation === startedAt) abilities.set(key, loaded);
    return loaded;
  }

  async function loadSession(sid: string): Promise<CachedSession | null> {
    const hit = sessions.get(sid);
    if (hit) return hit;
    const startedAt = generation;
    const [s] = await inSystem(deps.db, (tx) =>
      tx
        .select()
        .from(userSessions)
        .where(and(eq(userSessions.id, sid), isNull(userSessions.revokedAt))),
    );
    if (!s) return null;
    const entry: CachedSession = {
      userId: s.userId,
      orgId: s.orgId,
      expiresAt: s.expiresAt.getTime(),
      lastActivityAt: s.lastActivityAt.getTime(),
      lastPersistedAt: s.lastActivityAt.getTime(),
    };
    if (generation === startedAt) sessions.set(sid, entry);
    return entry;
  }

  /** A last-use stamp, written in the background: a failure is logged, and never fails the request. */
  function stamp(orgId: string, reason: string, failure: string, write: (tx: Tx) => Promise<unknown>) {
    deps
      .useCase({ orgId }, async ({ tx }) => void (await write(tx)), { unaudited: reason })
      .catch((err: unknown) => deps.log.warn({ err }, failure));
  }

  function touchSession(sid: string, s: CachedSession, now: number) {
    s.lastActivityAt = now;
    if (now - s.lastPersistedAt < TOUCH_EVERY_MS) return;
    s.lastPersistedAt = now;
    stamp(s.orgId, UNAUDITED.sessionActivity, 'could not record session activity', (tx) =>
      tx.update(userSessions).set({ lastActivityAt: new Date(now) }).where(eq(userSessions.id, sid)),
    );
  }

  /** The checks of fromAccessToken, once its token, session and user are at hand. */
  function sessionActor(claims: AccessClaims, s: CachedSession | null, u: CachedUser | null, meta: RequestMeta): Actor | null {
    const now = Date.now();
    if (!s || s.userId !== claims.sub || s.orgId !== claims.org) return null;
    if (s.expiresAt <= now || now - s.lastActivityAt > idleMs) return null;
    if (!u || !u.isActive) return null;
    touchSession(claims.sid, s, now);
    return userActor(u, claims.sid, meta);
  }

  async function loadActor(token: string, meta: RequestMeta): Promise<Actor | null> {
    const claims = await deps.tokens.verifyAccess(token);
    if (!claims) return null;
    const s = await loadSession(claims.sid);
    if (!s || s.userId !== claims.sub || s.orgId !== claims.org) return null;
    return sessionActor(claims, s, await loadUser(s.orgId, s.userId), meta);
  }

  function userActor(u: CachedUser, sid: string | null, meta: RequestMeta): Actor {
    return {
      type: 'user',
      id: u.id,
      orgId: u.orgId,
      userId: u.id,
      department: u.department,
      ability: u.ability,
      isPlatformAdmin: u.isPlatformAdmin,
      sessionId: sid,
      meta,
    };
  }

  return {
    deps,
    /** Calls `listener` on this instance whenever someone's access changed, on any instance. */
    onAccessChange(listener: (change: AccessChange) => void) {
      accessListeners.add(listener);
    },
    /**
     * The actor of an access token. Answered without a promise when the token, its session and its
     * user are all in memory (nearly every request), since the request pipeline pays for each await.
     */
    fromAccessToken(token: string, meta: RequestMeta): Actor | null | Promise<Actor | null> {
      const claims = deps.tokens.verifiedAccess(token);
      if (claims === null) return null;
      const s = claims && sessions.get(claims.sid);
      const u = s && abilities.get(`${s.orgId}:${s.userId}`);
      if (!claims || !s || !u) return loadActor(token, meta);
      return sessionActor(claims, s, u, meta);
    },

    async fromApiKey(key: string, meta: RequestMeta): Promise<Actor | null> {
      const m = /^imsop_([a-z0-9]{12})_([A-Za-z0-9_-]{20,})$/.exec(key);
      if (!m) return null;
      const hash = sha256(key);
      let k = keys.get(hash);
      if (!k) {
        const startedAt = generation;
        const [row] = await inSystem(deps.db, (tx) =>
          tx
            .select()
            .from(apiKeys)
            .where(and(eq(apiKeys.prefix, m[1]!), isNull(apiKeys.revokedAt))),
        );
        if (!row || !safeEqual(row.keyHash, hash)) return null;
        k = {
          id: row.id,
          orgId: row.orgId,
          createdBy: row.createdBy,
          keyHash: row.keyHash,
          permissions: row.permissions,
          expiresAt: row.expiresAt?.getTime() ?? null,
          lastPersistedAt: row.lastUsedAt?.getTime() ?? 0,
        };
        if (generation === startedAt) keys.set(hash, k);
      }
      const now = Date.now();
      if (k.expiresAt !== null && k.expiresAt <= now) return null;
      // A key never does more than its creator may still do today.
      const creator = k.createdBy ? await loadUser(k.orgId, k.createdBy) : null;
      if (!creator || !creator.isActive) return null;
      const ability = buildAbility(
        k.permissions.filter((p) => creator.ability.has(p)).map((p) => ({ permission: p, condition: creator.ability.get(p)! })),
      );
      if (now - k.lastPersistedAt >= TOUCH_EVERY_MS) {
        k.lastPersistedAt = now;
        const id = k.id;
        stamp(k.orgId, UNAUDITED.apiKeyUse, 'could not record API key use', (tx) =>
          tx.update(apiKeys).set({ lastUsedAt: new Date(now) }).where(eq(apiKeys.id, id)),
        );
      }
      return {
        type: 'api_key',
        id: k.id,
        orgId: k.orgId,
        userId: null,
        department: null,
        ability,
        isPlatformAdmin: false,
        sessionId: null,
        meta,
      };
    },

    /**
     * A user of the org as an actor without a session, with their roles and grants as they are now:
     * an inviter whose invitation is accepted, or a command of the server's operator acting as them
     * in-process (`imsop demo`). Null for a deleted or inactive user. Never resolved from a request's
     * credential.
     */
    async actorForUser(orgId: string, userId: string, meta: RequestMeta): Promise<Actor | null> {
      const u = await loadUser(orgId, userId);
      return u && u.isActive ? userActor(u, null, meta) : null;
    },

    /**
     * A signed-in user's profile from the cache, or from `load` (whose result is cached unless an
     * invalidation arrived while it ran). Callers publish `profileChanged` after committing any
     * change to a users row, and `authzChanged` after any change to roles.
     */
    async profile<T extends object>(orgId: string, userId: string, load: () => Promise<T>): Promise<T> {
      const key = `${orgId}:${userId}`;
      const hit = profiles.get(key);
      if (hit) return hit as T;
      const startedAt = generation;
      const loaded = await load();
      if (generation === startedAt) profiles.set(key, loaded);
      return loaded;
    },

    /** After commit: a users row changed (any column), or without userId the org's row changed. */
    profileChanged(orgId: string, userId?: string) {
      deps.bus.publish(CHANNEL_PROFILE, userId ? { orgId, userId } : { orgId });
    },
    sessionsRevoked(sessionIds: string[]) {
      if (sessionIds.length) deps.bus.publish(CHANNEL_SESSIONS, { sessionIds });
    },
    authzChanged(orgId: string, userId?: string) {
      deps.bus.publish(CHANNEL_AUTHZ, userId ? { orgId, userId } : { orgId });
    },
    apiKeyRevoked(id: string) {
      deps.bus.publish(CHANNEL_KEYS, { id });
    },
  };
}

export type IdentityContext = ReturnType<typeof createIdentityContext>;
