import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from './password.ts';

describe('passwordProblem', () => {
  it.each([
    ['short', /at least 12/],
    ['x'.repeat(129), /at most 128/],
    ['Unbelievable', /most common/],
    ['aaaaaaaaaaaaaaa', /too few different/],
  ])('refuses %s', (pw, why) => {
    expect(passwordProblem(pw)).toMatch(why);
  });
  it('refuses a password containing the email name', () => {
    expect(passwordProblem('my-jsmith-password', { email: 'jsmith@example.com' })).toMatch(/email/);
  });
  it('accepts a long, unusual password and counts characters, not bytes', () => {
    expect(passwordProblem('Sturdy-Password-42')).toBeNull();
    expect(passwordProblem('ÄÖÜßéèêëîïôœ')).toBeNull();
  });
});

describe('argon2id', () => {
  it('hashes with argon2id and verifies only the right password', async () => {
    const h = await hashPassword('Sturdy-Password-42');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(h, 'Sturdy-Password-42')).toBe(true);
    expect(await verifyPassword(h, 'Sturdy-Password-43')).toBe(false);
    expect(await verifyPassword(null, 'anything')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'anything')).toBe(false);
  });
});
