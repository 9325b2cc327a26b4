import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { AppDb } from '../db/client.ts';
import { inSystem } from '../db/scope.ts';
import { platformSecrets } from '../db/platform.schema.ts';
import { deriveKey } from './crypto.ts';

export interface PlatformKeys {
  jwt: Uint8Array;
  mfa: Buffer;
  refresh: Buffer;
  /** Signs links handed to people without an account (a ticket's requester link). */
  links: Buffer;
  /** Seals what single sign-on keeps: identity providers' client secrets, the sign-in state cookie. */
  sso: Buffer;
}

/**
 * The root secret is generated once and kept in the database, so every instance on the same
 * database agrees without configuration; purpose keys are derived from it with HKDF. IMSOP_JWT_SECRET,
 * when set, signs tokens instead, so rotating it logs everyone out but never strands data encrypted
 * at rest (TOTP seeds), which stays under the database root.
 */
export async function loadKeys(db: AppDb, jwtSecret?: string): Promise<PlatformKeys> {
  const root = await inSystem(db, async (tx) => {
      await tx
        .insert(platformSecrets)
        .values({ name: 'root', value: crypto.randomBytes(48).toString('base64url') })
        .onConflictDoNothing();
      const [row] = await tx.select().from(platformSecrets).where(eq(platformSecrets.name, 'root'));
      return row!.value;
    });
  const secret = Buffer.from(root, 'utf8');
  return {
    jwt: jwtSecret ? deriveKey(Buffer.from(jwtSecret, 'utf8'), 'jwt') : deriveKey(secret, 'jwt'),
    mfa: deriveKey(secret, 'mfa'),
    refresh: deriveKey(secret, 'refresh'),
    links: deriveKey(secret, 'links'),
    sso: deriveKey(secret, 'sso'),
  };
}
