import { createImsopClient, type ImsopClient } from '@imsop/sdk';
import * as OTPAuth from 'otpauth';
import { inject } from 'vitest';

/** The typed SDK against the e2e server. */
export function client(token?: string): ImsopClient {
  return createImsopClient({ baseUrl: inject('baseUrl'), ...(token ? { token } : {}) });
}

export async function tokenFor(email: string, password: string): Promise<string> {
  const { data, error } = await client().POST('/api/auth/login', { body: { email, password } });
  if (!data || data.mfaRequired) throw new Error(`login failed for ${email}: ${JSON.stringify(error ?? data)}`);
  return data.accessToken;
}

export const adminToken = () => tokenFor(inject('adminEmail'), inject('adminPassword'));

/**
 * The TOTP code for an otpauth:// URI or a base32 secret: the current one, or `stepsAhead` 30-second
 * steps later (the server accepts each step's code once per user, and one step of drift).
 */
export function totp(uriOrSecret: string, stepsAhead = 0): string {
  const t = uriOrSecret.startsWith('otpauth://')
    ? (OTPAuth.URI.parse(uriOrSecret) as OTPAuth.TOTP)
    : new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(uriOrSecret.replace(/\s+/g, '')) });
  return t.generate({ timestamp: Date.now() + stepsAhead * 30_000 });
}

let n = 0;
/** A fresh user with the given roles; answers its credentials. */
export async function createUser(token: string, roles: string[], name = 'E2E User') {
  const email = `user${Date.now().toString(36)}${n++}@imsop.test`;
  const password = 'Strong-Passphrase-' + Math.random().toString(36).slice(2, 8);
  const { data, error } = await client(token).POST('/api/users', { body: { email, name, password, roles } });
  if (!data) throw new Error(`create user failed: ${JSON.stringify(error)}`);
  return { id: data.id, email, password, name };
}
