import fs from 'node:fs';
import { hash, verify } from '@node-rs/argon2';

// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
// algorithm 2 = Argon2id (a const enum in the typings, so spelled out here).
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

let breached: ReadonlySet<string> | undefined;
/**
 * Known breached passwords of 12+ characters, lowercased (source and licence in
 * breached-passwords.md), read once on first use and checked with a set lookup.
 */
export function breachedPasswords(): ReadonlySet<string> {
  if (!breached) {
    const text = fs.readFileSync(new URL('./breached-passwords.txt', import.meta.url), 'utf8');
    breached = new Set(text.split('\n').filter((l) => l && !l.startsWith('#')));
  }
  return breached;
}

/** Why a password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, context: { email?: string; name?: string } = {}): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  const lower = password.toLowerCase();
  if (breachedPasswords().has(lower)) return 'is a common password found in data breaches; choose another';
  if (new Set(lower).size < 4) return 'uses too few different characters';
  const local = context.email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local)) return 'must not contain your email address';
  return null;
}

export const hashPassword = (password: string): Promise<string> => hash(password, OPTIONS);

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) {
    // Spend the same time as a real check so a missing account is not observable by timing.
    await verify(DUMMY_HASH, password).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

const DUMMY_HASH = await hash('imsop-timing-equaliser', OPTIONS);
