import crypto from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import { LRUCache } from 'lru-cache';

export interface AccessClaims {
  sub: string;
  org: string;
  sid: string;
}

export interface MfaClaims {
  sub: string;
  org: string;
}

/** A verified MFA-step token: its id (spent when it completes a sign-in) and when it expires. */
export interface VerifiedMfaClaims extends MfaClaims {
  jti: string;
  expiresAt: Date;
}

const ISSUER = 'imsop';
/** Seconds an MFA-step token stays valid after the password step. */
const MFA_TOKEN_TTL = 300;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Signs and verifies the platform's JWTs (HS256 with a key from config or the database).
 * An access token that verified once is remembered until it expires, so the requests that follow
 * skip the HMAC (WebCrypto, asynchronous) and key import; only exact token strings that passed the
 * full check are remembered, and expiry is still enforced on every use. Revocation is not decided
 * here but by the session check that follows.
 */
export function createTokenService(key: Uint8Array, accessTtlSeconds: number) {
  const verified = new LRUCache<string, AccessClaims & { exp: number }>({ max: 100_000 });
  async function sign(claims: Record<string, unknown>, typ: string, ttl: number, subject: string, jti?: string) {
    const jwt = new SignJWT({ ...claims, typ });
    if (jti) jwt.setJti(jti);
    return jwt
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
      .sign(key);
  }

  async function verify(token: string, typ: string) {
    try {
      const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'] });
      if (payload.typ !== typ || typeof payload.sub !== 'string' || typeof payload.org !== 'string') return null;
      return payload;
    } catch (err) {
      if (err instanceof errors.JOSEError) return null;
      throw err;
    }
  }

  /**
   * A token verified before, answered from memory: its claims, or null once it expired; undefined
   * when it has not been verified yet (call verifyAccess).
   */
  function verifiedAccess(token: string): AccessClaims | null | undefined {
    const hit = verified.get(token);
    if (!hit) return undefined;
    // The same rule as jose's: expired when exp <= now (in whole seconds).
    if (hit.exp > Math.floor(Date.now() / 1000)) return hit;
    verified.delete(token);
    return null;
  }

  return {
    accessTtlSeconds,
    signAccess: (c: AccessClaims) => sign({ org: c.org, sid: c.sid }, 'access', accessTtlSeconds, c.sub),
    verifiedAccess,
    async verifyAccess(token: string): Promise<AccessClaims | null> {
      const nowSeconds = Math.floor(Date.now() / 1000);
      const known = verifiedAccess(token);
      if (known !== undefined) return known;
      const p = await verify(token, 'access');
      if (!p || typeof p.sid !== 'string') return null;
      const claims = { sub: p.sub!, org: p.org as string, sid: p.sid };
      if (typeof p.exp === 'number') verified.set(token, { ...claims, exp: p.exp }, { ttl: Math.max(1, p.exp - nowSeconds) * 1000 });
      return claims;
    },
    /** Single-use: each carries a fresh id, which the sign-in it completes spends. */
    signMfa: (c: MfaClaims) => sign({ org: c.org }, 'mfa', MFA_TOKEN_TTL, c.sub, crypto.randomUUID()),
    async verifyMfa(token: string): Promise<VerifiedMfaClaims | null> {
      const p = await verify(token, 'mfa');
      // A token without an id (or expiry) could not be spent, so it is not accepted.
      if (!p || typeof p.jti !== 'string' || !UUID.test(p.jti) || typeof p.exp !== 'number') return null;
      return { sub: p.sub!, org: p.org as string, jti: p.jti, expiresAt: new Date(p.exp * 1000) };
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
