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

const ISSUER = 'imsop';

/**
 * Signs and verifies the platform's JWTs (HS256 with a key from config or the database).
 * An access token that verified once is remembered until it expires, so the requests that follow
 * skip the HMAC (WebCrypto, asynchronous) and key import; only exact token strings that passed the
 * full check are remembered, and expiry is still enforced on every use. Revocation is not decided
 * here but by the session check that follows.
 */
export function createTokenService(key: Uint8Array, accessTtlSeconds: number) {
  const verified = new LRUCache<string, AccessClaims & { exp: number }>({ max: 100_000 });
  async function sign(claims: Record<string, unknown>, typ: string, ttl: number, subject: string) {
    return new SignJWT({ ...claims, typ })
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

  return {
    accessTtlSeconds,
    signAccess: (c: AccessClaims) => sign({ org: c.org, sid: c.sid }, 'access', accessTtlSeconds, c.sub),
    async verifyAccess(token: string): Promise<AccessClaims | null> {
      const nowSeconds = Math.floor(Date.now() / 1000);
      const hit = verified.get(token);
      if (hit) {
        // The same rule as jose's: expired when exp <= now (in whole seconds).
        if (hit.exp > nowSeconds) return { sub: hit.sub, org: hit.org, sid: hit.sid };
        verified.delete(token);
        return null;
      }
      const p = await verify(token, 'access');
      if (!p || typeof p.sid !== 'string') return null;
      const claims = { sub: p.sub!, org: p.org as string, sid: p.sid };
      if (typeof p.exp === 'number') verified.set(token, { ...claims, exp: p.exp }, { ttl: Math.max(1, p.exp - nowSeconds) * 1000 });
      return claims;
    },
    signMfa: (c: MfaClaims) => sign({ org: c.org }, 'mfa', 300, c.sub),
    async verifyMfa(token: string): Promise<MfaClaims | null> {
      const p = await verify(token, 'mfa');
      return p ? { sub: p.sub!, org: p.org as string } : null;
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
