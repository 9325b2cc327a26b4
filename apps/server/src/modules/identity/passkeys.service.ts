import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { and, eq, isNull, lt } from 'drizzle-orm';
import { relyingPartyOf } from '../../config.ts';
import type { Actor, RequestMeta } from '../../platform/access/actor.ts';
import { verifyPassword } from '../../platform/auth/password.ts';
import type { Executor } from '../../platform/db/client.ts';
import { keyset, mapPage, type PageRequest } from '../../platform/db/pagination.ts';
import { inOrg, inSystem } from '../../platform/db/scope.ts';
import { badRequest, notFound } from '../../platform/errors/app-error.ts';
import { logActivity, requireUser, systemAudit, type AuthService } from './auth.service.ts';
import type { IdentityContext } from './identity.context.ts';
import { accountDisabled, invalidMfa, invalidPasskey, passkeyChallengeInvalid, passkeyExists, passkeyRejected, reauthenticationRequired } from './identity.errors.ts';
import { findOrg, findUser } from './identity.repository.ts';
import { passkeys, userSessions, users, webauthnChallenges } from './identity.schema.ts';

/** How long a ceremony may take, from its options to its answer (also the browser's timeout). */
export const CHALLENGE_TTL_MS = 5 * 60_000;
/** Removing a passkey without the password needs a sign-in at most this old (the session's start). */
export const REAUTH_WINDOW_MS = 10 * 60_000;

type Purpose = 'registration' | 'sign_in' | 'mfa';
type PasskeyRow = typeof passkeys.$inferSelect;

export interface Passkey {
  id: string;
  name: string;
  deviceType: string;
  backedUp: boolean;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

const toPasskey = (p: PasskeyRow): Passkey => ({
  id: p.id,
  name: p.name,
  deviceType: p.deviceType,
  backedUp: p.backedUp,
  transports: p.transports,
  createdAt: p.createdAt.toISOString(),
  lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
});

/**
 * EdDSA, ES256 and RS256: what authenticators make. Named rather than the library's default, which
 * probes Node.js for ML-DSA (post-quantum) and so prints an experimental-feature warning.
 */
const ALGORITHMS = [-8, -7, -257];

/** The WebAuthn user handle of an account: its UUID's 16 bytes (no email or name in it). */
const userHandleOf = (userId: string) => new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));

/** The challenge the client signed, read from its clientDataJSON (base64url JSON); empty when unreadable. */
function challengeOf(clientDataJSON: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const c = (parsed as { challenge?: unknown } | null)?.challenge;
    return typeof c === 'string' ? c : '';
  } catch {
    return '';
  }
}

/** The signature counter in authenticatorData (bytes 33–36, after the RP id hash and the flags). */
function counterOf(authenticatorData: string): number | null {
  const bytes = Buffer.from(authenticatorData, 'base64url');
  return bytes.length >= 37 ? bytes.readUInt32BE(33) : null;
}

const reasonOf = (err: unknown) => (err instanceof Error ? err.message : 'the response is malformed.');

/**
 * The passkey that the actor may see and change: their own, in their org. Every path to a passkey
 * by id goes through here, so another user's or another org's id answers 404 alike.
 */
async function ownPasskey(tx: Executor, actor: Actor, id: string): Promise<PasskeyRow> {
  const userId = requireUser(actor);
  const [row] = await tx
    .select()
    .from(passkeys)
    .where(and(eq(passkeys.id, id), eq(passkeys.orgId, actor.orgId), eq(passkeys.userId, userId)));
  if (!row) throw notFound('Passkey');
  return row;
}

/**
 * Passkeys (WebAuthn credentials with user verification): registered by a signed-in user, used to
 * sign in without a password (discoverable credentials) or as the second factor of a password
 * sign-in. Challenges are kept server-side, spent once, and expire after CHALLENGE_TTL_MS. The
 * relying party (id and origin) comes from the public URL (`relyingPartyOf`).
 */
