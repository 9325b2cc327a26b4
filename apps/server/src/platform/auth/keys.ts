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
}

/**
 * The root secret: IMSOP_JWT_SECRET when set, otherwise generated once and kept in the database, so
 * every instance on the same database agrees without configuration. Purpose keys are derived with HKDF.
 */
export async function loadKeys(db: AppDb, configured?: string): Promise<PlatformKeys> {
  let root = configured;
  if (!root) {
    root = await inSystem(db, async (tx) => {
      await tx
        .insert(platformSecrets)
        .values({ name: 'root', value: crypto.randomBytes(48).toString('base64url') })
        .onConflictDoNothing();
      const [row] = await tx.select().from(platformSecrets).where(eq(platformSecrets.name, 'root'));
      return row!.value;
    });
  }
  const secret = Buffer.from(root, 'utf8');
  return { jwt: deriveKey(secret, 'jwt'), mfa: deriveKey(secret, 'mfa'), refresh: deriveKey(secret, 'refresh') };
}
