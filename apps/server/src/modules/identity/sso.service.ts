import { and, eq, isNull, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import * as oidc from 'openid-client';
import { can } from '../../platform/access/ability.ts';
import type { Actor, RequestMeta } from '../../platform/access/actor.ts';
import type { AuditContext } from '../../platform/audit/audit.ts';
import { open, seal } from '../../platform/auth/crypto.ts';
import type { Tx } from '../../platform/db/client.ts';
import { inOrg, inSystem } from '../../platform/db/scope.ts';
import { badRequest, forbidden, notFound, unauthorized, unprocessable } from '../../platform/errors/app-error.ts';
import type { AuthService } from './auth.service.ts';
import { UNAUDITED, type IdentityContext } from './identity.context.ts';
import { accountDisabled, emailTaken } from './identity.errors.ts';
import { findUser, type UserRow } from './identity.repository.ts';
import { organizations, roles, ssoIdentities, ssoProviders, userRoles, users } from './identity.schema.ts';
import type { UsersService } from './users.service.ts';

type ProviderRow = typeof ssoProviders.$inferSelect;

export interface SsoProviderView {
  id: string;
  name: string;
  issuer: string;
  clientId: string;
  /** The secret itself is never returned; this says one is stored. */
  hasClientSecret: boolean;
  allowedDomains: string[];
  jitEnabled: boolean;
  defaultRole: string | null;
  linkByEmail: boolean;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface SsoProviderInput {
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  allowedDomains: string[];
  jitEnabled?: boolean | undefined;
  defaultRole?: string | null | undefined;
  linkByEmail?: boolean | undefined;
  enabled?: boolean | undefined;
}
export type SsoProviderPatch = { [K in keyof SsoProviderInput]?: SsoProviderInput[K] | undefined };

/** A provider a signing-in person may pick, found by the org's slug or their email's domain. */
export interface SsoChoice {
  id: string;
  name: string;
  org: { slug: string; name: string };
}

/** What the state cookie holds between the redirect to the provider and its callback (sealed). */
interface SsoState {
  p: string;
  s: string;
  n: string;
  v: string;
  at: number;
}

/** How long a person has at the provider before the callback is refused. */
export const SSO_STATE_TTL_MS = 10 * 60_000;
const SCOPE = 'openid email profile';

/** Plain http is accepted for an issuer on this machine only (a provider under test, a developer's). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

export function issuerProblem(issuer: string): string | null {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'Not a URL.';
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return 'The issuer must be an https:// URL (plain http is accepted for localhost only).';
}

const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

const ssoError = {
  invalidState: () => badRequest('sso_invalid_state', 'The single sign-on attempt expired or did not start here; start again.'),
  failed: () => unauthorized('The identity provider did not confirm the sign-in; start again.', 'sso_failed'),
  unavailable: () => unprocessable('sso_provider_unavailable', 'The identity provider could not be reached or is misconfigured.'),
  unverified: () => forbidden('The identity provider did not confirm that this email address is verified.', 'sso_email_unverified'),
  domain: () => forbidden('This email domain may not sign in to this organization with single sign-on.', 'sso_domain_not_allowed'),
  noAccount: () => forbidden('No account of this organization matches this identity; ask an administrator for access.', 'sso_account_not_found'),
};

const viewOf = (r: ProviderRow): SsoProviderView => ({
  id: r.id,
  name: r.name,
  issuer: r.issuer,
  clientId: r.clientId,
  hasClientSecret: r.clientSecretSealed.length > 0,
  allowedDomains: r.allowedDomains,
  jitEnabled: r.jitEnabled,
  defaultRole: r.defaultRole,
  linkByEmail: r.linkByEmail,
  enabled: r.enabled,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** The audited fields of a provider (the secret is left out; the audit log drops `*secret*` keys anyway). */
const auditable = (r: ProviderRow) => {
  const { clientSecretSealed: _secret, createdAt: _c, updatedAt: _u, ...rest } = r;
  return rest;
};

/**
 * Single sign-on with OpenID Connect, per org: administrators holding `org:update` configure
 * providers; anyone may start a sign-in with one (authorization code with PKCE, state and nonce,
 * through openid-client). The callback finds the user by the provider's subject, else links an
 * existing user by a verified address, else creates one just in time (when the provider allows
 * it). The provider's word is the whole proof: no local second factor is asked (docs/sso.md).
 */
export function createSsoService(ctx: IdentityContext, deps: { auth: AuthService; users: UsersService }) {
  const { db, useCase } = ctx.deps;
  const clock = ctx.deps.now ?? Date.now;
  const key = ctx.deps.ssoKey;
  /** Registered at the provider: the console's address (PUBLIC_URL) and the callback route. */
  const redirectUri = () => `${ctx.deps.publicUrl.replace(/\/+$/, '')}/api/auth/sso/callback`;
  /** Discovered provider metadata, per provider row version. */
  const discovered = new LRUCache<string, oidc.Configuration>({ max: 1000, ttl: 10 * 60_000 });

  /** The one access rule for providers: the actor's org, with org:update; another org's id is 404. */
  async function configurable(tx: Tx, actor: Actor, id: string): Promise<ProviderRow> {
    if (!can(actor, 'org:update')) throw forbidden();
    const [row] = await tx.select().from(ssoProviders).where(and(eq(ssoProviders.orgId, actor.orgId), eq(ssoProviders.id, id)));
    if (!row) throw notFound('SSO provider');
    return row;
  }

  /** The default role must exist and be one the configuring admin may grant (it is granted in their name later). */
  async function checkedDefaultRole(tx: Tx, actor: Actor, jit: boolean, role: string | null) {
    if (jit && !role) {
      throw badRequest('unknown_role', 'Just-in-time creation needs a default role.', { errors: [{ path: 'defaultRole', message: 'Required when jitEnabled is true.' }] });
    }
    if (role) await deps.users.resolveRoles(tx, actor, [role]);
  }

  async function configuration(p: ProviderRow): Promise<oidc.Configuration> {
    const cacheKey = `${p.id}:${p.updatedAt.getTime()}`;
    const hit = discovered.get(cacheKey);
    if (hit) return hit;
    const issuer = new URL(p.issuer);
    const insecure = issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname);
    // The ID token's times are checked against the platform clock (the skew from the machine's).
    const skew = Math.round((clock() - Date.now()) / 1000);
    try {
      const config = await oidc.discovery(
        issuer,
        p.clientId,
        { client_secret: open(key, p.clientSecretSealed), [oidc.clockSkew]: skew },
        undefined,
        { ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}), timeout: 10 },
      );
      discovered.set(cacheKey, config);
      return config;
    } catch (err) {
      ctx.deps.log.warn({ err: (err as Error).message, providerId: p.id }, 'SSO provider discovery failed');
      throw ssoError.unavailable();
    }
  }

  const enabledProvider = async (id: string) => {
    const [row] = await inSystem(db, (tx) => tx.select().from(ssoProviders).where(and(eq(ssoProviders.id, id), eq(ssoProviders.enabled, true))));
    return row;
  };

  function readState(cookie: string | undefined): SsoState {
    if (!cookie) throw ssoError.invalidState();
    let state: SsoState;
    try {
      state = JSON.parse(open(key, cookie)) as SsoState;
    } catch {
      throw ssoError.invalidState();
    }
    const age = clock() - state.at;
    if (!(age >= -60_000 && age <= SSO_STATE_TTL_MS)) throw ssoError.invalidState();
    return state;
  }

  /** The user of a verified identity: linked before, else linked by address, else created just in time. */
  async function resolveUser(p: ProviderRow, claims: oidc.IDToken & Record<string, unknown>, meta: RequestMeta) {
    const email = typeof claims.email === 'string' ? claims.email.trim() : '';
    if (!email || claims.email_verified !== true) throw ssoError.unverified();
    if (!p.allowedDomains.includes(domainOf(email))) throw ssoError.domain();
    const name = (typeof claims.name === 'string' && claims.name.trim()) || email.slice(0, email.indexOf('@'));
    const author: { audit: AuditContext } = {
      audit: { orgId: p.orgId, actorType: 'system', actorId: null, ip: meta.ip, userAgent: meta.userAgent, requestId: meta.requestId },
    };
    const via = { via: 'sso', providerId: p.id, issuer: p.issuer };
    const linked = await useCase(
      { orgId: p.orgId },
      async ({ tx }) => {
        const [row] = await tx
          .update(ssoIdentities)
          .set({ lastSignInAt: new Date(clock()), email })
          .where(and(eq(ssoIdentities.providerId, p.id), eq(ssoIdentities.subject, claims.sub)))
          .returning({ userId: ssoIdentities.userId });
        return row ? ((await findUser(tx, p.orgId, row.userId)) ?? null) : undefined;
      },
      { unaudited: UNAUDITED.ssoIdentityUse },
    );
    if (linked !== undefined) {
      if (!linked || linked.deletedAt) throw ssoError.noAccount();
      return linked;
    }
    try {
      return await useCase(author, async ({ tx, audit }) => {
        const [existing] = await tx
          .select()
          .from(users)
          .where(and(eq(users.orgId, p.orgId), sql`lower(${users.email}) = lower(${email})`, isNull(users.deletedAt)));
        let u: UserRow;
        if (existing) {
          if (!p.linkByEmail) throw ssoError.noAccount();
          u = existing;
        } else {
          if (!p.jitEnabled || !p.defaultRole) throw ssoError.noAccount();
          const [role] = await tx.select().from(roles).where(and(eq(roles.orgId, p.orgId), eq(roles.name, p.defaultRole)));
          if (!role) throw ssoError.noAccount();
          [u] = (await tx.insert(users).values({ orgId: p.orgId, email, name: name.slice(0, 200), passwordHash: null }).returning()) as [UserRow];
          await tx.insert(userRoles).values({ orgId: p.orgId, userId: u.id, roleId: role.id, assignedBy: null });
          await audit({ action: 'user.create', entityType: 'user', entityId: u.id, after: { email, name: u.name, roles: [role.name] }, details: { ...via, jit: true } });
        }
        await tx.insert(ssoIdentities).values({ orgId: p.orgId, providerId: p.id, subject: claims.sub, userId: u.id, email, lastSignInAt: new Date(clock()) });
        // The provider's subject stays in the link row (erased with the user), not in the audit chain.
        await audit({ action: 'sso.link', entityType: 'user', entityId: u.id, details: { ...via, created: !existing } });
        return u;
      });
    } catch (err) {
      // Two first sign-ins at once: the other one linked or created; the next attempt finds it.
      if ((err as { code?: string }).code === '23505') throw emailTaken();
      throw err;
    }
  }

  return {
    async list(actor: Actor): Promise<SsoProviderView[]> {
      if (!can(actor, 'org:update')) throw forbidden();
      const rows = await inOrg(db, actor.orgId, (tx) =>
        tx.select().from(ssoProviders).where(eq(ssoProviders.orgId, actor.orgId)).orderBy(ssoProviders.createdAt, ssoProviders.id).limit(100),
      );
      return rows.map(viewOf);
    },

    async get(actor: Actor, id: string): Promise<SsoProviderView> {
      return viewOf(await inOrg(db, actor.orgId, (tx) => configurable(tx, actor, id)));
    },

    async create(actor: Actor, input: SsoProviderInput): Promise<SsoProviderView> {
      if (!can(actor, 'org:update')) throw forbidden();
      return deps.users.guarded(actor, () =>
        useCase(actor, async ({ tx, audit }) => {
          const jitEnabled = input.jitEnabled ?? false;
          const defaultRole = input.defaultRole ?? null;
          await checkedDefaultRole(tx, actor, jitEnabled, defaultRole);
          const [row] = await tx
            .insert(ssoProviders)
            .values({
              orgId: actor.orgId,
              name: input.name,
              issuer: input.issuer,
              clientId: input.clientId,
              clientSecretSealed: seal(key, input.clientSecret),
              allowedDomains: input.allowedDomains,
              jitEnabled,
              defaultRole,
              linkByEmail: input.linkByEmail ?? true,
              enabled: input.enabled ?? true,
            })
            .returning();
          await audit({ action: 'sso_provider.create', entityType: 'sso_provider', entityId: row!.id, after: auditable(row!) });
          return viewOf(row!);
        }),
      );
    },

    async update(actor: Actor, id: string, patch: SsoProviderPatch): Promise<SsoProviderView> {
      return deps.users.guarded(actor, () =>
        useCase(actor, async ({ tx, audit }) => {
          const before = await configurable(tx, actor, id);
          const { clientSecret, ...fields } = patch;
          const next = { ...before, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) } as ProviderRow;
          await checkedDefaultRole(tx, actor, next.jitEnabled, next.defaultRole);
          const [after] = await tx
            .update(ssoProviders)
            .set({
              name: next.name,
              issuer: next.issuer,
              clientId: next.clientId,
              allowedDomains: next.allowedDomains,
              jitEnabled: next.jitEnabled,
              defaultRole: next.defaultRole,
              linkByEmail: next.linkByEmail,
              enabled: next.enabled,
              ...(clientSecret ? { clientSecretSealed: seal(key, clientSecret) } : {}),
              updatedAt: new Date(clock()),
            })
            .where(eq(ssoProviders.id, id))
            .returning();
          await audit({
            action: 'sso_provider.update',
            entityType: 'sso_provider',
            entityId: id,
            before: auditable(before),
            after: auditable(after!),
            // (A key named like a secret would be dropped from the record: this one says only that it changed.)
            ...(clientSecret ? { details: { credentialReplaced: true } } : {}),
          });
          return viewOf(after!);
        }),
      );
    },

    async remove(actor: Actor, id: string): Promise<void> {
      await useCase(actor, async ({ tx, audit }) => {
        const before = await configurable(tx, actor, id);
        await tx.delete(ssoProviders).where(eq(ssoProviders.id, id));
        await audit({ action: 'sso_provider.delete', entityType: 'sso_provider', entityId: id, before: auditable(before) });
      });
    },

    /** Enabled providers of the org with this slug, or of the orgs allowing this email's domain. */
    async discover(q: { org?: string | undefined; email?: string | undefined }): Promise<SsoChoice[]> {
      const where = q.org
        ? eq(organizations.slug, q.org.trim().toLowerCase())
        : sql`${domainOf(q.email ?? '')} = any(${ssoProviders.allowedDomains})`;
      const rows = await inSystem(db, (tx) =>
        tx
          .select({ id: ssoProviders.id, name: ssoProviders.name, slug: organizations.slug, orgName: organizations.name })
          .from(ssoProviders)
          .innerJoin(organizations, eq(organizations.id, ssoProviders.orgId))
          .where(and(eq(ssoProviders.enabled, true), where))
          .orderBy(organizations.name, ssoProviders.name)
          .limit(20),
      );
      return rows.map((r) => ({ id: r.id, name: r.name, org: { slug: r.slug, name: r.orgName } }));
    },

    /** Where to send the browser, and the sealed state it must bring back (as a cookie). */
    async begin(providerId: string): Promise<{ url: string; state: string }> {
      const p = await enabledProvider(providerId);
      if (!p) throw notFound('SSO provider');
      const config = await configuration(p);
      const verifier = oidc.randomPKCECodeVerifier();
      const state: SsoState = { p: p.id, s: oidc.randomState(), n: oidc.randomNonce(), v: verifier, at: clock() };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri(),
        scope: SCOPE,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: state.s,
        nonce: state.n,
      });
      return { url: url.href, state: seal(key, JSON.stringify(state)) };
    },

    /** The provider's callback: checks state, code, PKCE, nonce and ID token, then signs the user in (audited). */
    async complete(sealedState: string | undefined, query: Record<string, string>, meta: RequestMeta) {
      const state = readState(sealedState);
      if (query.state !== state.s) throw ssoError.invalidState();
      const p = await enabledProvider(state.p);
      if (!p) throw ssoError.invalidState();
      const config = await configuration(p);
      const callback = new URL(redirectUri());
      for (const [k, v] of Object.entries(query)) callback.searchParams.set(k, v);
      let claims: (oidc.IDToken & Record<string, unknown>) | undefined;
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callback, {
          pkceCodeVerifier: state.v,
          expectedState: state.s,
          expectedNonce: state.n,
          idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (err) {
        ctx.deps.log.warn({ err: (err as Error).message, providerId: p.id }, 'SSO callback refused');
        throw ssoError.failed();
      }
      if (!claims) throw ssoError.failed();
      const u = await resolveUser(p, claims, meta);
      if (!u.isActive) throw accountDisabled();
      return deps.auth.signInVia(u, meta, { action: 'sso.sign_in', details: { providerId: p.id, issuer: p.issuer } });
    },
  };
}

export type SsoService = ReturnType<typeof createSsoService>;