export function createPasskeysService(ctx: IdentityContext, auth: AuthService) {
  const { db, tokens, useCase } = ctx.deps;
  const clock = ctx.deps.now ?? Date.now;
  const rp = relyingPartyOf(ctx.deps.publicUrl);

  /**
   * Challenges are the server's own bookkeeping (a usernameless sign-in's belongs to no org yet),
   * written in system transactions outside the org's audit chain; the table is closed to the app role.
   */
  async function issueChallenge(challenge: string, purpose: Purpose, owner: { orgId: string; userId: string } | null) {
    const now = clock();
    await inSystem(db, async (tx) => {
      await tx.delete(webauthnChallenges).where(lt(webauthnChallenges.expiresAt, new Date(now)));
      await tx.insert(webauthnChallenges).values({
        challenge,
        purpose,
        orgId: owner?.orgId ?? null,
        userId: owner?.userId ?? null,
        expiresAt: new Date(now + CHALLENGE_TTL_MS),
      });
    });
  }

  /** Spends the challenge the client signed, if it is outstanding for this purpose and user: once, before it expires. */
  async function spendChallenge(clientDataJSON: string, purpose: Purpose, userId: string | null): Promise<string> {
    const challenge = challengeOf(clientDataJSON);
    if (!challenge) throw passkeyChallengeInvalid();
    const rows = await inSystem(db, (tx) =>
      tx
        .delete(webauthnChallenges)
        .where(
          and(
            eq(webauthnChallenges.challenge, challenge),
            eq(webauthnChallenges.purpose, purpose),
            userId ? eq(webauthnChallenges.userId, userId) : isNull(webauthnChallenges.userId),
          ),
        )
        .returning({ expiresAt: webauthnChallenges.expiresAt }),
    );
    if (!rows.length || rows[0]!.expiresAt.getTime() <= clock()) throw passkeyChallengeInvalid();
    return challenge;
  }

  /**
   * Checks an assertion against a stored passkey. A signature that verifies but whose counter did
   * not move forward (a cloned authenticator, or a replayed response) is refused and audited. On
   * success the counter, backup state and last use are stored and the use is audited.
   */
  async function verifyAssertion(pk: PasskeyRow, response: AuthenticationResponseJSON, expectedChallenge: string, meta: RequestMeta, purpose: 'sign_in' | 'mfa') {
    let info;
    try {
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        requireUserVerification: true,
        // The counter is compared below, once the signature is known to be the authenticator's.
        credential: { id: pk.credentialId, publicKey: new Uint8Array(Buffer.from(pk.publicKey, 'base64url')), counter: 0 },
      });
      if (!result.verified) return false;
      info = result.authenticationInfo;
    } catch {
      return false;
    }
    const author = { audit: systemAudit(pk.orgId, pk.userId, meta) };
    const counter = counterOf(response.response.authenticatorData) ?? info.newCounter;
    if ((counter > 0 || pk.signCount > 0) && counter <= pk.signCount) {
      await useCase(author, async ({ tx, audit }) => {
        await audit({
          action: 'security.passkey_counter_regression',
          entityType: 'passkey',
          entityId: pk.id,
          details: { stored: pk.signCount, presented: counter, reason: 'The signature counter did not increase: a cloned authenticator or a replayed response.' },
        });
        await logActivity(tx, pk.orgId, pk.userId, 'passkey_counter_regression', meta, { passkeyId: pk.id });
      });
      return false;
    }
    return useCase(author, async ({ tx, audit }) => {
      // Only from the counter this check read: of two uses racing with one counter, one wins.
      const used = await tx
        .update(passkeys)
        .set({ signCount: counter, backedUp: info.credentialBackedUp, deviceType: info.credentialDeviceType, lastUsedAt: new Date(clock()) })
        .where(and(eq(passkeys.id, pk.id), eq(passkeys.signCount, pk.signCount)))
        .returning({ id: passkeys.id });
      if (!used.length) return false;
      await audit({ action: purpose === 'mfa' ? 'passkey.mfa' : 'passkey.sign_in', entityType: 'passkey', entityId: pk.id, details: { name: pk.name } });
      return true;
    });
  }

  async function requestOptions(allow: PasskeyRow[] | null) {
    return generateAuthenticationOptions({
      rpID: rp.id,
      userVerification: 'required',
      timeout: CHALLENGE_TTL_MS,
      ...(allow ? { allowCredentials: allow.map((p) => ({ id: p.credentialId, transports: p.transports })) } : {}),
    });
  }

  return {
    relyingParty: rp,

    async list(actor: Actor, q: PageRequest) {
      const userId = requireUser(actor);
      const page = keyset(q, { column: passkeys.createdAt, id: passkeys.id, value: 'timestamp', desc: true, of: (p: PasskeyRow) => p.createdAt });
      const rows = await inOrg(db, actor.orgId, (tx) =>
        tx
          .select()
          .from(passkeys)
          .where(and(eq(passkeys.orgId, actor.orgId), eq(passkeys.userId, userId), page.after))
          .orderBy(...page.orderBy)
          .limit(page.limit),
      );
      return mapPage(page.page(rows), toPasskey);
    },

    /** Options for navigator.credentials.create(): a discoverable credential, user verification required. */
    async registrationOptions(actor: Actor) {
      const userId = requireUser(actor);
      const { u, org, existing } = await inOrg(db, actor.orgId, async (tx) => ({
        u: await findUser(tx, actor.orgId, userId),
        org: await findOrg(tx, actor.orgId),
        existing: await tx.select().from(passkeys).where(eq(passkeys.userId, userId)),
      }));
      if (!u || !org) throw notFound('User');
      const options = await generateRegistrationOptions({
        rpName: org.name,
        rpID: rp.id,
        userID: userHandleOf(u.id),
        userName: u.email,
        userDisplayName: u.name,
        timeout: CHALLENGE_TTL_MS,
        attestationType: 'none',
        supportedAlgorithmIDs: ALGORITHMS,
        excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
        authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      });
      await issueChallenge(options.challenge, 'registration', { orgId: actor.orgId, userId });
      return options;
    },

    async register(actor: Actor, input: { name: string; response: RegistrationResponseJSON }): Promise<Passkey> {
      const userId = requireUser(actor);
      const expectedChallenge = await spendChallenge(input.response.response.clientDataJSON, 'registration', userId);
      let info;
      try {
        const result = await verifyRegistrationResponse({
          response: input.response,
          expectedChallenge,
          expectedOrigin: rp.origin,
          expectedRPID: rp.id,
          requireUserVerification: true,
          supportedAlgorithmIDs: ALGORITHMS,
        });
        if (!result.verified) throw new Error('the authenticator response did not verify.');
        info = result.registrationInfo;
      } catch (err) {
        throw passkeyRejected(reasonOf(err));
      }
      const name = input.name.trim();
      return useCase(actor, async ({ tx, audit }) => {
        const [row] = await tx
          .insert(passkeys)
          .values({
            orgId: actor.orgId,
            userId,
            name,
            credentialId: info.credential.id,
            publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
            signCount: info.credential.counter,
            transports: info.credential.transports ?? input.response.response.transports ?? [],
            deviceType: info.credentialDeviceType,
            backedUp: info.credentialBackedUp,
            aaguid: info.aaguid,
          })
          .onConflictDoNothing()
          .returning();
        if (!row) throw passkeyExists();
        await audit({
          action: 'passkey.register',
          entityType: 'passkey',
          entityId: row.id,
          after: { name, deviceType: row.deviceType, backedUp: row.backedUp },
        });
        return toPasskey(row);
      });
    },

    async rename(actor: Actor, id: string, name: string): Promise<Passkey> {
      return useCase(actor, async ({ tx, audit }) => {
        const before = await ownPasskey(tx, actor, id);
        const [row] = await tx.update(passkeys).set({ name: name.trim() }).where(eq(passkeys.id, before.id)).returning();
        await audit({ action: 'passkey.rename', entityType: 'passkey', entityId: id, before: { name: before.name }, after: { name: row!.name } });
        return toPasskey(row!);
      });
    },

    /**
     * Removes one of the actor's passkeys. It needs a recent sign-in (this session started less than
     * REAUTH_WINDOW_MS ago) or the current password, which counts toward the lockout when wrong.
     */
    async remove(actor: Actor, id: string, input: { password?: string | undefined }) {
      const userId = requireUser(actor);
      const { u, session } = await inOrg(db, actor.orgId, async (tx) => {
        await ownPasskey(tx, actor, id);
        const [session] = actor.sessionId
          ? await tx.select({ createdAt: userSessions.createdAt }).from(userSessions).where(eq(userSessions.id, actor.sessionId))
          : [];
        return { u: await findUser(tx, actor.orgId, userId), session };
      });
      if (!u) throw notFound('User');
      if (input.password !== undefined) {
        const password = input.password;
        if (!(await auth.checked(u, actor.meta, 'passkey_remove_failed', () => verifyPassword(u.passwordHash, password)))) {
          throw badRequest('invalid_current_password', 'The current password is incorrect.', {
            errors: [{ path: 'password', message: 'Incorrect password.' }],
          });
        }
      } else if (!session || clock() - session.createdAt.getTime() > REAUTH_WINDOW_MS) {
        throw reauthenticationRequired();
      }
      await useCase(actor, async ({ tx, audit }) => {
        const row = await ownPasskey(tx, actor, id);
        await tx.delete(passkeys).where(eq(passkeys.id, row.id));
        await audit({
          action: 'passkey.remove',
          entityType: 'passkey',
          entityId: id,
          before: { name: row.name },
          details: { confirmedWith: input.password !== undefined ? 'password' : 'recent_sign_in' },
        });
      });
    },

    /**
     * Options for navigator.credentials.get(): for a usernameless sign-in (any discoverable passkey
     * of this site), or, with the MFA-step token of a password sign-in, for that user's passkeys.
     */
    async authenticationOptions(input: { mfaToken?: string | undefined }) {
      if (input.mfaToken === undefined) {
        const options = await requestOptions(null);
        await issueChallenge(options.challenge, 'sign_in', null);
        return options;
      }
      const claims = await tokens.verifyMfa(input.mfaToken);
      if (!claims) throw invalidMfa();
      const own = await inOrg(db, claims.org, (tx) => tx.select().from(passkeys).where(and(eq(passkeys.orgId, claims.org), eq(passkeys.userId, claims.sub))));
      if (!own.length) throw invalidPasskey();
      const options = await requestOptions(own);
      await issueChallenge(options.challenge, 'mfa', { orgId: claims.org, userId: claims.sub });
      return options;
    },

    /** A sign-in with a passkey alone (it proves possession and, with user verification, the person): the tokens of a login. */
    async signIn(response: AuthenticationResponseJSON, meta: RequestMeta) {
      const challenge = await spendChallenge(response.response.clientDataJSON, 'sign_in', null);
      const [row] = await inSystem(db, (tx) =>
        tx.select({ pk: passkeys, user: users }).from(passkeys).innerJoin(users, eq(users.id, passkeys.userId)).where(eq(passkeys.credentialId, response.id)),
      );
      if (!row || row.user.deletedAt) throw invalidPasskey();
      const { pk, user } = row;
      const handle = response.response.userHandle;
      if (handle && handle !== Buffer.from(userHandleOf(user.id)).toString('base64url')) throw invalidPasskey();
      if (!(await auth.checked(user, meta, 'passkey_sign_in_failed', () => verifyAssertion(pk, response, challenge, meta, 'sign_in')))) throw invalidPasskey();
      if (!user.isActive) throw accountDisabled();
      return auth.signIn(user, meta);
    },

    /** The MFA step of a password sign-in, completed with one of the user's passkeys instead of a code. */
    verifyMfa(input: { mfaToken: string; response: AuthenticationResponseJSON }, meta: RequestMeta) {
      return auth.completeMfa(
        input.mfaToken,
        meta,
        async (u) => {
          const challenge = await spendChallenge(input.response.response.clientDataJSON, 'mfa', u.id);
          const [pk] = await inOrg(db, u.orgId, (tx) =>
            tx.select().from(passkeys).where(and(eq(passkeys.credentialId, input.response.id), eq(passkeys.userId, u.id))),
          );
          return pk ? verifyAssertion(pk, input.response, challenge, meta, 'mfa') : false;
        },
        invalidPasskey,
      );
    },
  };
}

export type PasskeysService = ReturnType<typeof createPasskeysService>;
